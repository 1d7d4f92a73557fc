// The `diagnosis:` section: knobs of the findings and their recommendations.
import { z } from 'zod';

export const diagnosisSchema = z.strictObject({}).prefault({});
