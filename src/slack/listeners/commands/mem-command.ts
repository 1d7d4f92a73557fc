// `/mem`: ack at once (Slack gives 3 s), then parse, run the subcommand and answer through the
// response_url (valid 30 minutes), ephemeral unless the user asked for `status public`. Any
// failure gives the user one constant friendly text; the details go to the log.
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { dispatchMemCommand } from '../../commands/dispatch-mem-command.js';
import type { CommandReply } from '../../commands/command-context.js';
import { parseMemCommand } from '../../commands/parse-mem-command.js';
import { renderCommandError, renderUsageError } from '../../render/command-help.js';
import type { ListenerDeps } from '../listener-deps.js';
import { sendReply } from '../send-reply.js';

export function memCommand(deps: ListenerDeps) {
  return async ({ ack, command, respond }: AllMiddlewareArgs & SlackCommandMiddlewareArgs): Promise<void> => {
    await ack();
    const started = Date.now();
    const parsed = parseMemCommand(typeof command.text === 'string' ? command.text : '');
    const subcommand = parsed.ok ? parsed.command.kind : 'usage';
    const log = deps.logger.child({ command: command.command, subcommand, user: command.user_id, channel: command.channel_id });

    let reply: CommandReply;
    try {
      reply = parsed.ok
        ? await dispatchMemCommand(parsed.command, { services: deps.services, userId: command.user_id, channelId: command.channel_id, logger: log })
        : { message: renderUsageError(parsed.error), responseType: 'ephemeral' };
    } catch (err) {
      log.error({ err }, 'Slash command failed');
      reply = { message: renderCommandError(), responseType: 'ephemeral' };
    }
    const sent = await sendReply(respond, reply.message, { responseType: reply.responseType }, log);
    log.debug({ durationMs: Date.now() - started, sent }, 'Slash command answered');
  };
}
