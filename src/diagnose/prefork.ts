// The anatomy of a prefork group (Celery, gunicorn, uWSGI): master, pool children and what each
// child costs. A child's cost is its USS plus that of its own descendants (a task's subprocess
// dies with the child), i.e. what the kernel frees when the pool loses that child.
import type { ContainerMemory, ProcessGroup, ProcessMemory } from '../model/snapshot.js';
import type { DiagnosisContext } from './context.js';

export interface PreforkGroup {
  group: ProcessGroup;
  kind: 'celery' | 'gunicorn' | 'uwsgi';
  master: ProcessMemory | null;
  /** Direct children of the master: the pool. */
  children: ProcessMemory[];
  /** Per child: USS of its subtree; null where any process in it has no USS (rss-only). */
  childCosts: (number | null)[];
  /** Null when the master was not measured (or not found). */
  masterPssBytes: number | null;
  container: ContainerMemory | null;
}

export function preforkGroups(ctx: DiagnosisContext): PreforkGroup[] {
  const result: PreforkGroup[] = [];
  for (const group of ctx.snapshot.processGroups) {
    if (group.kind === 'process') continue;
    const members = group.pids.map((pid) => ctx.processByPid.get(pid)).filter((p): p is ProcessMemory => p !== undefined);
    const master = ctx.processByPid.get(group.masterPid) ?? null;
    const children = members.filter((p) => p.pid !== group.masterPid && p.ppid === group.masterPid);
    const childrenOf = new Map<number, ProcessMemory[]>();
    for (const p of members) {
      if (p.pid === group.masterPid) continue;
      const list = childrenOf.get(p.ppid);
      if (list) list.push(p);
      else childrenOf.set(p.ppid, [p]);
    }
    const childCosts = children.map((child) => subtreeUss(child, childrenOf));
    result.push({
      group,
      kind: group.kind,
      master,
      children,
      childCosts,
      masterPssBytes: master?.pssBytes ?? null,
      container: group.containerId === null ? null : (ctx.containerById.get(group.containerId) ?? null),
    });
  }
  return result;
}

function subtreeUss(root: ProcessMemory, childrenOf: ReadonlyMap<number, ProcessMemory[]>): number | null {
  let total = 0;
  const queue = [root];
  const seen = new Set<number>();
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i] as ProcessMemory;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    if (p.ussBytes === null) return null;
    total += p.ussBytes;
    queue.push(...(childrenOf.get(p.pid) ?? []));
  }
  return total;
}

/** Average of the known costs; null when any is unknown or there are none. */
export function averageChildCost(pf: PreforkGroup): number | null {
  if (pf.childCosts.length === 0 || pf.childCosts.some((c) => c === null)) return null;
  return (pf.childCosts as number[]).reduce((a, b) => a + b, 0) / pf.childCosts.length;
}

/** Who to name in titles: the container when there is one, else the group. */
export function whereIs(pf: PreforkGroup): string {
  return pf.container ? `${pf.group.name} in ${pf.container.name}` : pf.group.name;
}

/** The compose service (or container) name to edit. */
export function serviceName(container: ContainerMemory | null, fallback: string): string {
  return container?.composeService ?? container?.name ?? fallback;
}
