// `memwarden audit` as text and JSON. Pure: audit entries in, a string or an object out.
// Entries are shown oldest first, like the tail of a log: the last N things that happened.
import Table from 'cli-table3';
import { createColors } from 'picocolors';
import { printable } from '../format/text.js';
import { formatBytes } from '../format/units.js';
import type { AuditAction, AuditEntry } from '../model/remediation.js';
import { PLAIN_TABLE } from './text-style.js';

export interface RenderAuditOptions {
  color: boolean;
  /** The database the entries came from, named in the heading. */
  source: string;
}

const BAD: ReadonlySet<AuditAction> = new Set(['refused', 'failed', 'rejected', 'expired', 'not-executed', 'switched-off']);
const GOOD: ReadonlySet<AuditAction> = new Set(['succeeded', 'approved', 'switched-on']);
/** Long details wrap in their column instead of pushing the table off the screen. */
const DETAIL_WIDTH = 60;

/** `entries` as listAudit returns them (newest first). */
export function renderAudit(entries: readonly AuditEntry[], options: RenderAuditOptions): string {
  const c = createColors(options.color);
  if (entries.length === 0) return `No remediation audit entries in ${options.source}.`;
  const chronological = [...entries].reverse();
  const table = new Table({
    head: ['Time (UTC)', 'Actor', 'Action', 'Runbook', 'Target', 'Request', 'Memory', 'Outcome / detail'],
    colWidths: [null, null, null, null, null, null, null, DETAIL_WIDTH],
    wordWrap: true,
    ...PLAIN_TABLE,
  });
  for (const entry of chronological) {
    const paint = BAD.has(entry.action) ? c.red : GOOD.has(entry.action) ? c.green : (text: string) => text;
    table.push([
      formatTime(entry.at),
      printable(entry.actor),
      paint(entry.action),
      entry.runbookId === null ? '' : `${printable(entry.runbookId)}${entry.runbookSha256 ? ` @${printable(entry.runbookSha256.slice(0, 8))}` : ''}`,
      printable(entry.target ?? ''),
      entry.requestId === null ? '' : printable(entry.requestId.slice(0, 8)),
      formatMemory(entry.beforeBytes, entry.afterBytes),
      // Details can span lines (an executor's output); the table wraps them in their column.
      printable(formatOutcome(entry), { lines: true }),
    ]);
  }
  const heading = c.bold(`Remediation audit log — ${printable(options.source)} — last ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, oldest first`);
  return `${heading}\n${table.toString()}`;
}

/** The stable JSON form (schemaVersion changes if a field changes meaning), oldest first. */
export function toAuditJson(entries: readonly AuditEntry[]) {
  return {
    schemaVersion: 1,
    entries: [...entries].reverse().map((e) => ({
      id: e.id,
      at: new Date(e.at).toISOString(),
      actor: e.actor,
      action: e.action,
      requestId: e.requestId,
      runbookId: e.runbookId,
      runbookSha256: e.runbookSha256,
      target: e.target,
      targetContainerId: e.targetContainerId,
      params: e.params,
      outcome: e.outcome,
      beforeBytes: e.beforeBytes,
      afterBytes: e.afterBytes,
      detail: e.detail,
    })),
  };
}

function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}

function formatMemory(before: number | null, after: number | null): string {
  if (before === null && after === null) return '';
  return `${formatBytes(before)} → ${formatBytes(after)}`;
}

function formatOutcome(entry: AuditEntry): string {
  const params = entry.params !== null && typeof entry.params === 'object' && Object.keys(entry.params).length > 0 ? `params ${JSON.stringify(entry.params)}` : '';
  const outcome = entry.outcome !== null && entry.outcome !== entry.action ? entry.outcome : '';
  return [outcome, entry.detail ?? '', entry.action === 'requested' ? params : ''].filter((part) => part !== '').join(': ');
}
