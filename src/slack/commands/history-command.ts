// `/mem history <container|host> [6h|24h|7d]`: the stored series over the window.
import { summarizeHistory } from '../../store/history.js';
import { renderHistory } from '../render/command-history.js';
import { type CommandContext, type CommandReply, ephemeral } from './command-context.js';
import { HISTORY_WINDOW_MS, type MemCommand } from './parse-mem-command.js';

export function historyCommand(command: Extract<MemCommand, { kind: 'history' }>, { services }: CommandContext): CommandReply {
  const toMs = services.clock();
  const fromMs = toMs - HISTORY_WINDOW_MS[command.window];
  const hostname = services.latestSnapshot()?.hostname ?? 'host';
  const target = command.target.kind === 'host' ? { kind: 'host' as const, name: hostname } : { kind: 'container' as const, name: command.target.name };
  const points = services.history(target, fromMs, toMs);
  return ephemeral(renderHistory({ target, window: command.window, fromMs, toMs, points, summary: summarizeHistory(points) }));
}
