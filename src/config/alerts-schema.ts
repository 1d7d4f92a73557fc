// The `alerts:` section: rule definitions merged over the defaults by id, ignore lists.
import { z } from 'zod';

export const alertsSchema = z.strictObject({}).prefault({});
