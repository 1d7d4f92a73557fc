// The one schema for memwarden's configuration. Every key has a default that works out of the
// box; unknown keys are errors because a typo must never silently do nothing.
import { z } from 'zod';
import { alertsSchema } from './alerts-schema.js';
import { diagnosisSchema } from './diagnosis-schema.js';
import { digestSchema } from './digest-schema.js';
import { remediationSchema } from './remediation-schema.js';
import { durationSchema, SLACK_GROUP, SLACK_USER } from './value-schemas.js';

/** No silence lasts longer than this, an admin's neither (/mem silence takes up to 30d). */
export const SILENCE_LIMIT_MS = 30 * 86_400_000;

const DAY_MS = 86_400_000;
const slackId = z.string().regex(/^[A-Z0-9][A-Z0-9_-]{1,40}$/i, 'expected a Slack id such as "C0123ABCD"');
const channel = z.string().min(1).max(80);

export const configSchema = z.strictObject({
  slack: z
    .strictObject({
      botToken: z
        .string()
        .regex(/^xoxb-/, 'expected a bot token starting with "xoxb-"')
        .optional()
        .describe('Bot User OAuth Token (xoxb-…). Without it memwarden runs in console mode and prints what it would post.'),
      appToken: z
        .string()
        .regex(/^xapp-/, 'expected an app-level token starting with "xapp-"')
        .optional()
        .describe('App-level token (xapp-…) with connections:write: Socket Mode, no public URL needed.'),
      signingSecret: z
        .string()
        .min(8)
        .optional()
        .describe('Signing secret for HTTP mode (used when there is no appToken): requests not signed by Slack are refused.'),
      apiUrl: z
        .url({ protocol: /^https?$/ })
        .optional()
        .meta({ description: 'Another Slack Web API base URL (GovSlack, a proxy).', defaultText: "Slack's own" }),
      port: z.number().int().min(1).max(65535).default(3000).describe('HTTP mode listens here, at /slack/events (ignored in Socket Mode).'),
      channels: z
        .strictObject({
          default: channel.optional().describe('Channel id (C0123ABCD) or name where alerts and the digest go; the bot must be a member.'),
          warning: channel.optional().meta({ description: 'Channel for warnings, when not the default one.', defaultText: 'slack.channels.default' }),
          critical: channel.optional().meta({ description: 'Channel for critical alerts, when not the default one.', defaultText: 'slack.channels.default' }),
        })
        .prefault({})
        .describe('Where alerts go, by severity.'),
      criticalMention: slackId.optional().describe('Slack user group id mentioned on critical alerts, e.g. "S0123ABCD".'),
      admins: z.array(slackId).default([]).describe('Slack user ids allowed to run admin commands (/mem remediation on|off) and to silence alerts for longer than slack.silence.maxDuration.'),
      silence: z
        .strictObject({
          users: z
            .array(z.string().regex(SLACK_USER, 'expected a Slack user id such as "U0123ABCD"'))
            .max(100)
            .default([])
            .describe('Slack user ids who may silence alerts, besides slack.admins; with groups also empty: anyone.'),
          groups: z
            .array(z.string().regex(SLACK_GROUP, 'expected a Slack user group id such as "S0123ABCD" or a handle such as "@oncall"'))
            .max(100)
            .default([])
            .describe('Slack user groups (ids or @handles) whose members may silence alerts; needs the usergroups:read scope.'),
          maxDuration: durationSchema
            .pipe(z.number().refine((ms) => ms >= 60_000 && ms <= SILENCE_LIMIT_MS, 'expected a duration from 1m to 30d'))
            .prefault('24h')
            .describe('The longest silence they may set (1m to 30d); slack.admins may silence for up to 30 days.'),
        })
        .prefault({})
        .describe('Who may silence alerts (/mem silence and the Silence buttons) and for how long. A silence can be ended early by whoever set it, by admins and by whoever may silence.'),
    })
    .prefault({})
    .describe('The Slack app: tokens, channels, admins. Secrets are best set in the environment.'),
  dataDir: z.string().min(1).default('./data').describe('Directory of the SQLite database (memwarden.db): history, alert state, approvals and audit.'),
  paths: z
    .strictObject({
      proc: z.string().min(1).default('/proc').describe("The host's /proc (e.g. /host/proc when memwarden runs in a container)."),
      cgroup: z.string().min(1).default('/sys/fs/cgroup').describe("The host's cgroup filesystem."),
    })
    .prefault({})
    .describe("Where the host's /proc and cgroup filesystem are visible (e.g. /host/proc in a container)."),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Least severe log level written.'),
      format: z.enum(['auto', 'json', 'pretty']).default('auto').describe('"auto" pretty-prints when stderr is a terminal and writes JSON otherwise (pretty output needs pino-pretty, a dev dependency).'),
    })
    .prefault({})
    .describe('Logging (pino) to stderr; tokens and secrets are redacted.'),
  poll: z
    .strictObject({
      interval: durationSchema.prefault('15s').describe('Time between two snapshots.'),
      sourceTimeout: durationSchema.prefault('5s').describe('Each source (host, Docker, processes) must answer within this, or is reported as failed.'),
      processes: z.boolean().default(true).describe("Read every process's smaps_rollup for PSS/USS (about 0.5 ms per process)."),
      topGroups: z.number().int().min(1).max(1000).default(50).describe('How many process groups (the largest by PSS) each poll keeps in history and exports on /metrics.'),
    })
    .prefault({})
    .describe('Snapshots: how often and what they read.'),
  history: z
    .strictObject({
      raw: durationSchema.prefault('48h').describe('Raw samples are kept this long, then rolled up.'),
      rollups: durationSchema.prefault('35d').describe('Rollups (min/avg/max per bucket) are kept this long; so are the names of containers, process groups and images not seen since.'),
      rollupInterval: durationSchema.prefault('5m').describe('Rollup bucket size.'),
      alerts: durationSchema
        .pipe(z.number().min(2 * DAY_MS, 'expected at least 2d (the digest compares two days of alerts)'))
        .prefault('35d')
        .describe('Alert transitions (the alert history), silences that ended and the Slack messages of alerts that are over are kept this long (at least 2d).'),
      outbox: durationSchema
        .pipe(z.number().min(3_600_000, 'expected at least 1h'))
        .prefault('7d')
        .describe('Slack messages sent or given up on (the outbox) are kept this long (at least 1h); the daily digest\'s sent-markers at least digest.catchUpWithin + 1d, so a restart never sends a day twice.'),
      remediations: durationSchema
        .pipe(z.number().min(DAY_MS, 'expected at least 1d'))
        .prefault('30d')
        .describe('Finished remediation requests (with their approvals, executions, follow-ups and approval messages) and the fix buttons of alerts are kept this long (at least 1d, and at least the longest runbook cooldown); an older button says it is too old. The audit log is never pruned: it is append-only.'),
    })
    .prefault({})
    .describe('Retention in the SQLite database: every table has a limit here, except the live state (alert state, the remediation switch, digest schedules) and the append-only audit log.'),
  alerts: alertsSchema.describe(
    'Alert rules. They are also the one source of the OK / HIGH / CRITICAL status levels of status and diagnose, and of what the diagnosis calls a leak, so an alert and a status column never disagree.',
  ),
  diagnosis: diagnosisSchema.describe('memwarden diagnose and the diagnosis in alerts: how fixes are sized.'),
  remediation: remediationSchema.describe('The global switches of approved remediations and where their runbooks live.'),
  digest: digestSchema.describe('The daily memory digest: the last 24 h against the 24 h before, with a chart in its thread.'),
  ops: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(9464).describe('Port of the /metrics and /healthz server; 0 turns it off.'),
      // The endpoints have no authentication, so by default only this host reaches them. The
      // image sets MEMWARDEN_OPS_HOST=0.0.0.0: a container's loopback is unreachable from outside
      // it, and the compose example publishes the port on the host's loopback.
      host: z
        .string()
        .min(1)
        .default('127.0.0.1')
        .describe('Address it listens on: 127.0.0.1, this host only (the container image sets 0.0.0.0); 0.0.0.0, every interface (there is no authentication: firewall it).'),
      pollStaleAfter: durationSchema
        .optional()
        .meta({ description: '/healthz fails when the last successful poll is older than this.', defaultText: '3 × poll.interval + poll.sourceTimeout' }),
      shutdownGrace: durationSchema
        .prefault('8s')
        .describe('On SIGTERM/SIGINT memwarden exits within this, even if a remediation is still running (Docker waits 10 s).'),
    })
    .prefault({})
    .describe('Operations: the HTTP endpoints for Prometheus and health checks, and shutdown.'),
});

/** The configuration as a file author writes it. */
export type ConfigInput = z.input<typeof configSchema>;
/** The validated configuration with defaults applied; durations in ms, sizes in bytes. */
export type Config = z.output<typeof configSchema>;

/** Keys whose values are secrets: never printed, never logged. */
export const SECRET_PATHS = ['slack.botToken', 'slack.appToken', 'slack.signingSecret'] as const;

export { describeValue } from './value-schemas.js';
