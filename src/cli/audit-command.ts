// `memwarden audit [--json] [-n N]`: the last N entries of the remediation audit log. Reads the
// bot's database; without one there is nothing to show, which is not an error.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { openDatabase } from '../store/database.js';
import { listAudit } from '../store/remediation.js';
import { type CliIo, EXIT } from './cli-io.js';
import { DATABASE_FILE } from './diagnose-command.js';
import { UsageError } from './parse-cli.js';
import { renderAudit, toAuditJson } from './render-audit.js';

export interface AuditCommandDeps {
  config: Pick<Config, 'dataDir'>;
  io: CliIo;
  color: boolean;
}

export const DEFAULT_AUDIT_ENTRIES = 50;

export function parseAuditOptions(values: Record<string, string | boolean | undefined>): { limit: number; json: boolean } {
  const rawN = values.n ?? String(DEFAULT_AUDIT_ENTRIES);
  const limit = typeof rawN === 'string' && /^\d{1,4}$/.test(rawN) ? Number(rawN) : NaN;
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`-n expects a whole number from 1 to 9999, got "${String(rawN)}"`);
  return { limit, json: values.json === true };
}

export function auditCommand(deps: AuditCommandDeps, values: Record<string, string | boolean | undefined>): number {
  const { limit, json } = parseAuditOptions(values);
  const file = join(resolve(deps.config.dataDir), DATABASE_FILE);
  if (!existsSync(file)) {
    const note = `No audit log yet: ${file} does not exist (memwarden has not run with this data directory).`;
    if (json) {
      deps.io.err(`memwarden: ${note}`);
      deps.io.out(JSON.stringify(toAuditJson([]), null, 2));
    } else {
      deps.io.out(note);
    }
    return EXIT.ok;
  }
  const db = openDatabase(file);
  try {
    const entries = listAudit(db, { limit });
    deps.io.out(json ? JSON.stringify(toAuditJson(entries), null, 2) : renderAudit(entries, { color: deps.color, source: file }));
    return EXIT.ok;
  } finally {
    // A plain close: audit only reads, so no checkpoint is forced on the bot's database.
    db.close();
  }
}
