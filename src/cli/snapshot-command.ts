// `memwarden status` and `memwarden top`: one snapshot, printed as text or JSON.
import type Dockerode from 'dockerode';
import { takeConfiguredSnapshot } from '../collect/collect-snapshot.js';
import type { Config } from '../config/schema.js';
import { statusThresholds } from '../diagnose/levels.js';
import { type CliIo, EXIT } from './cli-io.js';
import { renderGroups, renderStatus, type SortKey } from './render-status.js';
import { UsageError } from './parse-cli.js';
import { toStatusJson } from './status-json.js';

export interface SnapshotCommandDeps {
  config: Config;
  docker: Dockerode;
  io: CliIo;
  color: boolean;
}

function takeSnapshot(deps: SnapshotCommandDeps) {
  return takeConfiguredSnapshot(deps.docker, deps.config);
}

export async function statusCommand(deps: SnapshotCommandDeps, json: boolean): Promise<number> {
  const snapshot = await takeSnapshot(deps);
  deps.io.out(
    json
      ? JSON.stringify(toStatusJson(snapshot, { processes: false }), null, 2)
      : renderStatus(snapshot, { thresholds: statusThresholds(deps.config), color: deps.color }),
  );
  return EXIT.ok;
}

export function parseTopOptions(values: Record<string, string | boolean | undefined>): { limit: number; by: SortKey } {
  const rawN = values.n ?? '15';
  const limit = typeof rawN === 'string' && /^\d{1,4}$/.test(rawN) ? Number(rawN) : NaN;
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`-n expects a whole number from 1 to 9999, got "${String(rawN)}"`);
  const by = values.by ?? 'pss';
  if (by !== 'pss' && by !== 'rss' && by !== 'uss') throw new UsageError(`--by expects pss, rss or uss, got "${String(by)}"`);
  return { limit, by };
}

export async function topCommand(deps: SnapshotCommandDeps, values: Record<string, string | boolean | undefined>): Promise<number> {
  const { limit, by } = parseTopOptions(values);
  const snapshot = await takeSnapshot(deps);
  if (values.json === true) {
    const json = toStatusJson(snapshot, { processes: true });
    deps.io.out(JSON.stringify({ ...json, processGroups: json.processGroups.slice(0, limit) }, null, 2));
  } else {
    deps.io.out(renderGroups(snapshot, limit, by, deps.color));
  }
  return EXIT.ok;
}
