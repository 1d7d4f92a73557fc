// One measurement of a remediation target, taken the same way just before a run and again at its
// verification, so the verdict compares like with like. A figure that cannot be read stays null
// (and is logged): the verification then gives no verdict rather than a wrong one.
import { collectProcesses } from '../collect/processes.js';
import { inspectTarget, type LiveTarget } from './executors/index.js';
import type { RemediationDeps } from './remediation.js';
import type { Measurement } from './verification.js';

export interface MeasureOptions {
  /** The execution's signal: once it aborted, nothing more is read and the figures stay unknown. */
  signal?: AbortSignal;
  /** The target as inspected a moment ago (the approval's read): not asked again. */
  live?: LiveTarget;
}

/** Container usage and pool size as the executors read them (inspectTarget), group PSS from /proc. */
export async function measureTarget(
  deps: Pick<RemediationDeps, 'docker' | 'clock' | 'logger' | 'cgroupRoot' | 'procRoot'>,
  containerId: string,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const { docker, clock, logger } = deps;
  const { signal } = options;
  const m: Measurement = { at: clock(), running: null, containerUsageBytes: null, groupPssBytes: null, poolSize: null };
  if (signal?.aborted) return m;
  let masterPid: number | null = null;
  let containerName = containerId;
  try {
    const live = options.live ?? (await inspectTarget(docker, containerId, { cgroupRoot: deps.cgroupRoot, ...(signal ? { signal } : {}) }));
    containerName = live.container.name;
    m.running = live.state.running;
    m.containerUsageBytes = live.state.memoryUsageBytes;
    const worker = live.state.celeryWorkers.length === 1 ? live.state.celeryWorkers[0] : undefined;
    if (worker) {
      m.poolSize = worker.poolSize;
      masterPid = worker.masterPid;
    }
  } catch (err) {
    if (signal?.aborted) return m;
    logger.warn({ err, containerId }, 'Remediation target could not be measured');
  }
  if (m.running === true && !signal?.aborted) {
    try {
      const { groups } = await collectProcesses({ procRoot: deps.procRoot, withSmaps: true, containerNames: new Map([[containerId, containerName]]) });
      const inside = groups.filter((g) => g.containerId === containerId);
      // docker top lists host pids, as /proc does: the worker's own group, else the largest.
      const group = (masterPid === null ? undefined : inside.find((g) => g.masterPid === masterPid)) ?? inside[0];
      m.groupPssBytes = group?.pssBytes ?? null;
    } catch (err) {
      logger.warn({ err, containerId }, 'Process memory of a remediation target could not be read');
    }
  }
  m.at = clock();
  return m;
}
