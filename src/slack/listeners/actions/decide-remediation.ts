// What Approve and Reject share: ack first, then hand the facade the request id from the button
// and the message it was on. The value is never trusted: it is only ever an id, and the request
// (runbook, target, parameters) is read back from the store. Every refusal is an ephemeral
// answer to the clicker and changes nothing; the approval message itself is updated through the
// outbox for everyone.
import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Decision } from '../../../remediate/policy.js';
import type { SlackMessage } from '../../render/block-kit-limits.js';
import { renderCommandError } from '../../render/command-help.js';
import { truncate } from '../../render/block-kit-limits.js';
import { renderRemediationNotConfigured } from '../../render/remediation-message.js';
import type { ListenerDeps } from '../listener-deps.js';
import { sendReply } from '../send-reply.js';

export function decideRemediation(deps: ListenerDeps, decision: Decision, actionId: string) {
  return async ({ ack, body, action, respond }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>): Promise<void> => {
    await ack();
    const userId = body.user.id;
    const log = deps.logger.child({ action: actionId, user: userId, channel: body.channel?.id });
    const value = action.type === 'button' && typeof action.value === 'string' ? action.value : '';
    let reply: SlackMessage;
    const remediation = deps.services.remediation;
    if (!remediation) {
      reply = renderRemediationNotConfigured();
    } else {
      try {
        const messageTs = body.message?.ts ?? body.container?.message_ts;
        const outcome = await remediation.decide({ requestId: value, user: userId, decision, ...(typeof messageTs === 'string' ? { messageTs } : {}) });
        log.info({ ok: outcome.ok, code: outcome.code, requestId: outcome.requestId ?? truncate(value, 40) }, `Remediation ${decision} button`);
        reply = outcome.message;
      } catch (err) {
        log.error({ err }, `Remediation ${decision} button failed`);
        reply = renderCommandError();
      }
    }
    await sendReply(respond, reply, { responseType: 'ephemeral', replaceOriginal: false }, log);
  };
}
