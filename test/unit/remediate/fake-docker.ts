// A fake Docker for the remediation flow's unit tests: the parts of dockerode that inspectTarget
// and the executors use (inspect, top, stats, exec, update, restart), over containers held in
// memory, with a Celery worker whose pool really shrinks and grows when `celery control` is
// exec'd. Every call that changes something is recorded, so a test can say "nothing ran".
// The Celery container's id and master pid are those of test/fixtures/proc, so group PSS is
// read from that fake /proc.
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';

export const MiB = 1024 * 1024;
/** The container of the Celery worker in test/fixtures/proc (cgroup docker/<id>, master pid 901). */
export const CELERY_ID = '8dd56705e979724202c8945ccc672824870183ce6b744372487305496f7f0e9c';
export const CELERY_NAME = 'bizcard-celery-worker';
export const OTHER_ID = 'f'.repeat(64);
export const OTHER_NAME = 'bizcard-db';
export const LABELS = { 'com.memwarden.remediate': 'true' };
export const NODE = 'worker@mwtest';
const CMDLINE = `python3 /usr/bin/celery -A mwtest worker --concurrency=4 --pool=prefork -n ${NODE} --loglevel=INFO`;
export const FIXTURE_PROC = new URL('../../fixtures/proc', import.meta.url).pathname;

export interface FakeContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  running: boolean;
  startedAt: string;
  usage: number;
  hostConfig: { Memory: number; MemorySwap: number };
  /** Celery pool children (host pids) of master 901; null: no Celery worker in it. */
  children: number[] | null;
}

export interface FakeDocker {
  docker: Dockerode;
  containers: Map<string, FakeContainer>;
  /** Calls that act: exec argv, update bodies, restarts. */
  actions: string[];
  /** Every call, reads included. */
  calls: string[];
}

export interface FakeDockerOptions {
  /** Every inspect answers this late, whatever its abort signal says (a slow daemon under memory pressure). */
  inspectDelayMs?: number;
  /** An exec that is started never ends (a command that hangs in the container). */
  hangExec?: boolean;
}

export function fakeDocker(options: FakeDockerOptions = {}): FakeDocker {
  const containers = new Map<string, FakeContainer>([
    [
      CELERY_ID,
      {
        id: CELERY_ID,
        name: CELERY_NAME,
        labels: { ...LABELS },
        running: true,
        startedAt: '2025-10-27T08:00:00.000000000Z',
        usage: 230 * MiB,
        hostConfig: { Memory: 0, MemorySwap: 0 },
        children: [902, 903, 904, 905],
      },
    ],
    [
      OTHER_ID,
      { id: OTHER_ID, name: OTHER_NAME, labels: {}, running: true, startedAt: '2025-10-27T08:00:00.000000000Z', usage: 300 * MiB, hostConfig: { Memory: 0, MemorySwap: 0 }, children: null },
    ],
  ]);
  const actions: string[] = [];
  const calls: string[] = [];
  let nextPid = 950;

  function find(ref: string): FakeContainer | undefined {
    return containers.get(ref) ?? [...containers.values()].find((c) => c.name === ref || c.name === ref.replace(/^\//, ''));
  }
  const notFound = (ref: string) => Object.assign(new Error(`(HTTP code 404) no such container - No such container: ${ref}`), { statusCode: 404, json: { message: `No such container: ${ref}` } });

  const docker = {
    getContainer(ref: string) {
      return {
        async inspect() {
          calls.push(`inspect ${ref}`);
          if (options.inspectDelayMs) await new Promise((resolve) => setTimeout(resolve, options.inspectDelayMs));
          const c = find(ref);
          if (!c) throw notFound(ref);
          return {
            Id: c.id,
            Name: `/${c.name}`,
            Config: { Labels: { ...c.labels }, Hostname: 'mwtest' },
            State: { Running: c.running, StartedAt: c.startedAt, Status: c.running ? 'running' : 'exited', ExitCode: 0 },
            HostConfig: { ...c.hostConfig },
          };
        },
        async top() {
          calls.push(`top ${ref}`);
          const c = find(ref);
          if (!c) throw notFound(ref);
          const rows = c.children === null ? [['700', '1', 'postgres']] : [['901', '900', CMDLINE], ...c.children.map((pid) => [String(pid), '901', CMDLINE])];
          return { Titles: ['PID', 'PPID', 'COMMAND'], Processes: rows };
        },
        async stats() {
          calls.push(`stats ${ref}`);
          const c = find(ref);
          if (!c) throw notFound(ref);
          return { memory_stats: { usage: c.usage, stats: { total_inactive_file: 0 }, limit: 16 * 1024 * MiB } };
        },
        async update(body: Record<string, unknown>) {
          const { abortSignal: _signal, ...rest } = body;
          actions.push(`update ${ref} ${JSON.stringify(rest)}`);
          const c = find(ref);
          if (!c) throw notFound(ref);
          Object.assign(c.hostConfig, rest);
          return {};
        },
        async restart(opts: { t?: number }) {
          actions.push(`restart ${ref} t=${opts.t}`);
          const c = find(ref);
          if (!c) throw notFound(ref);
          c.startedAt = new Date(Date.parse(c.startedAt) + 60_000).toISOString();
          return {};
        },
        async exec(opts: { Cmd: string[] }) {
          actions.push(`exec ${ref} ${JSON.stringify(opts.Cmd)}`);
          const c = find(ref);
          if (!c) throw notFound(ref);
          return {
            async start() {
              const stream = new PassThrough();
              if (options.hangExec) return stream;
              const [, , , , command, count] = opts.Cmd;
              const n = Number(count);
              if (c.children !== null && command === 'pool_shrink') c.children = c.children.slice(0, Math.max(0, c.children.length - n));
              if (c.children !== null && command === 'pool_grow') for (let i = 0; i < n; i++) c.children.push(nextPid++);
              const word = command === 'pool_shrink' ? 'pool will shrink' : command === 'pool_grow' ? 'pool will grow' : 'ok';
              setImmediate(() => stream.end(`[{"${NODE}": {"ok": "${word}"}}]\n`));
              return stream;
            },
            async inspect() {
              return { Running: false, ExitCode: 0 };
            },
          };
        },
      };
    },
    // The fake stream is not multiplexed: everything goes to stdout.
    modem: { demuxStream: (stream: PassThrough, stdout: NodeJS.WritableStream) => stream.on('data', (chunk: Buffer) => stdout.write(chunk)) },
  };
  return { docker: docker as unknown as Dockerode, containers, actions, calls };
}
