// `/mem unsilence <id>`: end a silence early.
import { renderUnsilenced } from '../render/command-silence.js';
import { type CommandContext, type CommandReply, ephemeral } from './command-context.js';
import type { MemCommand } from './parse-mem-command.js';
import { silenceRow } from './views.js';

export function unsilenceCommand(command: Extract<MemCommand, { kind: 'unsilence' }>, { services, userId, logger }: CommandContext): CommandReply {
  const silence = services.alerts.listSilences(services.clock()).find((s) => s.id === command.id) ?? null;
  if (silence === null || !services.alerts.removeSilence(command.id)) return ephemeral(renderUnsilenced(command.id, null));
  logger.info({ silenceId: silence.id, rule: silence.ruleId, target: silence.target, user: userId }, 'Silence removed');
  return ephemeral(renderUnsilenced(command.id, silenceRow(silence)));
}
