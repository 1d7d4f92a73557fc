// prefork-concurrency: a prefork pool (Celery, gunicorn, uWSGI) that does not fit in the memory
// it has. Each child costs its private memory (USS: what the kernel frees when the child goes);
// the master costs its PSS (its share of what it holds, shared pages included). So
//
//   need   = concurrency × per-child USS + master PSS
//   budget = min(container limit - what else the container uses,
//                host available + what the group holds now)
//
// and the pool fits when need <= budget × (1 - headroomPercent/100). The per-child figure is the
// children's current average or, when the group's 24 h PSS history shows a higher peak, the
// per-child share of that peak: a pool is sized for its busiest moment, not its quietest.
// Lowering the concurrency to the target frees ≈ (N - target) × current per-child USS now.
import { formatBytes } from '../../format/units.js';
import { bytesOrNull, type DiagnosisContext } from '../context.js';
import { averageChildCost, type PreforkGroup, preforkGroups, serviceName, whereIs } from '../prefork.js';
import { seriesMax } from '../series.js';
import type { Finding, Recommendation } from '../../model/finding.js';

export function findPreforkConcurrency(ctx: DiagnosisContext): Finding[] {
  const findings: Finding[] = [];
  for (const pf of preforkGroups(ctx)) {
    const finding = diagnosePool(ctx, pf);
    if (finding) findings.push(finding);
  }
  return findings;
}

function diagnosePool(ctx: DiagnosisContext, pf: PreforkGroup): Finding | null {
  const n = pf.children.length;
  if (n <= 1) return null; // nothing to lower (a pool of one is covered by the other findings)
  const { host } = ctx.snapshot;
  const headroom = ctx.options.diagnosis.headroomPercent;
  const hostBudget = host.availableBytes + pf.group.pssBytes;
  const container = pf.container;
  const containerBudget =
    container?.memoryLimitBytes != null
      ? container.memoryLimitBytes - Math.max(0, container.memoryUsageBytes - pf.group.pssBytes)
      : null;
  const budget = containerBudget === null ? hostBudget : Math.min(hostBudget, containerBudget);
  const usable = budget * (1 - headroom / 100);
  const bound = containerBudget !== null && containerBudget <= hostBudget ? 'container limit' : 'host';

  const childUss = averageChildCost(pf);
  const masterPss = pf.masterPssBytes;
  if (childUss === null || masterPss === null) return unmeasured(ctx, pf, usable, budget, bound);

  const peakPss = seriesMax(ctx.groupHistory(pf.group.name)?.pss ?? []);
  const peakChild = peakPss !== null && peakPss > pf.group.pssBytes ? Math.max(0, (peakPss - masterPss) / n) : null;
  const perChild = Math.max(childUss, peakChild ?? 0);
  const need = n * perChild + masterPss;
  if (need <= usable || !(perChild > 0)) return null;

  const fitting = Math.floor((usable - masterPss) / perChild);
  const target = Math.min(n - 1, Math.max(1, fitting));
  const saving = Math.round((n - target) * childUss);
  // Past the budget, or past the headroom with no swap behind it: the next busy moment ends in the OOM killer.
  const severity = need > budget || host.swapTotalBytes === 0 ? 'critical' : 'warning';
  const configured = pf.group.celery?.configuredConcurrency ?? null;
  const basedOnPeak = peakChild !== null && peakChild > childUss;
  const stillShort = target * perChild + masterPss > usable;

  const recommendations: Recommendation[] = [lowerConcurrency(pf, n, target, saving, severity, basedOnPeak, perChild, stillShort)];
  if (stillShort) {
    recommendations.push({
      title: `Move the heavy tasks of ${pf.group.name} to a worker of their own, or give it more memory`,
      priority: 'high',
      estimatedSavingsBytes: null,
      runbook: null,
      detail: `Even ${target} child${target === 1 ? '' : 'ren'} (${formatBytes(target * perChild + masterPss)}) exceed the ${formatBytes(usable)} usable here.`,
    });
  }

  return {
    code: 'prefork-concurrency',
    severity,
    target: { kind: 'group', name: pf.group.name },
    summary: `${whereIs(pf)}: ${n} children need ${formatBytes(need)}${basedOnPeak ? ' at their 24 h peak' : ''}, ${formatBytes(usable)} usable (${bound}, ${headroom}% headroom): ${stillShort ? `not even ${target} fits` : `${target} fit${target === 1 ? 's' : ''}`}`,
    evidence: {
      concurrency: n,
      configuredConcurrency: configured,
      targetConcurrency: target,
      childUssBytes: Math.round(childUss),
      peakChildBytes: bytesOrNull(peakChild),
      perChildBytes: Math.round(perChild),
      masterPssBytes: Math.round(masterPss),
      groupPssBytes: bytesOrNull(pf.group.pssBytes),
      needBytes: Math.round(need),
      budgetBytes: Math.round(budget),
      usableBytes: Math.round(usable),
      hostAvailableBytes: bytesOrNull(host.availableBytes),
      containerLimitBytes: bytesOrNull(container?.memoryLimitBytes ?? null),
      headroomPercent: headroom,
      savingsAtPeakBytes: basedOnPeak ? Math.round((n - target) * perChild) : null,
    },
    recommendations,
  };
}

function lowerConcurrency(
  pf: PreforkGroup,
  n: number,
  target: number,
  saving: number | null,
  severity: 'critical' | 'warning',
  basedOnPeak: boolean,
  perChild: number,
  stillShort: boolean,
): Recommendation {
  const service = serviceName(pf.container, pf.group.name);
  const priority = severity === 'critical' ? 'urgent' : 'high';
  const peakNote = basedOnPeak ? ` At the 24 h peak each child held ${formatBytes(perChild)}, so the pool then needs ${formatBytes((n - target) * perChild)} less.` : '';
  const shortNote = stillShort ? ' Even this does not fit with the headroom: see the next recommendation.' : '';
  if (pf.kind === 'celery') {
    const app = pf.group.celery?.app ?? 'APP';
    const node = pf.group.celery?.nodeName;
    return {
      title: `Lower the Celery concurrency of ${pf.group.name} from ${n} to ${target}`,
      priority,
      estimatedSavingsBytes: saving,
      runbook: 'lower-celery-concurrency',
      params: { concurrency: target },
      steps: [
        `celery -A ${app} control pool_shrink ${n - target}${node ? ` -d ${node}` : ''}   # live, what the runbook does`,
        '# persistent: the live shrink is lost when the worker restarts. In docker-compose.yml:',
        `#   ${service}:`,
        `#     command: ${persistentCeleryCommand(pf.master?.cmdline ?? '', app, target)}`,
      ],
      detail: `Frees about ${n - target} × ${formatBytes(saving === null ? null : saving / (n - target))} of per-child private memory (USS) now.${peakNote} A live shrink (pool_shrink) is lost when the worker restarts, because its command line still says the old concurrency: make it persistent with --concurrency=${target} in the worker's command.${shortNote}`,
    };
  }
  const flag = pf.kind === 'gunicorn' ? `--workers ${target}` : `--processes ${target}`;
  return {
    title: `Lower the ${pf.kind} workers of ${pf.group.name} from ${n} to ${target}`,
    priority,
    estimatedSavingsBytes: saving,
    runbook: null,
    steps:
      pf.kind === 'gunicorn'
        ? [`kill -TTOU ${pf.group.masterPid}   # live, once per worker to remove (${n - target}×); lost on restart`, `# persistent: start gunicorn with ${flag}`]
        : [`# start uwsgi with ${flag} (or processes = ${target} in its ini) and restart it`],
    detail: `Frees about ${n - target} × ${formatBytes(saving === null ? null : saving / (n - target))} of per-worker private memory (USS).${peakNote}${shortNote}`,
  };
}

/** The master's command with --concurrency set to `target` (setproctitle titles give no argv). */
export function persistentCeleryCommand(cmdline: string, app: string, target: number): string {
  const tokens = cmdline.split(/\s+/).filter((t) => t !== '');
  if (tokens.length === 0 || cmdline.startsWith('[')) return `celery -A ${app} worker --concurrency=${target} ...your other options`;
  const out: string[] = [];
  let replaced = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    if (t === '-c' || t === '--concurrency') {
      out.push(`--concurrency=${target}`);
      i++;
      replaced = true;
    } else if (t.startsWith('--concurrency=') || (/^-c\d+$/.test(t))) {
      out.push(`--concurrency=${target}`);
      replaced = true;
    } else out.push(t);
  }
  if (!replaced) out.push(`--concurrency=${target}`);
  // The interpreter in front of a console script is an implementation detail of the image.
  if (/(?:^|\/)python[\d.]*$/.test(out[0] ?? '') && /(?:^|\/)celery$/.test(out[1] ?? '')) out.shift();
  return out.map((t) => t.replace(/^\/\S*\/celery$/, 'celery')).join(' ');
}

/** Children without smaps: the pool may not fit, but no per-child figure says by how much. */
function unmeasured(ctx: DiagnosisContext, pf: PreforkGroup, usable: number, budget: number, bound: string): Finding | null {
  // The group's figure counts unmeasured members at their RSS, an upper bound: if even that fits, it fits.
  if (pf.group.pssBytes <= usable) return null;
  const n = pf.children.length;
  return {
    code: 'prefork-concurrency',
    severity: pf.group.pssBytes > budget ? 'critical' : 'warning',
    target: { kind: 'group', name: pf.group.name },
    summary: `${whereIs(pf)}: ${n} children may not fit in the ${formatBytes(usable)} usable (${bound}); their private memory could not be measured`,
    evidence: {
      concurrency: n,
      configuredConcurrency: pf.group.celery?.configuredConcurrency ?? null,
      targetConcurrency: null,
      childUssBytes: null,
      masterPssBytes: bytesOrNull(pf.masterPssBytes),
      groupRssBoundBytes: bytesOrNull(pf.group.pssBytes),
      budgetBytes: Math.round(budget),
      usableBytes: Math.round(usable),
      headroomPercent: ctx.options.diagnosis.headroomPercent,
    },
    recommendations: [
      {
        title: `Measure ${pf.group.name} with PSS/USS before lowering its concurrency`,
        priority: 'high',
        estimatedSavingsBytes: null,
        runbook: null,
        steps: ['# run memwarden as root (or as the workers\' user) so it can read /proc/<pid>/smaps_rollup', 'memwarden diagnose'],
        detail: 'Only RSS was readable for some of its processes; RSS counts the pages children share with the master once per child, so it cannot say what one child costs. The saving of a lower concurrency is unknown until then.',
      },
    ],
  };
}
