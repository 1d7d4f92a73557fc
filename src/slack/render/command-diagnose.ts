// `/mem diagnose [container]`: the findings, worst first, each with its ranked fixes and the
// saving each one was measured to bring.
import type { Finding, Recommendation, Severity } from '../../model/finding.js';
import { formatBytes } from '../../format/units.js';
import { fitBlocks, type KnownBlock, type SlackMessage } from './block-kit-limits.js';
import { context, header, message, name, section, userText } from './command-common.js';
import { slackDate } from './render-notice.js';

export interface DiagnoseView {
  hostname: string;
  takenAt: number;
  /** The container asked about; null for the whole host. */
  container: string | null;
  /** Worst first. */
  findings: Finding[];
}

const MARK: Record<Severity, string> = { critical: '🔴', warning: '🟠', info: 'ℹ️' };
const LABEL: Record<Severity, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'note' };
/** Fixes shown per finding; the rest are in `memwarden diagnose --json`. */
const RECOMMENDATIONS_SHOWN = 3;

export function renderDiagnose(view: DiagnoseView): SlackMessage {
  const subject = view.container ?? view.hostname;
  const issues = view.findings.filter((finding) => finding.severity !== 'info');
  const critical = issues.filter((finding) => finding.severity === 'critical').length;
  const notes = view.findings.length - issues.length;
  const counts =
    view.findings.length === 0
      ? 'Nothing here needs fixing.'
      : `${issues.length} issue${issues.length === 1 ? '' : 's'} (${critical} critical), ${notes} note${notes === 1 ? '' : 's'}`;

  const head = [header(`Diagnosis of ${subject}`), section(`*${name(subject)}*: ${counts}`)];
  const items = view.findings.map(findingBlock);
  const tail = [context(`Measured ${slackDate(view.takenAt)} · savings are measured, may overlap: do not add them up blindly`)];
  const blocks = fitBlocks(head, items, tail, (hidden) => context(`…and ${hidden} more finding${hidden === 1 ? '' : 's'}: \`memwarden diagnose\` on the host lists them all`));

  const worst = view.findings[0];
  return message(`memwarden diagnosis of ${subject}: ${counts}${worst ? ` — first: ${worst.summary}` : ''}`, blocks);
}

function findingBlock(finding: Finding): KnownBlock {
  const lines = [`${MARK[finding.severity]} *${LABEL[finding.severity]}* ${userText(finding.summary, 400)}`];
  const shown = finding.recommendations.slice(0, RECOMMENDATIONS_SHOWN);
  for (const recommendation of shown) lines.push(recommendationLine(recommendation));
  const hidden = finding.recommendations.length - shown.length;
  if (hidden > 0) lines.push(`…and ${hidden} more fix${hidden === 1 ? '' : 'es'}`);
  return section(lines.join('\n'));
}

function recommendationLine(r: Recommendation): string {
  const saves = r.estimatedSavingsBytes === null ? 'saving unknown' : `saves ~${formatBytes(r.estimatedSavingsBytes)}`;
  const runbook = r.runbook === null ? '' : ` · runbook ${name(r.runbook)}`;
  return `→ *${userText(r.title, 200)}* (${r.priority}) — ${saves}${runbook}`;
}
