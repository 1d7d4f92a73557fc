// The JSON that `status --json` and `top --json` print: a stable contract for other tools
// (documented in the README). Bytes are integers; unknown figures are null.
import type { Snapshot } from '../model/snapshot.js';

export const STATUS_JSON_VERSION = 1;

export function toStatusJson(snapshot: Snapshot, options: { processes: boolean }) {
  return {
    schemaVersion: STATUS_JSON_VERSION,
    takenAt: snapshot.takenAt,
    hostname: snapshot.hostname,
    durationMs: snapshot.durationMs,
    host: snapshot.host,
    docker: snapshot.docker,
    containers: snapshot.containers,
    processGroups: snapshot.processGroups,
    ...(options.processes ? { processes: snapshot.processes } : {}),
    bot: snapshot.bot,
    errors: snapshot.errors,
  };
}
