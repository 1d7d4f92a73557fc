// What every remediation button shares: ack first (Slack wants it within 3 s), read the button's
// value (only ever an id: the request or recommendation behind it is read back from the store),
// ask the facade, and answer the clicker ephemerally. Not configured, refused or failed: the
// clicker is told and nothing changes.
import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Logger } from '../../../log/logger.js';
import type { Remediation, RemediationAnswer } from '../../../remediate/remediation.js';
import type { SlackMessage } from '../../render/block-kit-limits.js';
import { renderCommandError } from '../../render/command-help.js';
import { remediationNotConfiguredNotice } from '../../../remediate/remediation-notices.js';
import type { ListenerDeps } from '../listener-deps.js';
import { sendReply } from '../send-reply.js';
import { slackMessage } from '../../render/render-notice.js';

export interface ButtonClick {
  userId: string;
  /** The button's value; '' when it has none. */
  value: string;
  /** Where the button was: the channel and the message. */
  channel: string | undefined;
  messageTs: string | undefined;
  log: Logger;
}

export interface RemediationButton {
  actionId: string;
  /** Names the click in the logs, e.g. "Remediation approve button". */
  what: string;
  handle: (remediation: Remediation, click: ButtonClick) => Promise<RemediationAnswer>;
  /** What the success log line says about the answer besides ok and code. */
  logFields: (answer: RemediationAnswer, click: ButtonClick) => Record<string, unknown>;
}

export function remediationButton(deps: ListenerDeps, button: RemediationButton) {
  return async ({ ack, body, action, respond }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>): Promise<void> => {
    await ack();
    const channel = body.channel?.id ?? body.container?.channel_id;
    const messageTs = body.message?.ts ?? body.container?.message_ts;
    const click: ButtonClick = {
      userId: body.user.id,
      value: action.type === 'button' && typeof action.value === 'string' ? action.value : '',
      channel: typeof channel === 'string' ? channel : undefined,
      messageTs: typeof messageTs === 'string' ? messageTs : undefined,
      log: deps.logger.child({ action: button.actionId, user: body.user.id, channel }),
    };
    let reply: SlackMessage;
    const remediation = deps.services.remediation;
    if (!remediation) {
      reply = slackMessage(remediationNotConfiguredNotice());
    } else {
      try {
        const answer = await button.handle(remediation, click);
        click.log.info({ ok: answer.ok, code: answer.code, ...button.logFields(answer, click) }, button.what);
        reply = slackMessage(answer.notice);
      } catch (err) {
        click.log.error({ err }, `${button.what} failed`);
        reply = renderCommandError();
      }
    }
    await sendReply(respond, reply, { responseType: 'ephemeral', replaceOriginal: false }, click.log);
  };
}
