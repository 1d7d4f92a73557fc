// The daily digest as a notice (model/notice.ts): the host's day, the containers, events, alerts,
// remediations and the open recommendations, each figure with its change against the day before
// (format-digest.ts). Pure. Every list is cut to a few lines and every outside name to a budget,
// and a long list is split into paragraphs, so the notice stays well within what any renderer
// shows; escaping the names is the renderer's.
import { SLACK_USER } from '../config/value-schemas.js';
import { oneLine } from '../format/one-line.js';
import { ELLIPSIS, truncate } from '../format/truncate.js';
import { formatBytes } from '../format/units.js';
import type { Notice, NoticeBlock, NoticeField, Span, Text } from '../model/notice.js';
import type { Digest, DigestRun } from './digest-data.js';
import { formatChange, formatClock, formatFigure, formatHoursMinutes, formatSignedBytes, formatValue } from './format-digest.js';

/** Lines of each list; the last one says how many more there are when it is cut. */
export const DIGEST_CONTAINERS = 8;
export const DIGEST_RUNS = 8;
export const DIGEST_RECOMMENDATIONS = 5;

export interface DigestNoticeOptions {
  /** Mention that the chart follows in the thread (the scheduled post; not /mem digest). */
  chartInThread?: boolean;
}

// Budgets (UTF-16 units) for outside text.
const NAME_MAX = 60;
const RULE_MAX = 64;
const ACTOR_MAX = 40;
const TITLE_MAX = 150;
const DETAIL_MAX = 200;
const SUMMARY_MAX = 500;
/** A paragraph of a list ends before this length, marks included (a Slack section holds 3000). */
const PARAGRAPH_MAX = 2900;
/** What a time takes at most, written out (a Slack date token with its UTC fallback). */
const TIME_MAX = 66;

export function digestNotice(digest: Digest, options: DigestNoticeOptions = {}): Notice {
  const host = digest.hostname ?? 'the host';
  const blocks: NoticeBlock[] = [
    { type: 'heading', text: `Daily memory digest: ${host}, ${digest.day}` },
    { type: 'note', lines: [['The 24 hours to ', { time: digest.to }, ` (${truncate(digest.tz, NAME_MAX)}), each figure against the 24 hours before`]] },
  ];

  if (!digest.recorded.current) {
    blocks.push({ type: 'text', text: ['memwarden recorded nothing on ', { strong: truncate(host, NAME_MAX) }, ' in these 24 hours: no figures to show. Is it running and polling?'] });
    return { summary: summary(`memwarden digest for ${host}, ${digest.day}: nothing recorded in the last 24 hours`), blocks };
  }

  const h = digest.host;
  const total = h.totalBytes === null ? '' : ` of ${formatBytes(h.totalBytes)}`;
  blocks.push({ type: 'text', text: [{ strong: 'Host' }, `${total}${digest.recorded.previous ? '' : ' · no figures for the day before, so no changes'}`], fields: hostFields(digest) });

  if (digest.containers.length > 0) {
    blocks.push(...paragraphs([{ strong: 'Containers' }, ` (${digest.containers.length}, largest peak first)`], fitLines(digest.containers, DIGEST_CONTAINERS, containerLine)));
  }

  const trends: Text[] = [];
  if (digest.topGrowers.length > 0) trends.push([{ strong: 'Top growers' }, `: ${digest.topGrowers.map((c) => `${truncate(c.name, NAME_MAX)} ${formatSignedBytes(c.growth.value)}`).join(', ')}`]);
  if (digest.leakSuspects.length > 0) {
    const suspects = digest.leakSuspects.map((c) => `${truncate(c.name, NAME_MAX)} +${formatBytes(c.leak?.slopePerHour ?? 0)}/h (R² ${(c.leak?.r2 ?? 0).toFixed(2)})`);
    trends.push([{ strong: 'Leak suspects' }, `: ${suspects.join(', ')}`]);
  }
  if (trends.length > 0) blocks.push({ type: 'text', text: joinLines(trends) });

  blocks.push({ type: 'divider' });
  const a = digest.alerts;
  const alertHead: Text = [
    { strong: 'Alerts' },
    `: ${formatValue(a.fired.value, 'count')} fired (${formatChange(a.fired, 'count')}), ` +
      `${formatValue(a.resolved.value, 'count')} resolved (${formatChange(a.resolved, 'count')}), ` +
      `${formatValue(a.silenced.value, 'count')} fired silenced (${formatChange(a.silenced, 'count')}); ` +
      `firing ${formatValue(a.firingMs.value, 'duration')} in all (${formatChange(a.firingMs, 'duration')})`,
  ];
  blocks.push(...paragraphs(alertHead, fitLines(a.top, a.top.length, alertLine)));

  const r = digest.remediations;
  const runs = fitLines(r.items, DIGEST_RUNS, (run) => runLine(run, digest.tz));
  blocks.push(...paragraphs([{ strong: 'Remediations' }, `: ${formatValue(r.runs.value, 'count')} run (${formatChange(r.runs, 'count')})`], runs));

  blocks.push(...recommendationBlocks(digest.recommendations));

  const notes: Text[] = [[`${h.samples} host samples`]];
  if (options.chartInThread) notes.push(['chart of the day in the thread']);
  blocks.push({ type: 'note', lines: notes });

  return {
    summary: summary(
      `memwarden digest for ${host}, ${digest.day}: peak used ${formatFigure(h.peakUsed, 'bytes')}, ` +
        `${formatValue(a.fired.value, 'count')} alerts fired, ${formatValue(digest.events.oomKills.value, 'count')} OOM kills, ${formatValue(r.runs.value, 'count')} remediations`,
    ),
    blocks,
  };
}

// --- pieces ---

function hostFields(digest: Digest): NoticeField[] {
  const h = digest.host;
  const field = (label: string, value: string): NoticeField => ({ label, value: [value] });
  return [
    field('Peak used', formatFigure(h.peakUsed, 'bytes')),
    field('Average used', formatFigure(h.avgUsed, 'bytes')),
    field('Lowest available', formatFigure(h.lowestAvailable, 'bytes')),
    field('Peak swap used', h.swapTotalBytes === 0 ? 'no swap configured' : formatFigure(h.peakSwapUsed, 'bytes')),
    field('Pressure (PSI some, avg60)', `avg ${formatFigure(h.avgPressureSome, 'percent')}\npeak ${formatFigure(h.peakPressureSome, 'percent')}`),
    field('Pressure (PSI full, peak)', formatFigure(h.peakPressureFull, 'percent')),
    field('OOM kills (kernel)', formatFigure(digest.events.oomKills, 'count')),
    field('Container restarts', formatFigure(digest.events.restarts, 'count')),
  ];
}

function containerLine(c: Digest['containers'][number]): Text {
  const limit = c.limitBytes === null ? 'no limit' : `limit ${formatBytes(c.limitBytes)}`;
  const events = [c.oomKills.value ? `${c.oomKills.value} OOM kill${c.oomKills.value === 1 ? '' : 's'}` : '', c.restarts.value ? `${c.restarts.value} restart${c.restarts.value === 1 ? '' : 's'}` : '']
    .filter((e) => e !== '')
    .join(', ');
  return [
    '• ',
    { strong: truncate(c.name, NAME_MAX) },
    `: peak ${formatFigure(c.peak, 'bytes')}, p95 ${formatValue(c.p95.value, 'bytes')}, growth ${formatSignedBytes(c.growth.value)}, ${limit}${events ? ` · ${events}` : ''}`,
  ];
}

function alertLine(alert: Digest['alerts']['top'][number]): Text {
  const mark = alert.severity === 'critical' ? '🔴' : '🟠';
  return [
    `${mark} `,
    { code: truncate(alert.ruleId, RULE_MAX) },
    ' on ',
    { strong: truncate(alert.target, NAME_MAX) },
    `: firing ${formatHoursMinutes(alert.firingMs)}${alert.fired > 1 ? `, fired ${alert.fired} times` : ''}${alert.firingNow ? ' (still firing)' : ''}`,
  ];
}

function runLine(run: DigestRun, tz: string): Text {
  const by: Span[] = run.requestedBy === null ? [] : [' asked by ', who(run.requestedBy)];
  const approved: Span[] = run.approvedBy.length === 0 ? [] : [', approved by ', ...run.approvedBy.flatMap((actor, i) => (i === 0 ? [who(actor)] : [', ', who(actor)]))];
  const outcome = run.outcome === 'succeeded' ? '✅ succeeded' : '❌ failed';
  const effect =
    run.beforeBytes !== null && run.afterBytes !== null
      ? `: ${formatBytes(run.beforeBytes)} → ${formatBytes(run.afterBytes)} (${formatSignedBytes(run.afterBytes - run.beforeBytes)})`
      : run.detail
        ? `: ${truncate(run.detail, DETAIL_MAX)}`
        : '';
  return [
    `• ${formatClock(run.at, tz)} `,
    { code: truncate(run.runbookId ?? 'unknown runbook', RULE_MAX) },
    ' on ',
    { strong: truncate(run.target ?? 'unknown target', NAME_MAX) },
    run.dryRun ? ' (dry run)' : '',
    ...by,
    ...approved,
    `: ${outcome}${effect}`,
  ];
}

function recommendationBlocks(recs: Digest['recommendations']): NoticeBlock[] {
  if (recs === null) return [{ type: 'text', text: [{ strong: 'Open recommendations' }, ': no diagnosis available (no snapshot yet)'] }];
  if (recs.items.length === 0) return [{ type: 'text', text: [{ strong: 'Open recommendations' }, ': none'] }];
  const unknown = recs.unknownSavings > 0 ? ` (${recs.unknownSavings} without a measured saving)` : '';
  const lines = fitLines(recs.items, DIGEST_RECOMMENDATIONS, (rec): Text => [
    '• ',
    truncate(rec.title, TITLE_MAX),
    ' on ',
    { strong: truncate(rec.target, NAME_MAX) },
    `: ${rec.estimatedSavingsBytes === null ? 'saving not measured' : `frees ~${formatBytes(rec.estimatedSavingsBytes)}`}`,
    ...(rec.runbook ? [' · runbook ', { code: truncate(rec.runbook, RULE_MAX) }] : []),
  ]);
  return paragraphs([{ strong: 'Open recommendations' }, ` (${recs.items.length}): would free about ${formatBytes(recs.savingsBytes.value)}${unknown}`], lines);
}

/** A Slack user id (runs are asked for and approved in Slack) is a mention; any other actor is a name. */
function who(actor: string): Span {
  return SLACK_USER.test(actor) ? { user: actor } : truncate(actor, ACTOR_MAX);
}

function summary(text: string): Text {
  return [truncate(oneLine(text), SUMMARY_MAX)];
}

/** At most `max` lines: all when they fit, else the first max - 1 and "…and N more". */
function fitLines<T>(items: readonly T[], max: number, line: (item: T) => Text): Text[] {
  const most = Math.max(1, Math.floor(max));
  if (items.length <= most) return items.map(line);
  return [...items.slice(0, most - 1).map(line), [`${ELLIPSIS}and ${items.length - (most - 1)} more`]];
}

/** A titled list as paragraphs: a line that would take one past PARAGRAPH_MAX starts the next. */
function paragraphs(title: Text, lines: readonly Text[]): NoticeBlock[] {
  const blocks: NoticeBlock[] = [];
  let current: Text = title;
  for (const line of lines) {
    const next = markedLength(current) === 0 ? line : joinLines([current, line]);
    if (markedLength(next) > PARAGRAPH_MAX && markedLength(current) > 0) {
      blocks.push({ type: 'text', text: current });
      current = line;
    } else {
      current = next;
    }
  }
  if (markedLength(current) > 0) blocks.push({ type: 'text', text: current });
  return blocks;
}

function joinLines(lines: readonly Text[]): Text {
  return lines.flatMap((line, i) => (i === 0 ? line : ['\n', ...line]));
}

/**
 * The length of text as the wordiest renderer writes it, before escaping: two marks around
 * emphasis and code (*…*, `…`), a mention as <@id>, a time as a date token. Measured so, a list
 * of names that need no escaping splits into paragraphs exactly where the Slack digest always
 * split it, and no paragraph nears a section's 3000 characters.
 */
function markedLength(text: Text): number {
  let length = 0;
  for (const span of text) {
    if (typeof span === 'string') length += span.length;
    else if ('strong' in span) length += 2 + (typeof span.strong === 'string' ? span.strong.length : markedLength(span.strong));
    else if ('em' in span) length += 2 + (typeof span.em === 'string' ? span.em.length : markedLength(span.em));
    else if ('code' in span) length += 2 + span.code.length;
    else if ('pre' in span) length += 6 + span.pre.length;
    else if ('user' in span) length += 3 + span.user.length;
    else if ('group' in span) length += 11 + span.group.length;
    else length += TIME_MAX;
  }
  return length;
}
