// The one schema for memwarden's configuration. Every key has a default that works out of the
// box; unknown keys are errors because a typo must never silently do nothing.
import { z } from 'zod';
import { alertsSchema } from './alerts-schema.js';
import { diagnosisSchema } from './diagnosis-schema.js';
import { digestSchema } from './digest-schema.js';
import { remediationSchema } from './remediation-schema.js';
import { durationSchema } from './value-schemas.js';

const slackId = z.string().regex(/^[A-Z0-9][A-Z0-9_-]{1,40}$/i, 'expected a Slack id such as "C0123ABCD"');
const channel = z.string().min(1).max(80);

export const configSchema = z.strictObject({
  slack: z
    .strictObject({
      botToken: z.string().regex(/^xoxb-/, 'expected a bot token starting with "xoxb-"').optional(),
      appToken: z.string().regex(/^xapp-/, 'expected an app-level token starting with "xapp-"').optional(),
      signingSecret: z.string().min(8).optional(),
      apiUrl: z.url({ protocol: /^https?$/ }).optional(),
      /** HTTP mode listens here (ignored in Socket Mode). */
      port: z.number().int().min(1).max(65535).default(3000),
      channels: z
        .strictObject({
          default: channel.optional(),
          warning: channel.optional(),
          critical: channel.optional(),
        })
        .prefault({}),
      /** Slack user group id mentioned on critical alerts, e.g. "S0123ABCD". */
      criticalMention: slackId.optional(),
      /** Slack user ids allowed to run admin commands (remediation on/off). */
      admins: z.array(slackId).default([]),
    })
    .prefault({}),
  dataDir: z.string().min(1).default('./data'),
  /** Where the host's /proc and cgroup filesystem are visible (e.g. /host/proc in a container). */
  paths: z
    .strictObject({
      proc: z.string().min(1).default('/proc'),
      cgroup: z.string().min(1).default('/sys/fs/cgroup'),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** "auto" pretty-prints on a TTY and writes JSON otherwise. */
      format: z.enum(['auto', 'json', 'pretty']).default('auto'),
    })
    .prefault({}),
  poll: z
    .strictObject({
      interval: durationSchema.prefault('15s'),
      sourceTimeout: durationSchema.prefault('5s'),
      /** Read every process's smaps_rollup for PSS/USS (about 0.5 ms per process). */
      processes: z.boolean().default(true),
      /** How many process groups a snapshot keeps in full detail. */
      topGroups: z.number().int().min(1).max(1000).default(50),
    })
    .prefault({}),
  history: z
    .strictObject({
      raw: durationSchema.prefault('48h'),
      rollups: durationSchema.prefault('35d'),
      rollupInterval: durationSchema.prefault('5m'),
    })
    .prefault({}),
  /**
   * Alert rules. They are also the one source of the OK / HIGH / CRITICAL status levels
   * (diagnose/levels.ts statusThresholds) and of what the diagnosis calls a leak
   * (diagnose/options.ts), so an alert and a status column never disagree.
   */
  alerts: alertsSchema,
  diagnosis: diagnosisSchema,
  remediation: remediationSchema,
  /** The daily memory digest (src/digest/). */
  digest: digestSchema,
  /** Operations: the HTTP endpoints for Prometheus and health checks, and shutdown. */
  ops: z
    .strictObject({
      /** Port of the /metrics and /healthz server; 0 turns it off. */
      port: z.number().int().min(0).max(65535).default(9464),
      /** Address it listens on: 0.0.0.0 (all interfaces) or 127.0.0.1 (this host only). */
      host: z.string().min(1).default('0.0.0.0'),
      /** /healthz fails when the last successful poll is older; unset means 3 poll intervals + the source timeout. */
      pollStaleAfter: durationSchema.optional(),
      /** On SIGTERM/SIGINT memwarden exits within this, even if a remediation is still running (Docker waits 10 s). */
      shutdownGrace: durationSchema.prefault('8s'),
    })
    .prefault({}),
});

/** The configuration as a file author writes it. */
export type ConfigInput = z.input<typeof configSchema>;
/** The validated configuration with defaults applied; durations in ms, sizes in bytes. */
export type Config = z.output<typeof configSchema>;

/** Keys whose values are secrets: never printed, never logged. */
export const SECRET_PATHS = ['slack.botToken', 'slack.appToken', 'slack.signingSecret'] as const;

export { describeValue } from './value-schemas.js';
