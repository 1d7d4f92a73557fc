// `/mem status [public]`: a fresh snapshot, the active alerts.
import { statusThresholds } from '../../diagnose/levels.js';
import { renderStatus } from '../render/command-status.js';
import type { CommandContext, CommandReply } from './command-context.js';
import type { MemCommand } from './parse-mem-command.js';
import { alertRows, containerRows, groupRows, hostView } from './views.js';

/** Process groups the status lists (`/mem top` shows more). */
export const STATUS_GROUPS = 5;

export async function statusCommand(command: Extract<MemCommand, { kind: 'status' }>, { services }: CommandContext): Promise<CommandReply> {
  const snapshot = await services.takeSnapshot();
  const thresholds = statusThresholds(services.config);
  const message = renderStatus({
    takenAt: Date.parse(snapshot.takenAt),
    durationMs: snapshot.durationMs,
    host: hostView(snapshot, thresholds),
    docker: { reachable: snapshot.docker.reachable, error: snapshot.docker.error ?? null },
    containers: containerRows(snapshot, thresholds),
    groups: groupRows(snapshot, STATUS_GROUPS),
    alerts: alertRows(services.alerts.activeAlerts()),
    errors: snapshot.errors.map((error) => `${error.source}: ${error.message}`),
  });
  return { message, responseType: command.public ? 'in_channel' : 'ephemeral' };
}
