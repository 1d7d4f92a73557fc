// `/mem runbooks` (what memwarden may do, and who approves it) and `/mem audit [n]` (the last
// entries of the append-only audit log). Pure: plain data in, a message out.
import type { RemediationSwitches } from '../../remediate/policy.js';
import type { RunbookSummary } from '../../remediate/remediation.js';
import type { AuditAction, AuditEntry } from '../../model/remediation.js';
import { formatBytes } from '../../format/units.js';
import { escapeMrkdwn, type SlackMessage } from './block-kit-limits.js';
import { context, header, listSections, message, name, section, userText } from './command-common.js';
import { slackDate } from './render-notice.js';

export const RUNBOOKS_MAX = 30;
export const AUDIT_MAX = 50;

const AUDIT_MARK: Record<AuditAction, string> = {
  requested: '📨',
  approved: '👍',
  rejected: '🚫',
  expired: '⌛',
  executing: '▶️',
  succeeded: '✅',
  failed: '❌',
  'not-executed': '⚪',
  refused: '⛔',
  'switched-on': '🟢',
  'switched-off': '🔴',
  verified: '🔎',
};

export function renderRunbooks(runbooks: readonly RunbookSummary[], switches: RemediationSwitches): SlackMessage {
  const state = !switches.enabled
    ? switches.offInConfig
      ? '🔴 Remediation is *off* in the configuration file (`remediation.enabled: false`): it stays off until the file is changed and memwarden restarted.'
      : '🔴 Remediation is *off* for everyone (an admin: `/mem remediation on`).'
    : switches.dryRunOnly
      ? '🧪 Remediation is on in *dry-run-only* mode: requests show what would run, nothing runs.'
      : '🟢 Remediation is *on*: an enabled runbook runs after its approvers approve in Slack.';
  const blocks = [header('Runbooks: what memwarden may do'), section(state)];
  if (runbooks.length === 0) blocks.push(section('No runbooks are loaded.'));
  else blocks.push(...listSections(`*${runbooks.length} runbook${runbooks.length === 1 ? '' : 's'}*`, runbooks, RUNBOOKS_MAX, runbookLine));
  blocks.push(context(escapeMrkdwn('Request one: `/mem run <runbook> <container> [param=value ...]` · the approval message shows exactly what would run')));
  const enabled = runbooks.filter((rb) => rb.enabled).length;
  return message(`memwarden: ${runbooks.length} runbooks, ${enabled} enabled; remediation ${switches.enabled ? 'on' : 'off'}`, blocks);
}

function runbookLine(rb: RunbookSummary): string {
  const who = [...rb.approvers.users.map((u) => (/^[A-Z0-9]{2,30}$/.test(u) ? `<@${u}>` : name(u, 40))), ...rb.approvers.groups.map((g) => (/^S[A-Z0-9]{2,30}$/.test(g) ? `<!subteam^${g}>` : name(g, 40)))];
  const params = rb.params.length === 0 ? 'no parameters' : rb.params.map((p) => `\`${name(p.name, 32)}\` ${escapeMrkdwn(p.describe)}`).join(', ');
  return [
    `• ${rb.enabled ? '✅' : '⏸'} *${name(rb.id, 64)}*: ${userText(rb.title, 100)}`,
    `   ${rb.risk === 'high' ? '🔴 high risk' : '🟢 low risk'} · ${rb.enabled ? 'enabled' : 'disabled'} · approved by ${who.length === 0 ? 'nobody yet' : who.slice(0, 8).join(', ')} (${rb.required} needed${rb.risk === 'high' || !rb.allowSelfApproval ? ', not the requester' : ''}) · ${params}`,
  ].join('\n');
}

/** `entries` as listAudit returns them (newest first); shown oldest first, like the tail of a log. */
export function renderAuditLog(entries: readonly AuditEntry[], requested: number): SlackMessage {
  const blocks = [header('Remediation audit log')];
  if (entries.length === 0) {
    blocks.push(section('No remediation has been requested yet.'));
    return message('memwarden: the remediation audit log is empty', blocks);
  }
  const chronological = [...entries].reverse();
  blocks.push(...listSections(`*The last ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}*, oldest first`, chronological, AUDIT_MAX, auditLine));
  blocks.push(context(`Asked for ${requested} · the full log with parameters and runbook hashes: \`memwarden audit --json\``));
  return message(`memwarden: the last ${entries.length} remediation audit entries`, blocks);
}

function auditLine(entry: AuditEntry): string {
  const actor = /^[A-Z0-9]{2,30}$/.test(entry.actor) ? `<@${entry.actor}>` : name(entry.actor, 40);
  const what = entry.runbookId === null ? '' : ` \`${name(entry.runbookId, 64)}\`${entry.target ? ` on *${name(entry.target)}*` : ''}`;
  const memory = entry.beforeBytes === null && entry.afterBytes === null ? '' : ` · ${formatBytes(entry.beforeBytes)} → ${formatBytes(entry.afterBytes)}`;
  const detail = entry.detail ?? entry.outcome ?? '';
  return `${AUDIT_MARK[entry.action] ?? '•'} ${slackDate(entry.at)} ${actor} *${entry.action}*${what}${memory}${detail ? `: ${userText(detail, 200)}` : ''}`;
}
