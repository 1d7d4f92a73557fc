// `memwarden diagnose [--json]`: one snapshot, the history the bot has recorded (when its
// database exists), the findings. Without history it diagnoses from the snapshot alone and says so.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { takeConfiguredSnapshot } from '../collect/collect-snapshot.js';
import type { Snapshot } from '../model/snapshot.js';
import type { Config } from '../config/schema.js';
import { diagnose } from '../diagnose/diagnose.js';
import { loadDiagnosisHistory } from '../diagnose/load-history.js';
import { diagnoseOptions } from '../diagnose/options.js';
import { type DiagnosisHistory, emptyDiagnosisHistory } from '../model/finding.js';
import { openDatabase } from '../store/database.js';
import { StoreError } from '../store/store-error.js';
import { type CliIo, EXIT } from './cli-io.js';
import { renderDiagnosis, toDiagnosisJson } from './render-diagnosis.js';

export interface DiagnoseCommandDeps {
  config: Config;
  docker: Dockerode;
  io: CliIo;
  color: boolean;
  /** Tests pass a snapshot; otherwise one is taken now. */
  takeSnapshot?: () => Promise<Snapshot>;
}

export const DATABASE_FILE = 'memwarden.db';

export async function diagnoseCommand(deps: DiagnoseCommandDeps, json: boolean): Promise<number> {
  const { config } = deps;
  const snapshot = await (deps.takeSnapshot ?? (() => takeConfiguredSnapshot(deps.docker, config)))();
  // Built once: the status levels and the leak settings come from the resolved alert rules.
  const options = diagnoseOptions(config);
  const { history, note } = readHistory(join(resolve(config.dataDir), DATABASE_FILE), snapshot, options.leak?.windowMs ?? null);
  const findings = diagnose(snapshot, history, options);
  if (json) {
    if (history.source === 'none') deps.io.err(`memwarden: ${note}`);
    deps.io.out(JSON.stringify(toDiagnosisJson(findings), null, 2));
  } else {
    deps.io.out(renderDiagnosis(snapshot, findings, { thresholds: options.thresholds, color: deps.color, historyNote: note }));
  }
  return EXIT.ok;
}

/** The history, or none with the reason: a missing, locked or damaged database never stops a diagnosis. */
export function readHistory(file: string, snapshot: Snapshot, leakWindowMs: number | null = null): { history: DiagnosisHistory; note: string } {
  const alone = 'diagnosed from this snapshot alone: limits from current usage, no trends, peaks or image history';
  if (!existsSync(file)) {
    return { history: emptyDiagnosisHistory(), note: `No history yet (${file} does not exist): ${alone}.` };
  }
  let db;
  try {
    db = openDatabase(file);
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    return { history: emptyDiagnosisHistory(), note: `History unavailable (${err.message}): ${alone}.` };
  }
  try {
    const history = loadDiagnosisHistory(db, snapshot, leakWindowMs);
    const samples = history.containers.reduce((n, c) => n + c.week.length, 0) + history.groups.reduce((n, g) => n + g.pss.length, 0);
    return { history, note: `History: ${file} (${samples} points over the last 7 days).` };
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    return { history: emptyDiagnosisHistory(), note: `History unavailable (${err.message}): ${alone}.` };
  } finally {
    // A plain close: diagnose only reads, so no checkpoint is forced on the bot's database.
    db.close();
  }
}
