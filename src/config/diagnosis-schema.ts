// The `diagnosis:` section: knobs of the findings and their recommendations. Every key has a
// default; memwarden.example.yml documents each one. What a finding shares with an alert rule is
// not repeated here: the status levels and memory-leak-suspected follow `alerts.rules`
// (diagnose/levels.ts, diagnose/options.ts).
import { z } from 'zod';
import { durationSchema, percentSchema, sizeSchema } from './value-schemas.js';

const MiB = 1024 * 1024;

export const diagnosisSchema = z
  .strictObject({
    headroomPercent: percentSchema
      .max(90)
      .default(20)
      .describe('Prefork pools (Celery, gunicorn, uWSGI) are sized to leave this share of their memory budget free.'),
    containerLimit: z
      .strictObject({
        percentile: z.number().min(50).max(100).default(99).describe("Percentile of the container's usage over the last 7 days …"),
        factor: z.number().min(1).max(10).default(1.3).describe('… times this …'),
        step: sizeSchema
          .pipe(z.number().min(MiB, 'expected at least 1MiB'))
          .prefault('64MiB')
          .describe('… rounded up to a multiple of this (at least 1MiB).'),
        minHistory: durationSchema.prefault('24h').describe('With less history than this the suggestion is current usage × fallbackFactor.'),
        fallbackFactor: z.number().min(1).max(10).default(1.5).describe('Factor on current usage when there is less history than minHistory.'),
      })
      .prefault({})
      .describe('Suggested memory limits for containers that have none (and raised limits).'),
    imageGrowth: z
      .strictObject({
        factor: z.number().min(1).default(1.5).describe('image-size-growth: an image at least this many times larger than the previous one of its repository …'),
        minIncrease: sizeSchema.prefault('200MiB').describe('… and larger by at least this much.'),
      })
      .prefault({})
      .describe('image-size-growth: an image much larger than the previous one of its repository.'),
  })
  .prefault({});

export type DiagnosisConfig = z.output<typeof diagnosisSchema>;
