// host-swap-disabled: no swap at all. Without swap, anonymous memory can never leave RAM, so
// when it runs out the OOM killer is the only way out. Adding swap is a host change no runbook
// can make from inside a container: the finding gives the exact commands, sized from RAM.
import { formatBytes, percentOf } from '../../format/units.js';
import { bytesOrNull, type DiagnosisContext } from '../context.js';
import { levelFor } from '../levels.js';
import { dockerSize, recommendedSwapBytes } from '../sizing.js';
import type { Finding } from '../../model/finding.js';

export function findHostSwapDisabled(ctx: DiagnosisContext): Finding[] {
  const { host } = ctx.snapshot;
  if (host.swapTotalBytes > 0 || !(host.totalBytes > 0)) return [];
  const size = recommendedSwapBytes(host.totalBytes);
  const { thresholds } = ctx.options;
  const unlimited = ctx.snapshot.containers.filter((c) => c.memoryLimitBytes === null);
  const bigUnlimited = unlimited.filter((c) => levelFor(percentOf(c.memoryUsageBytes, host.totalBytes), thresholds.unlimitedContainer) !== 'OK');
  const hostLevel = levelFor(percentOf(host.usedBytes, host.totalBytes), thresholds.host);
  // RAM already short, or a large container that nothing caps: one spike away from the OOM killer.
  const critical = bigUnlimited.length > 0 || hostLevel !== 'OK';
  const fallocateSize = dockerSize(size);
  return [
    {
      code: 'host-swap-disabled',
      severity: critical ? 'critical' : 'warning',
      target: { kind: 'host', name: ctx.snapshot.hostname },
      summary: `No swap configured on ${ctx.snapshot.hostname}: when RAM runs out the OOM killer is the only way out`,
      evidence: {
        swapTotalBytes: 0,
        totalBytes: bytesOrNull(host.totalBytes),
        availableBytes: bytesOrNull(host.availableBytes),
        containersWithoutLimit: unlimited.length,
        largeContainersWithoutLimit: bigUnlimited.length,
        recommendedSwapBytes: size,
      },
      recommendations: [
        {
          title: `Add ${formatBytes(size)} of swap`,
          priority: critical ? 'urgent' : 'high',
          estimatedSavingsBytes: null,
          runbook: null,
          params: { size },
          steps: [
            `sudo fallocate -l ${fallocateSize} /swapfile`,
            'sudo chmod 600 /swapfile',
            'sudo mkswap /swapfile',
            'sudo swapon /swapfile',
            "echo '/swapfile none swap sw 0 0' | sudo tee -a /etc/fstab",
            'swapon --show && free -h',
          ],
          detail: `Sized from ${formatBytes(host.totalBytes)} of RAM (Red Hat's table: up to 2 GB twice the RAM, up to 8 GB the RAM, above that 4 GB). Swap frees no RAM; it gives cold pages somewhere to go instead of killing a process. On filesystems where fallocate files cannot be swap (btrfs without nocow, some XFS/NFS setups) use \`sudo dd if=/dev/zero of=/swapfile bs=1M count=${Math.round(size / 1024 ** 2)}\` instead. This is a host change: run it on the host, not in a container.`,
        },
      ],
    },
  ];
}
