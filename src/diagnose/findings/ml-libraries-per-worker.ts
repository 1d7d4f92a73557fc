// ml-libraries-per-worker: heavy ML libraries (torch, paddle, tensorflow, onnxruntime, opencv)
// mapped in every child of a prefork pool. The libraries' code is file-backed and shared, but
// what they allocate (runtimes, loaded models, buffers) is private to each child, so every child
// pays for it: the pattern behind "each worker takes 1.5 GB" in the incident report. The figures
// are the libraries' mapped sizes (virtual, from /proc/<pid>/maps), not resident memory.
import { formatBytes } from '../../format/units.js';
import { bytesOrNull, type DiagnosisContext } from '../context.js';
import { averageChildCost, preforkGroups, serviceName, whereIs } from '../prefork.js';
import { seriesMin } from '../series.js';
import { MiB } from '../sizing.js';
import type { Finding, Recommendation } from '../../model/finding.js';

export const HEAVY_ML_LIBRARIES: readonly string[] = ['torch', 'paddle', 'tensorflow', 'onnxruntime', 'opencv'];

/** A restart is only worth proposing when it frees at least this much (and 10% of the group). */
const MIN_RESTART_SAVING = 64 * MiB;

export function findMlLibrariesPerWorker(ctx: DiagnosisContext): Finding[] {
  const findings: Finding[] = [];
  for (const pf of preforkGroups(ctx)) {
    if (pf.children.length === 0) continue;
    const inEveryChild = HEAVY_ML_LIBRARIES.filter((name) => pf.children.every((c) => c.mlLibraries.some((l) => l.name === name)));
    if (inEveryChild.length === 0) continue;
    const members = [pf.master, ...pf.children].filter((p) => p !== null);
    const mapped = (name: string) => Math.max(0, ...members.map((p) => p.mlLibraries.find((l) => l.name === name)?.mappedBytes ?? 0));
    const inMaster = pf.master !== null && inEveryChild.every((name) => pf.master?.mlLibraries.some((l) => l.name === name));
    const totalMapped = inEveryChild.reduce((sum, name) => sum + mapped(name), 0);
    const childUss = averageChildCost(pf);
    const libs = inEveryChild.map((name) => `${name} ${formatBytes(mapped(name))}`).join(', ');
    const app = pf.group.celery?.app ?? 'app';
    const service = serviceName(pf.container, pf.group.name);
    const isCelery = pf.kind === 'celery';

    const recommendations: Recommendation[] = [];
    const restart = isCelery ? restartSaving(ctx, pf.group.name, pf.group.pssBytes) : null;
    if (restart !== null) {
      recommendations.push({
        title: `Restart ${pf.group.name} to drop what its children have accumulated`,
        priority: 'high',
        estimatedSavingsBytes: restart.saving,
        runbook: 'restart-celery-worker',
        detail: `The group held ${formatBytes(restart.min)} at its lowest in the last 24 h and holds ${formatBytes(pf.group.pssBytes)} now: a restart returns it to about the former. It comes back as the children load their models again, so pair it with the settings below. A busy worker loses its running tasks on restart unless tasks are acked late.`,
      });
    }
    recommendations.push({
      title: 'Load ML models lazily, only in the tasks that need them, and release them after',
      priority: 'high',
      estimatedSavingsBytes: null,
      runbook: null,
      steps: [
        'class OCRService:',
        '    _model = None',
        '    @classmethod',
        '    def model(cls):',
        '        if cls._model is None:',
        '            cls._model = load_model()   # first use in this child, not at import time',
        '        return cls._model',
        '    @classmethod',
        '    def clear(cls):',
        '        cls._model = None',
        '        gc.collect()',
      ],
      detail: `${inMaster ? 'The master maps them too, so they are imported at module level' : 'The master does not map them, so every child imports them after the fork and nothing is shared'}; whatever the libraries allocate is then private to each of the ${pf.children.length} children (now ${formatBytes(childUss)} private per child on average). Import the heavy modules inside the tasks that use them, keep them out of workers that never run such tasks, and drop models after use. Saving unknown until measured after the change.`,
    });
    if (isCelery) {
      recommendations.push({
        title: 'Recycle children before they grow: worker_max_tasks_per_child and worker_max_memory_per_child',
        priority: 'high',
        estimatedSavingsBytes: null,
        runbook: null,
        steps: [
          `${app}.conf.update(`,
          '    worker_max_tasks_per_child=20,',
          `    worker_max_memory_per_child=${recycleKib(pf.children)},  # KiB (not bytes): peak RSS checked after each task`,
          '    worker_prefetch_multiplier=1,',
          '    task_acks_late=True,',
          ')',
        ],
        detail: 'A recycled child starts from the master\'s pages again, so memory the libraries keep between tasks is given back every N tasks, or as soon as a child passes the memory bound. Celery compares worker_max_memory_per_child (in KiB) with the child\'s peak RSS after each task.',
      });
    }
    recommendations.push({
      title: 'Run the ML tasks on a worker of their own with concurrency 1',
      priority: 'medium',
      estimatedSavingsBytes: null,
      runbook: null,
      steps: isCelery
        ? [
            '# docker-compose.yml',
            `${service}-ml:`,
            `  command: celery -A ${app} worker -Q ml --concurrency=1`,
            '  deploy: { resources: { limits: { memory: <its measured peak × 1.3> } } }',
            `${service}:`,
            `  command: celery -A ${app} worker -Q default --concurrency=2   # image without the ML libraries`,
            `# and route the heavy tasks: ${app}.conf.task_routes = {'tasks.ocr.*': {'queue': 'ml'}}`,
          ]
        : ['# serve the ML endpoints from a separate deployment with fewer workers'],
      detail: `Only one process then pays for ${libs}; the other workers stay small.`,
    });

    findings.push({
      code: 'ml-libraries-per-worker',
      severity: 'warning',
      target: { kind: 'group', name: pf.group.name },
      summary: `${whereIs(pf)}: ${inEveryChild.join(', ')} mapped in every one of its ${pf.children.length} children (${libs} mapped)`,
      evidence: {
        children: pf.children.length,
        libraries: inEveryChild.join(','),
        ...Object.fromEntries(inEveryChild.map((name) => [`${name}MappedBytes`, mapped(name)])),
        totalMappedBytes: totalMapped,
        loadedInMaster: inMaster ? 1 : 0,
        childUssBytes: bytesOrNull(childUss),
        groupPssBytes: bytesOrNull(pf.group.pssBytes),
      },
      recommendations,
    });
  }
  return findings;
}

/** What a restart would free now, from the group's lowest PSS in the last 24 h; null if not worth it. */
export function restartSaving(ctx: DiagnosisContext, groupName: string, currentPss: number): { saving: number; min: number } | null {
  const min = seriesMin(ctx.groupHistory(groupName)?.pss ?? []);
  if (min === null) return null;
  const saving = Math.round(currentPss - min);
  return saving >= MIN_RESTART_SAVING && saving >= currentPss * 0.1 ? { saving, min } : null;
}

/** worker_max_memory_per_child in KiB: the largest child's RSS now plus 25%, rounded up to 64 MiB. */
export function recycleKib(children: readonly { rssBytes: number }[]): number {
  const largest = Math.max(0, ...children.map((c) => c.rssBytes));
  const bytes = Math.ceil((largest * 1.25) / (64 * MiB)) * 64 * MiB;
  return Math.max(64 * MiB, bytes) / 1024;
}
