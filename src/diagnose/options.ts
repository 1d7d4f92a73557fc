import type { Config } from '../config/schema.js';
import { statusThresholds } from './levels.js';
import type { DiagnoseOptions } from './types.js';

/** diagnose()'s options from the configuration. */
export function diagnoseOptions(config: Config): DiagnoseOptions {
  return { thresholds: statusThresholds(config), diagnosis: config.diagnosis };
}
