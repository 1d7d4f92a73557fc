// memwarden's own critical alert, as notices (model/notice.ts): it cannot write its database (a
// full disk, a read-only file). One parent per episode, updated when the database takes writes
// again, with one reply in its thread saying so. The summary starts with the sentence people
// search logs for. Pure; SQLite's reason and the file name are cut to budgets here.
import { formatDuration } from '../config/units.js';
import { truncate } from '../format/truncate.js';
import type { Notice, Span } from '../model/notice.js';

export interface StoreAlertView {
  /** SQLite's words, e.g. "SQLITE_FULL: database or disk is full". */
  reason: string;
  /** Epoch ms of the first refused write. */
  since: number;
  /** Epoch ms of the poll whose writes all went through again; null while it lasts. */
  resolvedAt: number | null;
  /** The data directory's database file, to say where space is needed. */
  file: string;
  /** Slack user group mentioned while it lasts (slack.criticalMention), or null. */
  mention: string | null;
}

const REASON_MAX = 300;
const FILE_MAX = 200;

function storeAlertSentence(reason: string): string {
  return `memwarden cannot write its database (${truncate(reason, REASON_MAX)})`;
}

/** The parent: what, what still works, what to do; once resolved, after how long. */
export function storeAlertParentNotice(view: StoreAlertView): Notice {
  const sentence = storeAlertSentence(view.reason);
  const resolvedAt = view.resolvedAt;
  const mention: Span[] = resolvedAt === null && view.mention !== null ? [{ group: view.mention }] : [];
  const body: Span[] =
    resolvedAt !== null
      ? ['It could write again ', { time: resolvedAt }, `, after ${lasted(view.since, resolvedAt)}. What it held in memory meanwhile is in the database now.`]
      : [
          'Alerts are still evaluated and sent. What memwarden could not store (history, alert state, queued Slack messages) is held in memory and written once the database takes writes again; if memwarden stops before then, queued messages not yet sent are lost. Free space on the disk of its data directory, or make the file writable.',
        ];
  return {
    summary: resolvedAt !== null ? [`Resolved: ${sentence}`] : [sentence, ...(mention.length > 0 ? [' ', ...mention] : [])],
    blocks: [
      { type: 'heading', text: resolvedAt !== null ? '✅ Resolved: memwarden could not write its database' : '🔴 memwarden cannot write its database' },
      { type: 'text', text: [...(mention.length > 0 ? [...mention, ' '] : []), { strong: sentence }, '\n', ...body] },
      { type: 'note', lines: [['Since ', { time: view.since }, ' · ', { code: truncate(view.file, FILE_MAX) }]] },
    ],
  };
}

/** The reply in the parent's thread when the database takes writes again. */
export function storeAlertResolvedNotice(view: StoreAlertView & { resolvedAt: number }): Notice {
  const text = `✅ memwarden can write its database again, after ${lasted(view.since, view.resolvedAt)}`;
  return { summary: [text], blocks: [{ type: 'text', text: [`${text}.`] }] };
}

/** "2m"; at least "1s", never "0ms" for an episode shorter than a second. */
function lasted(since: number, resolvedAt: number): string {
  return formatDuration(Math.max(1000, resolvedAt - since));
}
