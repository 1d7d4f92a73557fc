// `/mem unsilence <id>`: end a silence early, if the silence policy lets this user
// (add-silence.ts endSilence); the channel is told who did.
import { renderUnsilenced, renderUnsilenceRefused } from '../render/command-silence.js';
import { endSilence } from './add-silence.js';
import { type CommandContext, type CommandReply, ephemeral } from './command-context.js';
import type { MemCommand } from './parse-mem-command.js';
import { silenceRow } from './views.js';

export async function unsilenceCommand(command: Extract<MemCommand, { kind: 'unsilence' }>, { services, userId, logger }: CommandContext): Promise<CommandReply> {
  const outcome = await endSilence(services, command.id, userId, logger);
  if (outcome.ok) return ephemeral(renderUnsilenced(command.id, silenceRow(outcome.silence)));
  if (outcome.missing) return ephemeral(renderUnsilenced(command.id, null));
  return ephemeral(renderUnsilenceRefused(command.id, outcome.reason));
}
