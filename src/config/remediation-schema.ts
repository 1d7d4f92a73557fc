// The `remediation:` section: the global switches of approved remediations and where their
// runbooks live. Every key has a default; memwarden.example.yml documents each one. What a
// remediation may do, to which containers and who approves it are not here: that is each
// runbook's (commands/<id>.yml), reviewed like code.
import { z } from 'zod';
import { durationSchema } from './value-schemas.js';

const DAY_MS = 24 * 3_600_000;

export const remediationSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'false: every remediation is off, whatever an admin switched in Slack (an emergency stop: change the file and restart memwarden). true: on, and admins may switch it off and on with /mem remediation off|on (stored in the database and audited).',
      ),
    dryRunOnly: z.boolean().default(false).describe('Every request is a dry run: approvers see exactly what would run, and nothing does.'),
    requestTtl: durationSchema
      .pipe(z.number().refine((ms) => ms >= 60_000 && ms <= DAY_MS, 'expected a duration from 1m to 24h'))
      .prefault('15m')
      .describe('How long a request waits for its approvals before it expires (1m to 24h).'),
    requestLimits: z
      .strictObject({
        perUser: z.number().int().min(1).max(1000).default(5).describe('Requests one person may make within the window (refusals do not count).'),
        perRunbook: z.number().int().min(1).max(1000).default(10).describe('Requests of one runbook, by anyone, within the window.'),
        window: durationSchema
          .pipe(z.number().refine((ms) => ms >= 60_000 && ms <= DAY_MS, 'expected a duration from 1m to 24h'))
          .prefault('1h')
          .describe('The window the two limits count in (1m to 24h).'),
      })
      .prefault({})
      .describe('Limits on new requests, so a flood of /mem run does not ping every approver each time. A request identical to one still waiting for approval is never made twice.'),
    runbooksDir: z.string().min(1).default('commands').describe('The runbook files (<id>.yml), relative to the working directory.'),
    verifyAfterDefault: durationSchema
      .pipe(z.number().refine((ms) => ms <= DAY_MS, 'expected a duration from 0s to 24h'))
      .prefault('60s')
      .describe('When to verify a remediation whose runbook has no verify.after (0s to 24h).'),
  })
  .prefault({});

export type RemediationConfig = z.output<typeof remediationSchema>;
