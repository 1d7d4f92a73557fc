// The `digest:` section: the daily memory digest (src/digest/). Every key has a default;
// memwarden.example.yml documents each one. The rule and the zone are checked here, with the
// parser node-schedule itself uses, because node-schedule answers a rule it cannot use with a
// silent null: a typo must stop memwarden at start, naming the key, not skip every digest.
import { z } from 'zod';
import { canonicalTimeZone, checkScheduleRule, hostTimeZone } from './schedule-values.js';
import { durationSchema } from './value-schemas.js';

export const DEFAULT_DIGEST_SCHEDULE = '0 9 * * *';

export const digestSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Whether the daily digest is scheduled (/mem digest and memwarden digest work either way).'),
    schedule: z
      .string()
      .min(1)
      .default(DEFAULT_DIGEST_SCHEDULE)
      .describe('Cron: minute hour day-of-month month day-of-week (a sixth, leading field is seconds), in digest.timezone.'),
    timezone: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "IANA zone the schedule and the digest's day and chart axis are in, e.g. Europe/Berlin.", defaultText: "the host's zone" }),
    channel: z
      .string()
      .min(1)
      .max(80)
      .optional()
      .meta({ description: 'Channel name or id the digest goes to.', defaultText: 'slack.channels.default' }),
    catchUpWithin: durationSchema
      .pipe(z.number().max(7 * 86_400_000, 'expected at most 7d'))
      .prefault('6h')
      .describe('A digest missed while memwarden was down is sent at start if it is less late than this (at most 7d), else skipped.'),
  })
  .superRefine((digest, ctx) => {
    let tz = hostTimeZone();
    if (digest.timezone !== undefined) {
      const canonical = canonicalTimeZone(digest.timezone);
      if (canonical === null) {
        ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown time zone ${JSON.stringify(digest.timezone)}; expected an IANA name such as "Europe/Berlin" or "UTC"` });
        return;
      }
      tz = canonical;
    }
    const problem = checkScheduleRule(digest.schedule, tz);
    if (problem !== null) ctx.addIssue({ code: 'custom', path: ['schedule'], message: problem });
  })
  .transform((digest) => ({
    ...digest,
    schedule: digest.schedule.trim(),
    timezone: digest.timezone === undefined ? hostTimeZone() : (canonicalTimeZone(digest.timezone) ?? digest.timezone),
  }))
  .prefault({});

export type DigestConfig = z.output<typeof digestSchema>;
