import { stringify } from 'yaml';
import { type LoadedConfig, redactConfig } from '../config/load-config.js';
import { printable } from '../format/text.js';
import { type CliIo, EXIT } from './cli-io.js';

/** `memwarden check-config`: the effective configuration, secrets hidden. */
export function checkConfig(loaded: LoadedConfig, io: CliIo, json: boolean): number {
  const redacted = redactConfig(loaded.config);
  if (json) {
    // JSON is for programs: the values exactly as they are (JSON escapes the control characters).
    io.out(JSON.stringify({ ok: true, file: loaded.file, config: redacted }, null, 2));
    return EXIT.ok;
  }
  io.out(`Configuration OK (${printable(loaded.file ?? 'no file; defaults and environment')})`);
  io.out('Durations are in milliseconds and sizes in bytes below.\n');
  io.out(printable(stringify(redacted), { lines: true }));
  return EXIT.ok;
}
