// image-size-growth: the newest image of a repository is much larger (imageGrowth.factor, and by
// at least imageGrowth.minIncrease) than the image of that repository seen before it. In the
// incident the backend image went from 1.33 GB to 7.86 GB with the ML libraries: the growth is
// on disk, and it is usually what is loaded into every worker's memory too.
import { formatBytes } from '../../format/units.js';
import type { DiagnosisContext } from '../context.js';
import type { Finding } from '../../model/finding.js';

export function findImageSizeGrowth(ctx: DiagnosisContext): Finding[] {
  const cfg = ctx.options.diagnosis.imageGrowth;
  const findings: Finding[] = [];
  for (const repo of ctx.history.images) {
    const sized = repo.images.filter((i) => i.sizeBytes !== null && i.sizeBytes > 0);
    const latest = sized.at(-1);
    const previous = sized.at(-2);
    if (!latest || !previous || latest.sizeBytes === null || previous.sizeBytes === null) continue;
    const increase = latest.sizeBytes - previous.sizeBytes;
    if (!(latest.sizeBytes > previous.sizeBytes * cfg.factor) || !(increase > cfg.minIncrease)) continue;
    const users = ctx.snapshot.containers.filter((c) => c.imageId === latest.imageId).map((c) => c.name).sort();
    const factor = latest.sizeBytes / previous.sizeBytes;
    findings.push({
      code: 'image-size-growth',
      severity: 'warning',
      target: users[0] ? { kind: 'container', name: users[0] } : { kind: 'host', name: ctx.snapshot.hostname },
      summary: `Image ${repo.repository} grew ${factor.toFixed(1)}× to ${formatBytes(latest.sizeBytes)} (was ${formatBytes(previous.sizeBytes)})${users.length > 0 ? `; used by ${users.join(', ')}` : ''}`,
      evidence: {
        repository: repo.repository,
        image: latest.image,
        imageId: latest.imageId,
        sizeBytes: latest.sizeBytes,
        previousImage: previous.image,
        previousSizeBytes: previous.sizeBytes,
        increaseBytes: increase,
        factor: Math.round(factor * 100) / 100,
        firstSeen: new Date(latest.firstSeen).toISOString(),
        containers: users.length,
      },
      recommendations: [
        {
          title: `Find and drop what made ${repo.repository} ${formatBytes(increase)} larger`,
          priority: 'medium',
          estimatedSavingsBytes: null,
          runbook: null,
          steps: [
            `docker history --no-trunc --format '{{.Size}}\\t{{.CreatedBy}}' ${latest.image} | sort -h | tail`,
            '# CPU-only PyTorch wheels are a fraction of the CUDA ones:',
            'pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu',
            '# remove libraries the service does not import (transformers, datasets, accelerate ...),',
            '# keep one OpenCV (opencv-python-headless), and build in two stages so build tools stay out',
          ],
          detail: `Up to ${formatBytes(increase)} of disk per image. What it saves in memory depends on how much of it every worker imports, which only a measurement after the change can tell, so the memory saving is unknown here.`,
        },
      ],
    });
  }
  return findings;
}
