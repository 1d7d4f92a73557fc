// The lookups every finding needs, built once per diagnose() call.
import type { ContainerMemory, ProcessMemory, Snapshot } from '../model/snapshot.js';
import type { ContainerHistory, DiagnosisHistory, GroupHistory, Priority, Severity } from '../model/finding.js';
import type { DiagnoseOptions } from './options.js';

export interface DiagnosisContext {
  snapshot: Snapshot;
  history: DiagnosisHistory;
  options: DiagnoseOptions;
  /** snapshot.takenAt in epoch ms. */
  now: number;
  processByPid: ReadonlyMap<number, ProcessMemory>;
  containerById: ReadonlyMap<string, ContainerMemory>;
  containerHistory: (name: string) => ContainerHistory | undefined;
  groupHistory: (name: string) => GroupHistory | undefined;
}

export function createContext(snapshot: Snapshot, history: DiagnosisHistory, options: DiagnoseOptions): DiagnosisContext {
  const parsed = Date.parse(snapshot.takenAt);
  const containers = new Map(history.containers.map((c) => [c.name, c]));
  const groups = new Map(history.groups.map((g) => [g.name, g]));
  return {
    snapshot,
    history,
    options,
    now: Number.isFinite(parsed) ? parsed : 0,
    processByPid: new Map(snapshot.processes.map((p) => [p.pid, p])),
    containerById: new Map(snapshot.containers.map((c) => [c.id, c])),
    containerHistory: (name) => containers.get(name),
    groupHistory: (name) => groups.get(name),
  };
}

/** What to do first follows from how bad it is. */
export function priorityFor(severity: Severity): Priority {
  return severity === 'critical' ? 'urgent' : severity === 'warning' ? 'high' : 'medium';
}

/** Integer bytes, or null: evidence and savings never carry fractions of a byte. */
export function bytesOrNull(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : Math.round(value);
}
