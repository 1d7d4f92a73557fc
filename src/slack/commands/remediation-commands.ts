// `/mem run`, `/mem runbooks`, `/mem audit [n]` and `/mem remediation on|off`: thin handlers over
// the Remediation facade (src/remediate/remediation.ts). Without it (no runbooks configured in
// this memwarden) each says so and changes nothing.
import type { Remediation } from '../../remediate/remediation.js';
import { renderAuditLog, renderRunbooks } from '../render/command-remediation.js';
import { remediationNotConfiguredNotice } from '../../remediate/remediation-notices.js';
import { type CommandContext, type CommandReply, ephemeral } from './command-context.js';
import type { MemCommand } from './parse-mem-command.js';
import { slackMessage } from '../render/render-notice.js';

type RemediationCommand = Extract<MemCommand, { kind: 'run' | 'runbooks' | 'audit' | 'remediation' }>;

export async function remediationCommand(command: RemediationCommand, context: CommandContext): Promise<CommandReply> {
  const remediation: Remediation | undefined = context.services.remediation;
  if (!remediation) return ephemeral(slackMessage(remediationNotConfiguredNotice()));
  switch (command.kind) {
    case 'run': {
      const outcome = await remediation.request({
        user: context.userId,
        runbookId: command.runbook,
        target: command.target,
        rawParams: command.params,
        channel: approvalChannel(context),
        origin: 'command',
      });
      context.logger.info({ ok: outcome.ok, code: outcome.code, requestId: outcome.requestId, runbook: command.runbook, target: command.target }, 'Remediation requested from /mem run');
      return ephemeral(slackMessage(outcome.notice));
    }
    case 'runbooks':
      return ephemeral(renderRunbooks(remediation.runbooks(), remediation.switches()));
    case 'audit':
      return ephemeral(renderAuditLog(remediation.audit(command.limit), command.limit));
    case 'remediation': {
      const outcome = remediation.setSwitch(command.on, context.userId);
      return ephemeral(slackMessage(outcome.notice));
    }
  }
}

/**
 * Where the approval message goes: the channel the command was typed in, where the requester
 * and (usually) the approvers are; a direct message has no approvers in it, so then the default
 * channel.
 */
function approvalChannel(context: CommandContext): string {
  const typedIn = context.channelId;
  const fallback = context.services.config.slack.channels.default;
  if (typedIn === undefined || (typedIn.startsWith('D') && fallback !== undefined)) return fallback ?? typedIn ?? '';
  return typedIn;
}
