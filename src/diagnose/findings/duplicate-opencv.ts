// duplicate-opencv: more than one OpenCV distribution installed in a container's Python. All of
// them install the same `cv2` package, so the last one installed silently overwrites the others'
// files (a classic source of "cv2 has no attribute ..." and of GUI libraries in a server image),
// and each brings its own bundled libraries (`<name>.libs/`). Keep opencv-python-headless.
import { formatBytes } from '../../format/units.js';
import type { PythonDistribution } from '../../model/snapshot.js';
import type { DiagnosisContext } from '../context.js';
import type { Finding } from '../../model/finding.js';

export const OPENCV_FAMILY: readonly string[] = [
  'opencv-python',
  'opencv-python-headless',
  'opencv-contrib-python',
  'opencv-contrib-python-headless',
];
const KEEP = 'opencv-python-headless';

export function findDuplicateOpencv(ctx: DiagnosisContext): Finding[] {
  const findings: Finding[] = [];
  for (const entry of ctx.snapshot.pythonDistributions ?? []) {
    // One entry per distribution name (a name seen in two site dirs counts once: the first wins,
    // as on sys.path).
    const byName = new Map<string, PythonDistribution>();
    for (const d of entry.distributions) if (OPENCV_FAMILY.includes(d.name) && !byName.has(d.name)) byName.set(d.name, d);
    if (byName.size < 2) continue;
    const installed = [...byName.values()].sort((a, b) => OPENCV_FAMILY.indexOf(a.name) - OPENCV_FAMILY.indexOf(b.name));
    const kept = byName.get(KEEP) ?? null;
    const duplicates = installed.filter((d) => d.name !== KEEP);
    const sizes = duplicates.map((d) => d.libsMappedBytes);
    const saving = sizes.length > 0 && sizes.every((s) => typeof s === 'number') ? (sizes as number[]).reduce((a, b) => a + b, 0) : null;
    const container = ctx.containerById.get(entry.containerId);
    const name = container?.name ?? entry.containerId.slice(0, 12);
    const keepSpec = kept?.version ? `${KEEP}==${kept.version}` : KEEP;
    const list = installed.map((d) => `${d.name}==${d.version ?? '?'}`);
    const contrib = installed.some((d) => d.name.includes('contrib'));

    findings.push({
      code: 'duplicate-opencv',
      severity: 'warning',
      target: { kind: 'container', name },
      summary: `${installed.length} OpenCV distributions installed in ${name}: ${list.join(', ')}`,
      evidence: {
        distributions: list.join(','),
        keep: KEEP,
        keepInstalled: kept ? 1 : 0,
        duplicatesMappedBytes: saving,
        ...Object.fromEntries(duplicates.map((d) => [`${d.name}MappedBytes`, d.libsMappedBytes ?? null])),
        site: installed[0]?.path.replace(/\/[^/]*$/, '') ?? null,
      },
      recommendations: [
        {
          title: `Keep only ${KEEP} in ${name}`,
          priority: 'high',
          estimatedSavingsBytes: saving,
          runbook: null,
          steps: [
            '# requirements.txt: keep exactly one OpenCV line',
            keepSpec,
            ...duplicates.map((d) => `# ${d.name}==${d.version ?? '?'}   <- remove`),
            '# they share the cv2/ package: uninstall all, then install the one you keep',
            `pip uninstall -y ${installed.map((d) => d.name).join(' ')}`,
            `pip install --no-cache-dir ${keepSpec}`,
            '# if a dependency pulls one back in (paddleocr requires opencv-python and opencv-contrib-python):',
            `pip install --no-deps <that package> && pip install ${keepSpec}`,
            'python -c "import cv2; print(cv2.__version__, cv2.__file__)"',
            '# then rebuild the image and recreate the container',
          ],
          detail:
            (saving === null
              ? 'Saving unknown: the duplicates\' bundled libraries were not found mapped in its processes. '
              : `The duplicates' own bundled libraries are mapped at ${formatBytes(saving)} in its busiest Python process (virtual size: the resident saving is at most this). `) +
            `Headless has no GUI dependencies (Qt, X11), which a server never uses.${contrib ? ' If the code uses contrib modules (cv2.xfeatures2d, cv2.ximgproc ...), keep opencv-contrib-python-headless instead.' : ''}`,
        },
      ],
    });
  }
  return findings;
}
