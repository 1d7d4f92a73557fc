// What every /mem subcommand handler gets, and what it gives back.
import type { Logger } from '../../log/logger.js';
import type { BotServices } from '../bot-services.js';
import type { SlackMessage } from '../render/block-kit-limits.js';

export interface CommandContext {
  services: BotServices;
  /** The Slack user who ran the command (e.g. "U0123ABCD"). */
  userId: string;
  /** The channel it was typed in (where `/mem run` posts the approval message). */
  channelId?: string;
  logger: Logger;
}

export interface CommandReply {
  message: SlackMessage;
  /** ephemeral: only the user sees it; in_channel: posted for everyone (`status public`). */
  responseType: 'ephemeral' | 'in_channel';
}

export function ephemeral(message: SlackMessage): CommandReply {
  return { message, responseType: 'ephemeral' };
}
