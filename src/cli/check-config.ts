import { stringify } from 'yaml';
import { type LoadedConfig, redactConfig } from '../config/load-config.js';
import { type CliIo, EXIT } from './cli-io.js';

/** `memwarden check-config`: the effective configuration, secrets hidden. */
export function checkConfig(loaded: LoadedConfig, io: CliIo, json: boolean): number {
  const printable = redactConfig(loaded.config);
  if (json) {
    io.out(JSON.stringify({ ok: true, file: loaded.file, config: printable }, null, 2));
    return EXIT.ok;
  }
  io.out(`Configuration OK (${loaded.file ?? 'no file; defaults and environment'})`);
  io.out('Durations are in milliseconds and sizes in bytes below.\n');
  io.out(stringify(printable));
  return EXIT.ok;
}
