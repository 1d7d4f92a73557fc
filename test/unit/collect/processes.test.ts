import fs from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { readProcText } from '../../../src/collect/proc-file.js';
import { collectProcesses } from '../../../src/collect/processes.js';
import type { ProcessMemory } from '../../../src/model/snapshot.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/proc', import.meta.url));
// sha256 of "mw-celery", "mw-shop", "mw-uwsgi" (see test/fixtures/proc/README.md).
const CELERY_ID = '8dd56705e979724202c8945ccc672824870183ce6b744372487305496f7f0e9c';
const SHOP_ID = 'acc638021b354b7b98bcebda865c403d049c24d52b438129a60dbe15d13ecb1e';
const UWSGI_ID = 'dc8c8bdea961637af2bc0a94be8422d34320de4f99c4d2f05a58c0c2ae31c383';
const KIB = 1024;
const MIB = 1024 * 1024;

let procRoot: string;
let reads: string[];

beforeAll(async () => {
  procRoot = await mkdtemp(join(tmpdir(), 'mw-proc-'));
  await cp(FIXTURE, procRoot, { recursive: true });
});

afterAll(async () => {
  await rm(procRoot, { recursive: true, force: true });
});

beforeEach(async () => {
  // The vanishing pids really are deleted during a scan: put them back for each test.
  for (const pid of ['1500', '1501']) await cp(join(FIXTURE, pid), join(procRoot, pid), { recursive: true });
  reads = [];
});

/** The real reader, with the kernel's refusals injected (root reads every file); the vanishings are real. */
function readFile(path: string): string | null {
  const rel = path.slice(procRoot.length + 1).split(sep).join('/');
  reads.push(rel);
  if (rel === '1200/smaps_rollup') return null; // EACCES
  if (rel === '1700/smaps_rollup') return null; // ESRCH: exiting
  if (rel === '1501/status') fs.rmSync(join(procRoot, '1501'), { recursive: true });
  const result = readProcText(path);
  if (rel === '1500/status') fs.rmSync(join(procRoot, '1500'), { recursive: true });
  return result;
}

afterEach(() => {
  vi.restoreAllMocks();
});

const names = new Map([
  [CELERY_ID, 'mw-test-celery'],
  [SHOP_ID, 'shop-web'],
]);

function byPid(processes: ProcessMemory[]): Map<number, ProcessMemory> {
  return new Map(processes.map((p) => [p.pid, p]));
}

describe('collectProcesses on a fake /proc', () => {
  it('reads user processes and skips kernel threads, zombies, garbage and vanished pids', async () => {
    const { processes } = await collectProcesses({ procRoot, readFile, withSmaps: true, containerNames: names });
    expect(processes.map((p) => p.pid)).toEqual([
      1, 900, 901, 902, 903, 904, 905, 906, 1000, 1001, 1002, 1100, 1101, 1200, 1300, 1700, 1800, 1900, 1901,
    ]);
  });

  it('takes RSS, PSS and USS from smaps_rollup', async () => {
    const { processes } = await collectProcesses({ procRoot, readFile, withSmaps: true, containerNames: names });
    // 901/smaps_rollup: Rss 49032 kB, Pss 20000 kB, Private_Clean 3000 + Private_Dirty 12000 kB.
    expect(byPid(processes).get(901)).toEqual({
      pid: 901,
      ppid: 900,
      nsPid: 1,
      comm: 'python3',
      cmdline: 'python3 /usr/bin/celery -A mwtest worker --concurrency=4 --pool=prefork -n worker@mwtest --loglevel=INFO',
      rssBytes: 49032 * KIB,
      pssBytes: 20000 * KIB,
      ussBytes: 15000 * KIB,
      precision: 'smaps',
      containerId: CELERY_ID,
      // torch: 4 MiB r--p + 16 MiB r-xp (listed twice, counted once) + 1 MiB libc10; opencv: 1 MiB cv2.
      mlLibraries: [
        { name: 'torch', mappedBytes: 21 * MIB },
        { name: 'opencv', mappedBytes: 1 * MIB },
      ],
    });
  });

  it('falls back to RSS only where smaps_rollup is missing (ENOENT), refused (EACCES) or exiting (ESRCH)', async () => {
    const processes = byPid((await collectProcesses({ procRoot, readFile, withSmaps: true, containerNames: names })).processes);
    for (const pid of [905, 1200, 1700]) {
      const p = processes.get(pid);
      expect(p, `pid ${pid}`).toMatchObject({ precision: 'rss-only', pssBytes: null, ussBytes: null });
    }
    // VmRSS of 1200/status.
    expect(processes.get(1200)?.rssBytes).toBe(300000 * KIB);
    expect(reads).toContain('1200/smaps_rollup');
  });

  it('maps cgroup v1 and v2 paths to container ids, null on the host', async () => {
    const processes = byPid((await collectProcesses({ procRoot, readFile, withSmaps: true, containerNames: names })).processes);
    expect(processes.get(904)?.containerId).toBe(CELERY_ID);
    expect(processes.get(1001)?.containerId).toBe(SHOP_ID);
    expect(processes.get(1101)?.containerId).toBe(UWSGI_ID);
    expect(processes.get(1)?.containerId).toBeNull();
    expect(processes.get(900)?.containerId).toBeNull();
    expect(processes.get(1101)?.nsPid).toBe(7);
    expect(processes.get(1)?.nsPid).toBeNull();
  });

  it('reads maps only for python and prefork processes', async () => {
    const processes = byPid((await collectProcesses({ procRoot, readFile, withSmaps: true, containerNames: names })).processes);
    const mapsRead = reads.filter((r) => r.endsWith('/maps')).map((r) => Number(r.split('/')[0]));
    expect(mapsRead.sort((a, b) => a - b)).toEqual([
      901, 902, 903, 904, 905, 1000, 1001, 1002, 1100, 1101, 1200, 1800, 1900, 1901,
    ]);
    // node's maps name libtorch.so, but it was never read.
    expect(processes.get(1300)?.mlLibraries).toEqual([]);
    expect(processes.get(1200)?.mlLibraries).toEqual([
      { name: 'onnxruntime', mappedBytes: 8 * MIB },
      { name: 'opencv', mappedBytes: 2 * MIB },
      { name: 'paddle', mappedBytes: 2 * MIB },
    ]);
  });

  it('groups prefork servers and names the containers', async () => {
    const { groups } = await collectProcesses({ procRoot, readFile, withSmaps: true, containerNames: names, selfPid: 1300 });
    const celery = groups.find((g) => g.kind === 'celery' && g.masterPid === 901);
    expect(celery).toMatchObject({
      name: 'celery worker@mwtest (mwtest)',
      pids: [901, 902, 903, 904, 905, 906],
      children: 5,
      containerId: CELERY_ID,
      containerName: 'mw-test-celery',
      exact: false,
      celery: { app: 'mwtest', nodeName: 'worker@mwtest', configuredConcurrency: 4, poolSize: 4 },
    });
    // PSS: 20000 (master) + 3 x 10000 (902-904) + 42000 (905's RSS, no smaps) + 400 (906) kB.
    expect(celery?.pssBytes).toBe((20000 + 30000 + 42000 + 400) * KIB);
    // RSS: 49032 + 4 x 42000 + 1500 kB.
    expect(celery?.rssBytes).toBe((49032 + 4 * 42000 + 1500) * KIB);
    expect(groups.find((g) => g.masterPid === 1000)).toMatchObject({
      kind: 'gunicorn',
      name: 'gunicorn shop.wsgi:application',
      pids: [1000, 1001, 1002],
      containerName: 'shop-web',
      exact: true,
      pssBytes: 3 * 30000 * KIB,
    });
    expect(groups.find((g) => g.masterPid === 1100)).toMatchObject({
      kind: 'uwsgi',
      name: 'uwsgi mysite.wsgi:application',
      containerId: UWSGI_ID,
      containerName: null,
    });
    expect(groups.find((g) => g.masterPid === 1300)?.name).toBe('memwarden');
    expect(groups.find((g) => g.masterPid === 1800)).toMatchObject({ kind: 'process', pids: [1800] });
    // Every collected process is in exactly one group.
    expect(groups.flatMap((g) => g.pids).sort((a, b) => a - b)).toHaveLength(19);
  });

  it('reads no smaps_rollup when withSmaps is false', async () => {
    const { processes, groups } = await collectProcesses({ procRoot, readFile, withSmaps: false, containerNames: names });
    expect(reads.some((r) => r.endsWith('smaps_rollup'))).toBe(false);
    expect(processes.every((p) => p.precision === 'rss-only' && p.pssBytes === null)).toBe(true);
    // 901/status VmRSS.
    expect(byPid(processes).get(901)?.rssBytes).toBe(49032 * KIB);
    expect(groups.every((g) => !g.exact && g.pssBytes === g.rssBytes)).toBe(true);
  });

  it('fails when procRoot itself cannot be listed', async () => {
    await expect(
      collectProcesses({ procRoot: join(procRoot, 'missing'), withSmaps: true, containerNames: names }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('readProcText', () => {
  it('reads a file bigger than its buffer whole, and answers null for what is gone or refused', () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'mw-procfile-'));
    const big = 'x'.repeat(300 * 1024) + 'END';
    fs.writeFileSync(join(dir, 'maps'), big);
    expect(readProcText(join(dir, 'maps'))).toBe(big);
    expect(readProcText(join(dir, 'gone'))).toBeNull();
    expect(readProcText(dir)).toBeNull(); // EISDIR
    fs.rmSync(dir, { recursive: true });
  });

  it('reads real /proc files whose size the kernel reports as 0', () => {
    expect(readProcText('/proc/self/status')).toMatch(/^Name:/);
  });
});
