// The daily digest as a Slack message: the host's day, the containers, events, alerts,
// remediations and the open recommendations, each figure with its change against the day before.
// Pure: a Digest (digest/digest-data.ts) in, a SlackMessage out, inside the Block Kit limits
// (every list is cut, every outside name escaped and shortened).
import type { Digest, DigestRun } from '../../digest/digest-data.js';
import { formatChange, formatClock, formatFigure, formatHoursMinutes, formatSignedBytes, formatValue } from '../../digest/format-digest.js';
import { formatBytes } from '../../format/units.js';
import { BLOCK_KIT_LIMITS, type KnownBlock, type SlackMessage } from './block-kit-limits.js';
import { context, divider, header, listSections, message, name, section, slackDate, userText } from './command-common.js';

export const DIGEST_CONTAINERS = 8;
export const DIGEST_RUNS = 8;
export const DIGEST_RECOMMENDATIONS = 5;

export interface DigestMessageOptions {
  /** Mention that the chart follows in the thread (the scheduled post; not /mem digest). */
  chartInThread?: boolean;
}

export function renderDigestMessage(digest: Digest, options: DigestMessageOptions = {}): SlackMessage {
  const host = digest.hostname ?? 'the host';
  const blocks: KnownBlock[] = [
    header(`Daily memory digest: ${host}, ${digest.day}`),
    context(`The 24 hours to ${slackDate(digest.to)} (${name(digest.tz, 60)}), each figure against the 24 hours before`),
  ];

  if (!digest.recorded.current) {
    blocks.push(section(`memwarden recorded nothing on *${name(host)}* in these 24 hours: no figures to show. Is it running and polling?`));
    return message(`memwarden digest for ${host}, ${digest.day}: nothing recorded in the last 24 hours`, blocks);
  }

  const h = digest.host;
  const total = h.totalBytes === null ? '' : ` of ${formatBytes(h.totalBytes)}`;
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: `*Host*${total}${digest.recorded.previous ? '' : ' · no figures for the day before, so no changes'}` },
    fields: [
      field('Peak used', formatFigure(h.peakUsed, 'bytes')),
      field('Average used', formatFigure(h.avgUsed, 'bytes')),
      field('Lowest available', formatFigure(h.lowestAvailable, 'bytes')),
      field('Peak swap used', h.swapTotalBytes === 0 ? 'no swap configured' : formatFigure(h.peakSwapUsed, 'bytes')),
      field('Pressure (PSI some, avg60)', `avg ${formatFigure(h.avgPressureSome, 'percent')}\npeak ${formatFigure(h.peakPressureSome, 'percent')}`),
      field('Pressure (PSI full, peak)', formatFigure(h.peakPressureFull, 'percent')),
      field('OOM kills (kernel)', formatFigure(digest.events.oomKills, 'count')),
      field('Container restarts', formatFigure(digest.events.restarts, 'count')),
    ],
  });

  if (digest.containers.length > 0) {
    blocks.push(
      ...listSections(`*Containers* (${digest.containers.length}, largest peak first)`, digest.containers, DIGEST_CONTAINERS, (c) => {
        const limit = c.limitBytes === null ? 'no limit' : `limit ${formatBytes(c.limitBytes)}`;
        const events = [c.oomKills.value ? `${c.oomKills.value} OOM kill${c.oomKills.value === 1 ? '' : 's'}` : '', c.restarts.value ? `${c.restarts.value} restart${c.restarts.value === 1 ? '' : 's'}` : '']
          .filter((e) => e !== '')
          .join(', ');
        return `• *${name(c.name)}*: peak ${formatFigure(c.peak, 'bytes')}, p95 ${formatValue(c.p95.value, 'bytes')}, growth ${formatSignedBytes(c.growth.value)}, ${limit}${events ? ` · ${events}` : ''}`;
      }),
    );
  }

  const trends: string[] = [];
  if (digest.topGrowers.length > 0) trends.push(`*Top growers*: ${digest.topGrowers.map((c) => `${name(c.name)} ${formatSignedBytes(c.growth.value)}`).join(', ')}`);
  if (digest.leakSuspects.length > 0) {
    trends.push(`*Leak suspects*: ${digest.leakSuspects.map((c) => `${name(c.name)} +${formatBytes(c.leak?.slopePerHour ?? 0)}/h (R² ${(c.leak?.r2 ?? 0).toFixed(2)})`).join(', ')}`);
  }
  if (trends.length > 0) blocks.push(section(trends.join('\n')));

  blocks.push(divider());
  const a = digest.alerts;
  const alertHead =
    `*Alerts*: ${formatValue(a.fired.value, 'count')} fired (${formatChange(a.fired, 'count')}), ` +
    `${formatValue(a.resolved.value, 'count')} resolved (${formatChange(a.resolved, 'count')}), ` +
    `${formatValue(a.silenced.value, 'count')} fired silenced (${formatChange(a.silenced, 'count')}); ` +
    `firing ${formatValue(a.firingMs.value, 'duration')} in all (${formatChange(a.firingMs, 'duration')})`;
  blocks.push(
    ...listSections(alertHead, a.top, a.top.length, (alert) => {
      const mark = alert.severity === 'critical' ? '🔴' : '🟠';
      return `${mark} \`${name(alert.ruleId, 64)}\` on *${name(alert.target)}*: firing ${formatHoursMinutes(alert.firingMs)}${alert.fired > 1 ? `, fired ${alert.fired} times` : ''}${alert.firingNow ? ' (still firing)' : ''}`;
    }),
  );

  const r = digest.remediations;
  blocks.push(
    ...listSections(`*Remediations*: ${formatValue(r.runs.value, 'count')} run (${formatChange(r.runs, 'count')})`, r.items, DIGEST_RUNS, (run) => runLine(run, digest.tz)),
  );

  const recs = digest.recommendations;
  if (recs === null) {
    blocks.push(section('*Open recommendations*: no diagnosis available (no snapshot yet)'));
  } else if (recs.items.length === 0) {
    blocks.push(section('*Open recommendations*: none'));
  } else {
    const unknown = recs.unknownSavings > 0 ? ` (${recs.unknownSavings} without a measured saving)` : '';
    blocks.push(
      ...listSections(
        `*Open recommendations* (${recs.items.length}): would free about ${formatBytes(recs.savingsBytes.value)}${unknown}`,
        recs.items,
        DIGEST_RECOMMENDATIONS,
        (rec) =>
          `• ${userText(rec.title, 150)} on *${name(rec.target)}*: ${rec.estimatedSavingsBytes === null ? 'saving not measured' : `frees ~${formatBytes(rec.estimatedSavingsBytes)}`}${rec.runbook ? ` · runbook \`${name(rec.runbook, 64)}\`` : ''}`,
      ),
    );
  }

  const notes = [`${h.samples} host samples`];
  if (options.chartInThread) notes.push('chart of the day in the thread');
  blocks.push(context(...notes));

  const text =
    `memwarden digest for ${host}, ${digest.day}: peak used ${formatFigure(h.peakUsed, 'bytes')}, ` +
    `${formatValue(a.fired.value, 'count')} alerts fired, ${formatValue(digest.events.oomKills.value, 'count')} OOM kills, ${formatValue(r.runs.value, 'count')} remediations`;
  return message(text, blocks.slice(0, BLOCK_KIT_LIMITS.messageBlocks));
}

function field(title: string, value: string) {
  return { type: 'mrkdwn' as const, text: `*${title}*\n${value}` };
}

function who(actor: string): string {
  return /^[UW][A-Z0-9]{2,20}$/.test(actor) ? `<@${actor}>` : name(actor, 40);
}

function runLine(run: DigestRun, tz: string): string {
  const what = `\`${name(run.runbookId ?? 'unknown runbook', 64)}\` on *${name(run.target ?? 'unknown target')}*`;
  const by = run.requestedBy === null ? '' : ` asked by ${who(run.requestedBy)}`;
  const approved = run.approvedBy.length === 0 ? '' : `, approved by ${run.approvedBy.map(who).join(', ')}`;
  const outcome = run.outcome === 'succeeded' ? '✅ succeeded' : '❌ failed';
  const effect =
    run.beforeBytes !== null && run.afterBytes !== null
      ? `: ${formatBytes(run.beforeBytes)} → ${formatBytes(run.afterBytes)} (${formatSignedBytes(run.afterBytes - run.beforeBytes)})`
      : run.detail
        ? `: ${userText(run.detail, 200)}`
        : '';
  return `• ${formatClock(run.at, tz)} ${what}${run.dryRun ? ' (dry run)' : ''}${by}${approved}: ${outcome}${effect}`;
}
