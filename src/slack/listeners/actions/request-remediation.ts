// A fix button under an alert (action_id "remediation_request:<n>", value: an opaque
// recommendation id the alert notifier stored when it rendered the message). Ack first; the
// runbook, container and parameters are read back from the store, never from the click, and the
// request goes through the same checks as `/mem run`. The clicker is the requester and gets an
// ephemeral answer; the approval message goes to the channel of the alert.
import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ACTION } from '../../ids.js';
import type { SlackMessage } from '../../render/block-kit-limits.js';
import { truncate } from '../../render/block-kit-limits.js';
import { renderCommandError } from '../../render/command-help.js';
import { renderRemediationNotConfigured } from '../../render/remediation-message.js';
import type { ListenerDeps } from '../listener-deps.js';
import { sendReply } from '../send-reply.js';

export function requestRemediation(deps: ListenerDeps) {
  return async ({ ack, body, action, respond }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>): Promise<void> => {
    await ack();
    const userId = body.user.id;
    const channel = body.channel?.id ?? body.container?.channel_id;
    const log = deps.logger.child({ action: ACTION.requestRemediation, user: userId, channel });
    const value = action.type === 'button' && typeof action.value === 'string' ? action.value : '';
    let reply: SlackMessage;
    const remediation = deps.services.remediation;
    if (!remediation) {
      reply = renderRemediationNotConfigured();
    } else {
      try {
        const target = typeof channel === 'string' ? channel : (deps.services.config.slack.channels.default ?? '');
        const outcome = await remediation.requestFromRecommendation({ user: userId, recommendationId: value, channel: target });
        log.info({ ok: outcome.ok, code: outcome.code, requestId: outcome.requestId, value: truncate(value, 40) }, 'Remediation requested from an alert');
        reply = outcome.message;
      } catch (err) {
        log.error({ err }, 'Remediation request button failed');
        reply = renderCommandError();
      }
    }
    await sendReply(respond, reply, { responseType: 'ephemeral', replaceOriginal: false }, log);
  };
}
