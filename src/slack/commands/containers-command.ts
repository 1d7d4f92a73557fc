// `/mem containers`: every container with its usage, limit and level.
import { statusThresholds } from '../../diagnose/levels.js';
import { renderContainers } from '../render/command-containers.js';
import { type CommandContext, type CommandReply, ephemeral } from './command-context.js';
import { containerRows } from './views.js';

export async function containersCommand({ services }: CommandContext): Promise<CommandReply> {
  const snapshot = await services.takeSnapshot();
  return ephemeral(
    renderContainers({
      hostname: snapshot.hostname,
      takenAt: Date.parse(snapshot.takenAt),
      docker: { reachable: snapshot.docker.reachable, error: snapshot.docker.error ?? null },
      containers: containerRows(snapshot, statusThresholds(services.config)),
      hostTotalBytes: snapshot.host.totalBytes,
    }),
  );
}
