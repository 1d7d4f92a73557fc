// collectPythonDistributions on a fake /proc whose <pid>/root trees stand for container
// filesystems: discovery of the site directories, names and versions, in-container symlink
// resolution, the per-container cache, and the mapped size of OpenCV's bundled libraries.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  collectPythonDistributions,
  createPythonDistributionCache,
  parseDistributionEntry,
  resolveInRoot,
} from '../../../src/collect/python-packages.js';
import type { ProcessMemory } from '../../../src/model/snapshot.js';

const X = 'a'.repeat(64);
const Y = 'b'.repeat(64);
const Z = 'c'.repeat(64);
const SITE = '/usr/local/lib/python3.11/site-packages';
const MiB = 1024 ** 2;
let proc: string;

beforeEach(() => {
  proc = mkdtempSync(join(tmpdir(), 'memwarden-pyproc-'));
});
afterEach(() => rmSync(proc, { recursive: true, force: true }));

function dir(path: string): void {
  mkdirSync(join(proc, path), { recursive: true });
}
function file(path: string, text = ''): void {
  mkdirSync(dirname(join(proc, path)), { recursive: true });
  writeFileSync(join(proc, path), text);
}
function link(path: string, target: string): void {
  mkdirSync(dirname(join(proc, path)), { recursive: true });
  symlinkSync(target, join(proc, path));
}
/** A maps line for [start, start + size) of `path`. */
function mapping(start: number, size: number, path: string): string {
  return `${start.toString(16)}-${(start + size).toString(16)} r-xp 00000000 fd:01 1234 ${path}`;
}
function p(pid: number, ppid: number, containerId: string | null, overrides: Partial<ProcessMemory> = {}): ProcessMemory {
  return {
    pid,
    ppid,
    nsPid: null,
    comm: 'python3.11',
    cmdline: '/usr/local/bin/python3.11 /usr/local/bin/celery -A app worker',
    rssBytes: 100 * MiB,
    pssBytes: null,
    ussBytes: null,
    precision: 'rss-only',
    containerId,
    mlLibraries: [],
    ...overrides,
  };
}

/** Container X: a Celery master (100) and child (101) with three OpenCVs, a venv, Debian packages. */
function containerX(): ProcessMemory[] {
  for (const d of ['opencv_python-4.6.0.66.dist-info', 'opencv_python_headless-4.10.0.84.dist-info', 'opencv_contrib_python-4.6.0.66.dist-info', 'opencv_contrib_python.libs', 'opencv_python.libs', 'cv2', 'numpy-1.26.0.dist-info', 'numpy.libs']) {
    dir(`100/root${SITE}/${d}`);
  }
  dir('100/root/opt/venv/lib/python3.11/site-packages/torch-2.1.1.dist-info');
  file('100/root/usr/lib/python3/dist-packages/celery-5.2.6.egg-info', 'Metadata-Version: 1.2\n'); // Debian: a file
  dir('100/root/usr/lib/python3/dist-packages/zope.interface-5.5.2-py3.11.egg-info');
  // An absolute symlink inside the container must resolve inside the container, not on the host.
  link('100/root/usr/local/lib/python3.12', '/srv/py312');
  dir('100/root/srv/py312/site-packages/inside_only-1.0.dist-info');
  link('100/root/loop', '/loop');
  link('100/exe', '/usr/local/bin/python3.11');
  file('100/environ', 'PATH=/opt/venv/bin:/usr/bin\0HOME=/root\0VIRTUAL_ENV=/opt/venv\0PYTHONPATH=/app:/loop:relative\0');
  const libs = `${SITE}/opencv_contrib_python.libs`;
  file('100/maps', [mapping(0x1000000, 8 * MiB, `${libs}/libQt5Core.so.5`), mapping(0x7000000, MiB, `${SITE}/numpy.libs/libopenblas.so`)].join('\n'));
  file(
    '101/maps',
    [
      mapping(0x1000000, 8 * MiB, `${libs}/libQt5Core.so.5`),
      mapping(0x1000000, 8 * MiB, `${libs}/libQt5Core.so.5`), // the same range twice counts once
      mapping(0x2000000, 16 * MiB, `${libs}/libavcodec.so.59 (deleted)`),
      mapping(0x4000000, 4 * MiB, `${SITE}/cv2/cv2.abi3.so`), // shared by every OpenCV: nobody's own
    ].join('\n'),
  );
  dir('101/root');
  return [p(100, 1, X, { nsPid: 1 }), p(101, 100, X, { nsPid: 7, rssBytes: 300 * MiB })];
}

describe('collectPythonDistributions', () => {
  it('lists every distribution of a container\'s Python, read inside the container', async () => {
    const processes = [
      ...containerX(),
      p(200, 1, Y, { comm: 'nginx', cmdline: 'nginx: master process' }), // no Python: not scanned
      p(300, 1, null), // on the host: not a container
      p(400, 1, Z), // its root cannot be read (gone, or not root): left out
    ];
    dir('200/root/usr/lib/python3/dist-packages/should_not_appear-1.dist-info');
    const result = await collectPythonDistributions(proc, processes, { cache: createPythonDistributionCache() });
    expect([...result.keys()]).toEqual([X]);
    const byName = new Map((result.get(X) ?? []).map((d) => [d.name, d]));
    expect([...byName.keys()].sort()).toEqual(
      ['celery', 'inside-only', 'numpy', 'opencv-contrib-python', 'opencv-python', 'opencv-python-headless', 'torch', 'zope-interface'].sort(),
    );
    expect(byName.get('opencv-python-headless')).toMatchObject({ version: '4.10.0.84', path: `${SITE}/opencv_python_headless-4.10.0.84.dist-info` });
    expect(byName.get('celery')).toMatchObject({ version: '5.2.6', path: '/usr/lib/python3/dist-packages/celery-5.2.6.egg-info' });
    expect(byName.get('zope-interface')?.version).toBe('5.5.2');
    expect(byName.get('torch')?.path).toBe('/opt/venv/lib/python3.11/site-packages/torch-2.1.1.dist-info');
    expect(byName.get('inside-only')?.path).toBe('/srv/py312/site-packages/inside_only-1.0.dist-info');
    // OpenCV's own bundled libraries, in the process that maps most of them (101: 8 + 16 MiB).
    expect(byName.get('opencv-contrib-python')?.libsMappedBytes).toBe(24 * MiB);
    expect(byName.get('opencv-python')?.libsMappedBytes).toBe(0); // installed, not loaded
    expect(byName.get('opencv-python-headless')?.libsMappedBytes).toBe(0); // no .libs of its own
    expect(byName.get('numpy')?.libsMappedBytes).toBeUndefined(); // not worth measuring
  });

  it('scans a container once per lifetime, measures the mapped sizes on every call, and rescans after a restart', async () => {
    const cache = createPythonDistributionCache();
    const processes = containerX();
    const first = await collectPythonDistributions(proc, processes, { cache });
    dir(`100/root${SITE}/added_later-1.0.dist-info`);
    file('101/maps', mapping(0x1000000, 2 * MiB, `${SITE}/opencv_contrib_python.libs/libQt5Core.so.5`));
    const second = await collectPythonDistributions(proc, processes, { cache });
    expect(second.get(X)?.map((d) => d.name)).toEqual(first.get(X)?.map((d) => d.name));
    expect(second.get(X)?.find((d) => d.name === 'opencv-contrib-python')?.libsMappedBytes).toBe(8 * MiB); // now 100 maps most
    // A restarted container has a new init pid: a new scan.
    const restarted = processes.map((proc100) => (proc100.pid === 100 ? { ...proc100, nsPid: 2 } : { ...proc100, nsPid: 1 }));
    const third = await collectPythonDistributions(proc, restarted, { cache });
    expect(third.get(X)?.map((d) => d.name)).toContain('added-later');
    expect(cache.scans.size).toBe(1); // the old container's scan is forgotten
  });

  it('returns nothing for no processes', async () => {
    expect((await collectPythonDistributions(proc, [], { cache: createPythonDistributionCache() })).size).toBe(0);
  });
});

describe('parseDistributionEntry', () => {
  it('reads name and version from dist-info and egg-info names', () => {
    expect(parseDistributionEntry('opencv_python_headless-4.10.0.84.dist-info')).toEqual({ name: 'opencv-python-headless', version: '4.10.0.84' });
    expect(parseDistributionEntry('python-dateutil-2.8.2.egg-info')).toEqual({ name: 'python-dateutil', version: '2.8.2' });
    expect(parseDistributionEntry('zope.interface-5.5.2-py3.11.egg-info')).toEqual({ name: 'zope-interface', version: '5.5.2' });
    expect(parseDistributionEntry('Deprecated-1.2.13.dist-info')).toEqual({ name: 'deprecated', version: '1.2.13' });
    expect(parseDistributionEntry('noversion.egg-info')).toEqual({ name: 'noversion', version: null });
    expect(parseDistributionEntry('numpy.libs')).toBeNull();
    expect(parseDistributionEntry('.dist-info')).toBeNull();
  });
});

describe('resolveInRoot', () => {
  it('resolves relative and absolute links inside the root, and gives up on loops and missing paths', async () => {
    dir('r/usr/lib/python3.11');
    link('r/usr/lib64', 'lib');
    link('r/opt/py', '/usr/lib/python3.11');
    link('r/a', '/b');
    link('r/b', '/a');
    const root = join(proc, 'r');
    expect(await resolveInRoot(root, '/usr/lib64/python3.11')).toBe('/usr/lib/python3.11');
    expect(await resolveInRoot(root, '/opt/py/../python3.11')).toBe('/usr/lib/python3.11');
    expect(await resolveInRoot(root, '/../../usr/lib')).toBe('/usr/lib');
    expect(await resolveInRoot(root, '/a')).toBeNull();
    expect(await resolveInRoot(root, '/nope')).toBeNull();
  });
});
