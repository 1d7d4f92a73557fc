// Answer through the response_url, never failing the listener: a message that breaks a Block
// Kit limit goes out as its plain-text fallback (Slack would refuse the whole message), and a
// response_url that fails is logged (it expires after 30 minutes and 5 uses).
import type { RespondArguments, RespondFn } from '@slack/bolt';
import type { Logger } from '../../log/logger.js';
import { checkBlockKitLimits, type SlackMessage } from '../render/block-kit-limits.js';

export interface ReplyOptions {
  responseType: 'ephemeral' | 'in_channel';
  /** For an interaction: false posts a new message instead of replacing the one clicked. */
  replaceOriginal?: boolean;
}

export async function sendReply(respond: RespondFn, message: SlackMessage, options: ReplyOptions, log: Logger): Promise<boolean> {
  const problems = checkBlockKitLimits(message);
  if (problems.length > 0) log.error({ problems }, 'Rendered message breaks Block Kit limits: sending its text only');
  const body: RespondArguments = {
    response_type: options.responseType,
    ...(options.replaceOriginal === undefined ? {} : { replace_original: options.replaceOriginal }),
    text: message.text,
    ...(problems.length > 0 ? {} : { blocks: message.blocks }),
  };
  try {
    await respond(body);
    return true;
  } catch (err) {
    log.error({ err }, 'Could not answer through the response_url');
    return false;
  }
}
