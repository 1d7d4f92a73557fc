// The `diagnosis:` section: knobs of the findings and their recommendations. Every key has a
// default; memwarden.example.yml documents each one. What a finding shares with an alert rule is
// not repeated here: the status levels and memory-leak-suspected follow `alerts.rules`
// (diagnose/levels.ts, diagnose/options.ts).
import { z } from 'zod';
import { durationSchema, percentSchema, sizeSchema } from './value-schemas.js';

const MiB = 1024 * 1024;

export const diagnosisSchema = z
  .strictObject({
    /** Prefork pools are sized to leave this share of their memory budget free. */
    headroomPercent: percentSchema.max(90).default(20),
    /** Suggested memory limits for containers that have none (and raised limits). */
    containerLimit: z
      .strictObject({
        /** Percentile of the container's usage over the last 7 days ... */
        percentile: z.number().min(50).max(100).default(99),
        /** ... times this ... */
        factor: z.number().min(1).max(10).default(1.3),
        /** ... rounded up to a multiple of this. */
        step: sizeSchema.pipe(z.number().min(MiB, 'expected at least 1MiB')).prefault('64MiB'),
        /** With less history than this the suggestion is current usage × fallbackFactor. */
        minHistory: durationSchema.prefault('24h'),
        fallbackFactor: z.number().min(1).max(10).default(1.5),
      })
      .prefault({}),
    /** image-size-growth: an image much larger than the previous one of its repository. */
    imageGrowth: z
      .strictObject({
        factor: z.number().min(1).default(1.5),
        /** ... and larger by at least this much. */
        minIncrease: sizeSchema.prefault('200MiB'),
      })
      .prefault({}),
  })
  .prefault({});

export type DiagnosisConfig = z.output<typeof diagnosisSchema>;
