// `/mem top [n]`: the largest process groups by PSS.
import { renderTop } from '../render/command-top.js';
import { type CommandContext, type CommandReply, ephemeral } from './command-context.js';
import type { MemCommand } from './parse-mem-command.js';
import { groupRows } from './views.js';

export async function topCommand(command: Extract<MemCommand, { kind: 'top' }>, { services }: CommandContext): Promise<CommandReply> {
  const snapshot = await services.takeSnapshot();
  return ephemeral(
    renderTop({
      hostname: snapshot.hostname,
      takenAt: Date.parse(snapshot.takenAt),
      limit: command.limit,
      groups: groupRows(snapshot, command.limit),
      totalGroups: snapshot.processGroups.length,
    }),
  );
}
