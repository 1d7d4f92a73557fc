import { describe, expect, it } from 'vitest';
import {
  detectPreforkKind,
  groupProcesses,
  looksLikePython,
  parseCeleryCmdline,
  parseGunicornApp,
  parseUwsgiApp,
  processName,
} from '../../../src/collect/process-groups.js';
import type { ProcessMemory } from '../../../src/model/snapshot.js';

const MIB = 1024 * 1024;
const CELERY_ID = '8dd56705e979724202c8945ccc672824870183ce6b744372487305496f7f0e9c';
const CELERY_CMD = 'python3 /usr/bin/celery -A mwtest worker --concurrency=4 --pool=prefork -n worker@mwtest --loglevel=INFO';

/** A process with sizes in MiB; pss/uss null makes it rss-only. */
function proc(
  pid: number,
  ppid: number,
  cmdline: string,
  mib: { rss: number; pss: number | null; uss?: number | null },
  extra: Partial<ProcessMemory> = {},
): ProcessMemory {
  const uss = mib.uss === undefined ? (mib.pss === null ? null : mib.pss / 2) : mib.uss;
  return {
    pid,
    ppid,
    nsPid: null,
    comm: extra.comm ?? (cmdline.split(' ')[0] ?? '').split('/').pop()?.slice(0, 15) ?? '',
    cmdline,
    rssBytes: mib.rss * MIB,
    pssBytes: mib.pss === null ? null : mib.pss * MIB,
    ussBytes: uss === null ? null : uss * MIB,
    precision: mib.pss === null ? 'rss-only' : 'smaps',
    containerId: null,
    mlLibraries: [],
    ...extra,
  };
}

const celeryWorker = (): ProcessMemory[] => [
  proc(900, 1, '/usr/bin/containerd-shim-runc-v2 -namespace moby', { rss: 9, pss: 6 }),
  proc(901, 900, CELERY_CMD, { rss: 48, pss: 20, uss: 12 }, {
    containerId: CELERY_ID,
    mlLibraries: [{ name: 'torch', mappedBytes: 300 * MIB }],
  }),
  ...[902, 903, 904, 905].map((pid) =>
    proc(pid, 901, CELERY_CMD, { rss: 42, pss: 10, uss: 6 }, {
      containerId: CELERY_ID,
      mlLibraries: [
        { name: 'torch', mappedBytes: (pid === 903 ? 400 : 300) * MIB },
        ...(pid === 904 ? [{ name: 'opencv', mappedBytes: 20 * MIB }] : []),
      ],
    }),
  ),
];

describe('detectPreforkKind', () => {
  it.each([
    [CELERY_CMD, 'celery'],
    ['/usr/local/bin/celery -A proj worker -l info', 'celery'],
    ['/usr/bin/python3 -m celery --app=proj worker -c 2', 'celery'],
    ['/venv/bin/python3.11 -u -m celery -A proj worker', 'celery'],
    ['python3 -X importtime -W ignore /usr/bin/celery -A proj worker', 'celery'],
    ['[celeryd: worker@mwtest:MainProcess] -active- (-A mwtest worker -c 4)', 'celery'],
    ['[celeryd: worker@mwtest:ForkPoolWorker-1]', 'celery'],
    ['gunicorn: master [shop.wsgi:application]', 'gunicorn'],
    ['gunicorn: worker [shop.wsgi:application]', 'gunicorn'],
    ['/venv/bin/python3 /venv/bin/gunicorn -w 4 app:app', 'gunicorn'],
    ['python -m gunicorn app:app', 'gunicorn'],
    ['uwsgi --ini app.ini', 'uwsgi'],
    ['/usr/bin/uwsgi_python3 --module x', 'uwsgi'],
    ['uWSGI master', 'uwsgi'],
    ['uWSGI worker 2', 'uwsgi'],
  ])('%s -> %s', (cmdline, kind) => {
    expect(detectPreforkKind('x', cmdline)).toBe(kind);
  });

  it.each([
    '/usr/bin/python3 /usr/bin/celery -A mwtest beat',
    'celery -A proj flower',
    '/bin/sh -c celery -A proj worker',
    'python3 -c import celery; worker',
    'python3 /srv/manage.py runserver',
    'vim gunicorn.conf.py',
    'tail -f /var/log/uwsgi.log',
    '',
  ])('%s is not a prefork server', (cmdline) => {
    expect(detectPreforkKind('x', cmdline)).toBeNull();
  });

  it('recognises uWSGI by its comm when the title is custom', () => {
    expect(detectPreforkKind('uwsgi', 'my-app worker')).toBe('uwsgi');
  });
});

describe('looksLikePython', () => {
  it('checks the comm and argv[0]', () => {
    expect(looksLikePython('python3', 'python3 x.py')).toBe(true);
    expect(looksLikePython('celery', '/usr/bin/python3.11 /usr/bin/celery')).toBe(true);
    expect(looksLikePython('python', '')).toBe(true);
    expect(looksLikePython('node', 'node /srv/python.js')).toBe(false);
    expect(looksLikePython('pythonista', 'pythonista')).toBe(false);
  });
});

describe('parseCeleryCmdline', () => {
  it.each([
    [CELERY_CMD, { app: 'mwtest', nodeName: 'worker@mwtest', configuredConcurrency: 4 }],
    [
      'celery --app=proj.celery:app worker --hostname=w1@%h --concurrency 8',
      { app: 'proj.celery:app', nodeName: 'w1@%h', configuredConcurrency: 8 },
    ],
    ['celery -Aproj worker -nw2@box -c2', { app: 'proj', nodeName: 'w2@box', configuredConcurrency: 2 }],
    ['celery worker', { app: null, nodeName: null, configuredConcurrency: null }],
    ['celery -A proj worker -c zero -c', { app: 'proj', nodeName: null, configuredConcurrency: null }],
    ['celery -A proj worker -c 0', { app: 'proj', nodeName: null, configuredConcurrency: null }],
    [
      '[celeryd: worker@mwtest:MainProcess] -active- (-A mwtest worker --concurrency=4 -n worker@mwtest)',
      { app: 'mwtest', nodeName: 'worker@mwtest', configuredConcurrency: 4 },
    ],
    ['[celeryd: w3@h:MainProcess] -active-', { app: null, nodeName: 'w3@h', configuredConcurrency: null }],
  ])('%s', (cmdline, expected) => {
    expect(parseCeleryCmdline(cmdline)).toEqual(expected);
  });
});

describe('parseGunicornApp and parseUwsgiApp', () => {
  it('reads the app from the title or the positional argument', () => {
    expect(parseGunicornApp('gunicorn: master [shop.wsgi:application]')).toBe('shop.wsgi:application');
    expect(parseGunicornApp('/venv/bin/python3 /venv/bin/gunicorn -w 4 -b 0.0.0.0:8000 --preload app:app')).toBe('app:app');
    expect(parseGunicornApp('gunicorn --bind=:8000 -k uvicorn.workers.UvicornWorker main:app')).toBe('main:app');
    expect(parseGunicornApp('gunicorn -c gunicorn.conf.py')).toBeNull();
    expect(parseUwsgiApp('uwsgi --ini /etc/uwsgi/app.ini --module mysite.wsgi:application')).toBe('mysite.wsgi:application');
    expect(parseUwsgiApp('uwsgi --wsgi-file=/srv/app.py')).toBe('/srv/app.py');
    expect(parseUwsgiApp('uwsgi --ini /etc/uwsgi/app.ini')).toBe('/etc/uwsgi/app.ini');
    expect(parseUwsgiApp('uWSGI master')).toBeNull();
  });
});

describe('processName', () => {
  it('uses the comm, or the script an interpreter runs', () => {
    expect(processName({ comm: 'dockerd', cmdline: '/usr/bin/dockerd -H fd://' })).toBe('dockerd');
    expect(processName({ comm: 'python3', cmdline: '/usr/bin/python3 -u /srv/app/manage.py runserver' })).toBe('python3 manage.py');
    expect(processName({ comm: 'python3', cmdline: 'python3 -m http.server' })).toBe('python3 -m http.server');
    expect(processName({ comm: 'node', cmdline: 'node' })).toBe('node');
    expect(processName({ comm: 'MainThread', cmdline: '/usr/bin/node /srv/dist/main.js' })).toBe('node main.js');
    expect(processName({ comm: '', cmdline: '/opt/x/bin/agent --flag' })).toBe('agent');
    expect(processName({ comm: 'sh', cmdline: `sh /tmp/${'x'.repeat(100)}.sh` })).toHaveLength(60);
  });
});

describe('groupProcesses', () => {
  it('makes one group of a Celery master and its pool, with totals', () => {
    const groups = groupProcesses(celeryWorker(), new Map([[CELERY_ID, 'mw-test-celery']]));
    expect(groups).toHaveLength(2);
    expect(groups[0]).toEqual({
      name: 'celery worker@mwtest (mwtest)',
      kind: 'celery',
      masterPid: 901,
      pids: [901, 902, 903, 904, 905],
      children: 4,
      containerId: CELERY_ID,
      containerName: 'mw-test-celery',
      // PSS 20 + 4 x 10 = 60 MiB; RSS 48 + 4 x 42 = 216 MiB (the over-count); USS 12 + 4 x 6 = 36 MiB.
      pssBytes: 60 * MIB,
      rssBytes: 216 * MIB,
      ussBytes: 36 * MIB,
      exact: true,
      celery: { app: 'mwtest', nodeName: 'worker@mwtest', configuredConcurrency: 4, poolSize: 4 },
      // Max per library over the members: torch 400 MiB (903), opencv 20 MiB (904).
      mlLibraries: [
        { name: 'torch', mappedBytes: 400 * MIB },
        { name: 'opencv', mappedBytes: 20 * MIB },
      ],
    });
    expect(groups[1]).toMatchObject({ kind: 'process', masterPid: 900, name: 'containerd-shim', containerName: null });
  });

  it('uses RSS for rss-only members and marks the group inexact', () => {
    const processes = celeryWorker().map((p) =>
      p.pid === 905 ? { ...p, pssBytes: null, ussBytes: null, precision: 'rss-only' as const } : p,
    );
    const celery = groupProcesses(processes, new Map()).find((g) => g.kind === 'celery');
    // PSS 20 + 3 x 10 + 42 (905's RSS) = 92 MiB; USS 12 + 3 x 6 + 42 = 72 MiB.
    expect(celery).toMatchObject({ pssBytes: 92 * MIB, ussBytes: 72 * MIB, rssBytes: 216 * MIB, exact: false });
    // The container is not in the name map: id kept, no name.
    expect(celery).toMatchObject({ containerId: CELERY_ID, containerName: null });
  });

  it('counts only direct children as the pool, and keeps a task subprocess in the group', () => {
    const processes = [...celeryWorker(), proc(950, 903, '/usr/bin/convert in.png out.pdf', { rss: 30, pss: 25 })];
    const celery = groupProcesses(processes, new Map()).find((g) => g.kind === 'celery');
    expect(celery).toMatchObject({ pids: [901, 902, 903, 904, 905, 950], children: 5, celery: { poolSize: 4 } });
  });

  it('reports a shrunk pool as the live pool size, not the configured concurrency', () => {
    const processes = celeryWorker().filter((p) => p.pid !== 904 && p.pid !== 905);
    const celery = groupProcesses(processes, new Map()).find((g) => g.kind === 'celery');
    expect(celery?.celery).toEqual({ app: 'mwtest', nodeName: 'worker@mwtest', configuredConcurrency: 4, poolSize: 2 });
  });

  it('keeps two workers apart, and a master whose parent is missing is still a master', () => {
    const other = 'python3 -m celery -A billing worker -c 1 -n billing@h';
    const processes = [
      ...celeryWorker(),
      proc(2000, 1, other, { rss: 40, pss: 30 }),
      proc(2001, 2000, other, { rss: 35, pss: 15 }),
      proc(3000, 77777, CELERY_CMD, { rss: 40, pss: 1 }), // parent vanished
    ];
    const celery = groupProcesses(processes, new Map()).filter((g) => g.kind === 'celery');
    expect(celery.map((g) => [g.masterPid, g.name, g.pids])).toEqual([
      [901, 'celery worker@mwtest (mwtest)', [901, 902, 903, 904, 905]],
      [2000, 'celery billing@h (billing)', [2000, 2001]],
      [3000, 'celery worker@mwtest (mwtest)', [3000]],
    ]);
  });

  it('gives another kind of master inside a group its own group', () => {
    const processes = [
      proc(10, 1, 'gunicorn: master [app:app]', { rss: 50, pss: 40 }),
      proc(11, 10, 'gunicorn: worker [app:app]', { rss: 50, pss: 20 }),
      // A worker that started a Celery worker (odd, but the tree allows it).
      proc(12, 11, 'celery -A side worker -c 1', { rss: 30, pss: 25 }),
      proc(13, 12, 'celery -A side worker -c 1', { rss: 30, pss: 5 }),
    ];
    const groups = groupProcesses(processes, new Map());
    expect(groups.map((g) => [g.kind, g.name, g.pids, g.pssBytes / MIB])).toEqual([
      ['gunicorn', 'gunicorn app:app', [10, 11], 60],
      ['celery', 'celery worker (side)', [12, 13], 30],
    ]);
  });

  it('groups uWSGI and plain gunicorn command lines', () => {
    const processes = [
      proc(20, 1, 'uwsgi --module mysite.wsgi --processes 2', { rss: 30, pss: 20 }),
      proc(21, 20, 'uwsgi --module mysite.wsgi --processes 2', { rss: 30, pss: 10 }),
      proc(22, 20, 'uwsgi --module mysite.wsgi --processes 2', { rss: 30, pss: 10 }),
      proc(30, 1, '/venv/bin/python3 /venv/bin/gunicorn -w 1 shop:app', { rss: 20, pss: 15 }),
      proc(31, 30, '/venv/bin/python3 /venv/bin/gunicorn -w 1 shop:app', { rss: 20, pss: 5 }),
    ];
    expect(groupProcesses(processes, new Map()).map((g) => [g.kind, g.name, g.children, g.celery])).toEqual([
      ['uwsgi', 'uwsgi mysite.wsgi', 2, null],
      ['gunicorn', 'gunicorn shop:app', 1, null],
    ]);
  });

  it('makes every other process its own group, sorted by PSS, and names memwarden itself', () => {
    const processes = [
      proc(5, 1, '/usr/bin/dockerd -H fd://', { rss: 90, pss: 85 }),
      proc(6, 1, '/usr/bin/node /srv/memwarden/dist/main.js', { rss: 80, pss: 50 }, { comm: 'node' }),
      proc(7, 1, 'python3 /srv/app/serve.py', { rss: 200, pss: null }),
      proc(8, 1, '/usr/bin/celery -A mwtest beat', { rss: 25, pss: 24 }),
    ];
    const groups = groupProcesses(processes, new Map(), { selfPid: 6 });
    expect(groups.map((g) => [g.name, g.kind, g.pssBytes / MIB, g.exact, g.children])).toEqual([
      ['python3 serve.py', 'process', 200, false, 0],
      ['dockerd', 'process', 85, true, 0],
      ['memwarden', 'process', 50, true, 0],
      ['celery', 'process', 24, true, 0],
    ]);
  });

  it('survives a ppid cycle and a process that is its own parent', () => {
    const processes = [
      proc(40, 41, 'gunicorn -w 1 a:b', { rss: 10, pss: 5 }),
      proc(41, 40, 'gunicorn -w 1 a:b', { rss: 10, pss: 5 }),
      proc(42, 42, 'celery -A x worker', { rss: 10, pss: 5 }),
    ];
    const groups = groupProcesses(processes, new Map());
    // Neither 40 nor 41 has a parent of another kind: no master, each stays a lone process.
    expect(groups.map((g) => [g.kind, g.pids]).sort()).toEqual([
      ['celery', [42]],
      ['process', [40]],
      ['process', [41]],
    ]);
  });

  it('returns nothing for nothing', () => {
    expect(groupProcesses([], new Map())).toEqual([]);
  });
});
