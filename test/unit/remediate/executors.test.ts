// Plans (what the dry run shows and a human approves) for every kind, the pure helpers the
// executors rest on, and executePlan against a fake Docker for what a real one cannot be made to
// do on demand (a hung exec, usage that grew between plan and run, a 500 from the kernel).
import { PassThrough } from 'node:stream';
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { describeAction, executePlan, planExecution } from '../../../src/remediate/executors/index.js';
import {
  celeryControlArgv,
  parseControlReply,
  persistentConcurrencyCommand,
  replyTimeoutSeconds,
} from '../../../src/remediate/executors/celery-control.js';
import { nextMemorySwap } from '../../../src/remediate/executors/docker-update-memory.js';
import { boundedOutput, formatArgv } from '../../../src/remediate/executors/run-exec.js';
import { expandNodeName, findCeleryWorkers, parseAutoscale, parseTop } from '../../../src/remediate/executors/target.js';
import type { CeleryWorkerState, TargetContainer, TargetState } from '../../../src/remediate/executors/types.js';
import { loadRunbooks, parseRunbookFile } from '../../../src/remediate/load-runbooks.js';
import type { Runbook } from '../../../src/remediate/runbook-schema.js';

const REPO = resolve(import.meta.dirname, '../../..');
const MiB = 1024 * 1024;
const ID = 'c0ffee'.padEnd(64, '0');
const LABELS = { 'com.memwarden.remediate': 'true' };
const shipped = loadRunbooks(join(REPO, 'commands'), { displayRoot: REPO }).byId;

/** A shipped runbook, enabled as an operator would after listing approvers. */
function enabled(id: string, overrides: Partial<Runbook> = {}): Runbook {
  const rb = shipped.get(id);
  if (!rb) throw new Error(`no runbook ${id}`);
  return { ...rb, enabled: true, approval: { ...rb.approval, approvers: { users: ['U0123ABCD'], groups: [] } }, ...overrides };
}

function fromYaml(id: string, yaml: string): Runbook {
  const result = parseRunbookFile(Buffer.from(yaml), `commands/${id}.yml`, id);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.runbook;
}

const container: TargetContainer = { id: ID, name: 'mw-x', labels: LABELS };

const CMDLINE = 'python3 /usr/bin/celery -A mwtest worker --concurrency=4 --pool=prefork -n worker@x --loglevel=INFO';

function worker(overrides: Partial<CeleryWorkerState> = {}): CeleryWorkerState {
  return {
    masterPid: 100,
    cmdline: CMDLINE,
    app: 'mwtest',
    nodeName: 'worker@x',
    configuredConcurrency: 4,
    autoscale: null,
    poolSize: 4,
    childPids: [101, 102, 103, 104],
    ...overrides,
  };
}

function state(overrides: Partial<TargetState> = {}): TargetState {
  return {
    running: true,
    startedAt: '2026-01-01T00:00:00.000000000Z',
    hostname: 'vm',
    memoryUsageBytes: 120 * MiB,
    memoryLimit: 0,
    memorySwap: 0,
    celeryWorkers: [worker()],
    ...overrides,
  };
}

describe('reading the worker from docker top', () => {
  // As Engine 20.10 answered `docker top <celery worker> -o pid,ppid,args`.
  const top = {
    Titles: ['PID', 'PPID', 'COMMAND'],
    Processes: [
      ['9642', '9621', CMDLINE],
      ['9669', '9642', CMDLINE],
      ['9670', '9642', CMDLINE],
      ['9700', '9621', 'celery -A mwtest control pool_shrink 1 -d worker@x -j -t 10'],
    ],
  };

  it('finds the master (its parent is not Celery) and counts its children as the live pool', () => {
    const processes = parseTop(top);
    expect(processes[0]).toEqual({ pid: 9642, ppid: 9621, args: CMDLINE });
    expect(findCeleryWorkers(processes, 'vm')).toEqual([
      { masterPid: 9642, cmdline: CMDLINE, app: 'mwtest', nodeName: 'worker@x', configuredConcurrency: 4, autoscale: null, poolSize: 2, childPids: [9669, 9670] },
    ]);
  });

  it('reads setproctitle titles, expands %h, and defaults the node to celery@<hostname>', () => {
    const processes = parseTop({
      Titles: ['PID', 'PPID', 'COMMAND'],
      Processes: [
        ['10', '1', '[celeryd: worker@web-1.example:MainProcess] -active- (-A proj worker -c 2 -n worker@%h)'],
        ['11', '10', '[celeryd: worker@web-1.example:ForkPoolWorker-1]'],
        ['20', '1', 'celery -A other worker --autoscale=8,2'],
      ],
    });
    const workers = findCeleryWorkers(processes, 'web-1.example');
    expect(workers.map((w) => [w.masterPid, w.app, w.nodeName, w.poolSize, w.autoscale])).toEqual([
      [10, 'proj', 'worker@web-1.example', 1, null],
      [20, 'other', 'celery@web-1.example', 0, { max: 8, min: 2 }],
    ]);
    expect(expandNodeName('w@%n.%d%%', 'web-1.example')).toBe('w@web-1.example%');
    expect(expandNodeName('w@%h', null)).toBeNull();
    expect(expandNodeName('w@%i', 'vm')).toBeNull();
    expect(parseAutoscale('celery -A p worker --autoscale 10')).toEqual({ max: 10, min: 0 });
  });

  it('gives nothing for an answer it does not understand', () => {
    expect(parseTop({ Titles: ['UID', 'CMD'], Processes: [['0', 'x']] })).toEqual([]);
    expect(parseTop({})).toEqual([]);
  });
});

describe('celery control', () => {
  it('builds the argv: app, command, count, node, JSON, reply timeout', () => {
    expect(celeryControlArgv('mwtest', 'worker@x', 'pool_shrink', ['3'], 60_000)).toEqual([
      'celery', '-A', 'mwtest', 'control', 'pool_shrink', '3', '-d', 'worker@x', '-j', '-t', '10',
    ]);
    expect(replyTimeoutSeconds(8_000)).toBe(2);
    expect(replyTimeoutSeconds(1_000)).toBe(1);
  });

  it('reads the replies Celery 5.2 prints', () => {
    expect(parseControlReply(0, '[{"worker@x": {"ok": "pool will shrink"}}]\n', '', 'worker@x')).toEqual({ type: 'ok', message: 'pool will shrink' });
    expect(parseControlReply(0, `[{"worker@x": {"error": "ValueError(\\"Can't shrink pool. All processes busy!\\")"}}]`, '', 'worker@x')).toEqual({
      type: 'error',
      message: "Can't shrink pool. All processes busy!",
    });
    expect(parseControlReply(0, `[{"worker@x": {"error": "ValueError('Pool restarts not enabled')"}}]`, '', 'worker@x')).toEqual({ type: 'error', message: 'Pool restarts not enabled' });
    expect(parseControlReply(69, '', 'Error: No nodes replied within time constraint\n', 'worker@x')).toEqual({ type: 'no-reply' });
    // Another node's reply is not ours.
    expect(parseControlReply(0, '[{"worker@y": {"ok": "pool will shrink"}}]', '', 'worker@x')).toMatchObject({ type: 'unreadable' });
    expect(parseControlReply(2, '', "Error: Invalid value for '-A' / '--app': \nUnable to load celery application.\n", 'worker@x')).toEqual({
      type: 'unreadable',
      detail: "exit 2: Error: Invalid value for '-A' / '--app':  Unable to load celery application.",
    });
  });

  it('writes the persistent fix into the worker command line', () => {
    expect(persistentConcurrencyCommand(CMDLINE, 1)).toBe('python3 /usr/bin/celery -A mwtest worker --concurrency=1 --pool=prefork -n worker@x --loglevel=INFO');
    expect(persistentConcurrencyCommand('celery -A p worker -c 8 -l info', 2)).toBe('celery -A p worker --concurrency=2 -l info');
    expect(persistentConcurrencyCommand('celery -A p worker -l info', 2)).toBe('celery -A p worker --concurrency=2 -l info');
    expect(persistentConcurrencyCommand('[celeryd: w@h:MainProcess] -active- (-A p worker -c 4)', 3)).toBe('-A p worker --concurrency=3');
  });
});

describe('planExecution: what the dry run shows', () => {
  it('lower-celery-concurrency: shrinks by the live pool size minus the target, and says the fix is live only', () => {
    const plan = planExecution(enabled('lower-celery-concurrency'), container, { concurrency: 1 }, state());
    expect(plan.refusal).toBeNull();
    expect(plan.action).toEqual({ type: 'exec', containerId: ID, argv: ['celery', '-A', 'mwtest', 'control', 'pool_shrink', '3', '-d', 'worker@x', '-j', '-t', '10'] });
    expect(plan.summary).toBe("shrink worker@x's pool from 4 to 1 children: celery -A mwtest control pool_shrink 3 -d worker@x -j -t 10 (in mw-x)");
    expect(plan.before).toEqual({ poolSize: 4, childPids: [101, 102, 103, 104] });
    expect(plan.celery).toEqual({ app: 'mwtest', node: 'worker@x', masterPid: 100 });
    expect(plan.notes).toEqual([
      'This shrink is live only: it is lost when the worker restarts, because its command line still says --concurrency=4. To keep 1, start the worker with --concurrency=1 (docker-compose.yml `command:`): python3 /usr/bin/celery -A mwtest worker --concurrency=1 --pool=prefork -n worker@x --loglevel=INFO',
    ]);
    // The live size, not the command line's: a pool already shrunk to 3 needs 2.
    const again = planExecution(enabled('lower-celery-concurrency'), container, { concurrency: 1 }, state({ celeryWorkers: [worker({ poolSize: 3, childPids: [1, 2, 3] })] }));
    expect(again.action).toMatchObject({ argv: expect.arrayContaining(['pool_shrink', '2']) });
  });

  it('has nothing to do when the pool is already at or below the target', () => {
    const plan = planExecution(enabled('lower-celery-concurrency'), container, { concurrency: 4 }, state());
    expect(plan).toMatchObject({ action: null, refusal: null, summary: 'nothing to do: worker@x runs 4 pool children, not more than 4' });
  });

  it('grow-celery-pool grows by the difference', () => {
    const plan = planExecution(enabled('grow-celery-pool'), container, { concurrency: 4 }, state({ celeryWorkers: [worker({ poolSize: 1, childPids: [101] })] }));
    expect(plan.action).toMatchObject({ argv: ['celery', '-A', 'mwtest', 'control', 'pool_grow', '3', '-d', 'worker@x', '-j', '-t', '10'] });
  });

  it('celery-pool-restart runs pool_restart and warns how Celery really restarts', () => {
    const plan = planExecution(enabled('celery-pool-restart'), container, {}, state());
    expect(plan.action).toMatchObject({ argv: ['celery', '-A', 'mwtest', 'control', 'pool_restart', '-d', 'worker@x', '-j', '-t', '10'] });
    expect(plan.notes.join(' ')).toContain('worker_pool_restarts=True');
  });

  it('refuses outside the allowlist, when disabled, on a stopped container, and with bad parameters', () => {
    const rb = enabled('lower-celery-concurrency');
    expect(planExecution(rb, { ...container, labels: {} }, { concurrency: 1 }, state())).toMatchObject({
      action: null,
      refusal: "mw-x is outside lower-celery-concurrency's allowlist (label com.memwarden.remediate=true)",
    });
    const disabled = planExecution(shipped.get('lower-celery-concurrency') as Runbook, container, { concurrency: 1 }, state());
    // The dry run still shows what it would do; nothing runs.
    expect(disabled.refusal).toBe('lower-celery-concurrency is disabled (enabled: false in commands/lower-celery-concurrency.yml)');
    expect(disabled.action).not.toBeNull();
    expect(planExecution(rb, container, { concurrency: 1 }, state({ running: false })).refusal).toBe('mw-x is not running');
    expect(planExecution(rb, container, { concurrency: 0 }, state()).refusal).toBe('invalid parameters: concurrency: must be at least 1, got 0');
    expect(planExecution(rb, container, { concurrency: '1; reboot' }, state()).refusal).toMatch(/^invalid parameters: concurrency: expected a whole number/);
  });

  it('refuses when the worker cannot be told apart or named', () => {
    const rb = enabled('lower-celery-concurrency');
    expect(planExecution(rb, container, { concurrency: 1 }, state({ celeryWorkers: [] })).refusal).toBe('no Celery worker runs in mw-x');
    const two = state({ celeryWorkers: [worker(), worker({ masterPid: 200, nodeName: 'worker@y' })] });
    expect(planExecution(rb, container, { concurrency: 1 }, two).refusal).toBe(
      '2 Celery workers run in mw-x (worker@x, worker@y): set celery.node in commands/lower-celery-concurrency.yml',
    );
    const pinned = { ...rb, celery: { app: 'auto', node: 'worker@y' } };
    expect(planExecution(pinned, container, { concurrency: 1 }, two).celery).toEqual({ app: 'mwtest', node: 'worker@y', masterPid: 200 });
    expect(planExecution(rb, container, { concurrency: 1 }, state({ celeryWorkers: [worker({ app: null })] })).refusal).toBe(
      "the worker's command line names no Celery app (-A): set celery.app in commands/lower-celery-concurrency.yml",
    );
    expect(planExecution(rb, container, { concurrency: 1 }, state({ celeryWorkers: [worker({ autoscale: { max: 8, min: 2 } })] })).refusal).toBe(
      'worker@x autoscales (--autoscale=8,2): Celery refuses pool_shrink then; change the autoscale range instead',
    );
  });

  it('celery.autoscale needs a worker started with --autoscale', () => {
    const rb = fromYaml(
      'autoscale',
      `id: autoscale\ntitle: T\ndescription: D\nkind: celery.autoscale\ntarget: { labels: { com.memwarden.remediate: "true" } }\nparams:\n  max: { type: integer, min: 1, max: 16 }\n  min: { type: integer, min: 0, max: 16 }\nrisk: low\napproval: { approvers: { users: [U0123ABCD] }, required: 1 }\nenabled: true\n`,
    );
    expect(planExecution(rb, container, { max: 8, min: 2 }, state()).refusal).toBe('worker@x was not started with --autoscale: Celery would answer "Autoscale not enabled"');
    const scaling = state({ celeryWorkers: [worker({ autoscale: { max: 10, min: 3 } })] });
    expect(planExecution(rb, container, { max: 8, min: 2 }, scaling).action).toMatchObject({ argv: ['celery', '-A', 'mwtest', 'control', 'autoscale', '8', '2', '-d', 'worker@x', '-j', '-t', '10'] });
    expect(planExecution(rb, container, { max: 2, min: 8 }, scaling).refusal).toBe('min (8) is above max (2)');
  });

  it('restart-celery-worker: the API call with t = grace in seconds', () => {
    const plan = planExecution(enabled('restart-celery-worker'), container, { grace: 30_000 }, state());
    expect(plan.action).toEqual({ type: 'api', method: 'POST', path: `/containers/${ID}/restart`, query: { t: '30' }, body: null });
    expect(describeAction(plan.action, 'mw-x')).toBe(`POST /containers/${ID}/restart?t=30`);
    expect(plan.before).toEqual({ running: true, startedAt: '2026-01-01T00:00:00.000000000Z', memoryUsageBytes: 120 * MiB, poolSize: 4 });
    expect(plan.notes[1]).toBe('The worker comes back with its command line\'s pool size (--concurrency=4): a live pool shrink or grow is undone.');
  });

  it('set-memory-limit: refuses a limit below the current usage, naming both', () => {
    const plan = planExecution(enabled('set-memory-limit'), container, { limit: 64 * MiB }, state());
    expect(plan).toMatchObject({ action: null, refusal: "refused: set-memory-limit 64 MiB is below mw-x's current usage of 120 MiB" });
  });

  it('set-memory-limit: sends Memory and MemorySwap together', () => {
    const plan = planExecution(enabled('set-memory-limit'), container, { limit: 256 * MiB }, state({ memoryLimit: 512 * MiB, memorySwap: 512 * MiB }));
    expect(plan.action).toEqual({ type: 'api', method: 'POST', path: `/containers/${ID}/update`, query: {}, body: { Memory: 256 * MiB, MemorySwap: 256 * MiB } });
    expect(describeAction(plan.action, 'mw-x')).toBe(`POST /containers/${ID}/update {"Memory":268435456,"MemorySwap":268435456}`);
    expect(plan.notes[0]).toBe('no swap (MemorySwap = Memory)');
    const tight = planExecution(enabled('set-memory-limit'), container, { limit: 125 * MiB }, state());
    expect(tight.notes).toContain('Tight: 125 MiB leaves 5 MiB above the current usage of 120 MiB; a burst gets a process OOM-killed.');
  });

  it('keeps the swap semantics the container had', () => {
    // No limit yet: swap disabled with it (what diagnose's manual steps do).
    expect(nextMemorySwap({ memoryLimit: 0, memorySwap: 0 }, 256 * MiB)).toBe(256 * MiB);
    // Swap disabled stays disabled.
    expect(nextMemorySwap({ memoryLimit: 512 * MiB, memorySwap: 512 * MiB }, 256 * MiB)).toBe(256 * MiB);
    // Unlimited swap stays unlimited (-1 must still be sent).
    expect(nextMemorySwap({ memoryLimit: 512 * MiB, memorySwap: -1 }, 256 * MiB)).toBe(-1);
    expect(nextMemorySwap({ memoryLimit: 0, memorySwap: -1 }, 256 * MiB)).toBe(-1);
    // A swap allowance keeps its size (Docker's default is twice the memory: 512 MiB of swap here).
    expect(nextMemorySwap({ memoryLimit: 512 * MiB, memorySwap: 1024 * MiB }, 256 * MiB)).toBe(768 * MiB);
  });

  it('docker.exec: each parameter is one argument of the fixed argv', () => {
    const rb = fromYaml(
      'echo-word',
      `id: echo-word\ntitle: T\ndescription: D\nkind: docker.exec\ntarget: { containers: [mw-*] }\nparams: { word: { type: string, pattern: '.{1,64}' } }\nargv: [echo, '{{word}}']\nrisk: low\napproval: { approvers: { users: [U0123ABCD] }, required: 1 }\nenabled: true\n`,
    );
    const plan = planExecution(rb, container, { word: 'a b; reboot' }, state());
    expect(plan.action).toEqual({ type: 'exec', containerId: ID, argv: ['echo', 'a b; reboot'] });
    expect(plan.summary).toBe("run echo 'a b; reboot' in mw-x");
  });
});

describe('display helpers', () => {
  it('quotes argv for humans only where needed', () => {
    expect(formatArgv(['celery', '-A', 'mwtest', 'x', "it's", '$(id)', ''])).toBe(`celery -A mwtest x 'it'\\''s' '$(id)' ''`);
  });

  it('bounds the output and says how much was left out', () => {
    expect(boundedOutput({ stdout: 'out\n', stderr: 'err\n', droppedBytes: 0 })).toBe('out\nerr');
    const long = boundedOutput({ stdout: 'x'.repeat(10_000), stderr: '', droppedBytes: 100 });
    expect(long.length).toBeLessThanOrEqual(4000);
    expect(long).toMatch(/… \(6140 more bytes not kept\)$/);
  });
});

// ---------------------------------------------------------------------------------------------
// executePlan against a fake Docker

interface FakeOptions {
  usage?: number;
  hang?: boolean;
  /** What the exec prints on stdout, and the pool children left after it ran. */
  reply?: string;
  childrenAfter?: number[];
  update?: (body: unknown) => Promise<unknown>;
  hostConfig?: { Memory: number; MemorySwap: number };
}

/** The parts of dockerode the executors use; anything else throws. Records every call. */
function fakeDocker(options: FakeOptions = {}): { docker: Dockerode; calls: string[] } {
  const calls: string[] = [];
  const hostConfig = options.hostConfig ?? { Memory: 0, MemorySwap: 0 };
  let children = [101, 102, 103, 104];
  const handle = {
    inspect: async () => {
      calls.push('inspect');
      return { Id: ID, Name: '/mw-x', Config: { Labels: LABELS, Hostname: 'vm' }, State: { Running: true, StartedAt: '2026-01-01T00:00:00Z' }, HostConfig: { ...hostConfig } };
    },
    top: async () => {
      calls.push('top');
      return { Titles: ['PID', 'PPID', 'COMMAND'], Processes: [['100', '1', CMDLINE], ...children.map((pid) => [String(pid), '100', CMDLINE])] };
    },
    stats: async () => {
      calls.push('stats');
      return { memory_stats: { usage: options.usage ?? 120 * MiB, stats: { total_inactive_file: 0 }, limit: 1 } };
    },
    update: async (body: Record<string, unknown>) => {
      const { abortSignal: _signal, ...rest } = body;
      calls.push(`update ${JSON.stringify(rest)}`);
      if (options.update) return options.update(rest);
      Object.assign(hostConfig, rest);
      return {};
    },
    exec: async (opts: { Cmd: string[] }) => {
      calls.push(`exec ${JSON.stringify(opts.Cmd)}`);
      return {
        start: async () => {
          const stream = new PassThrough();
          if (!options.hang) {
            if (options.childrenAfter) children = options.childrenAfter;
            setImmediate(() => stream.end(options.reply ?? ''));
          }
          return stream;
        },
        inspect: async () => ({ Running: false, ExitCode: 0 }),
      };
    },
  };
  const docker = {
    getContainer: (id: string) => {
      if (id !== ID) throw new Error(`unexpected container ${id}`);
      return handle;
    },
    // The fake stream is not multiplexed: everything goes to stdout.
    modem: { demuxStream: (stream: PassThrough, stdout: NodeJS.WritableStream) => stream.on('data', (chunk: Buffer) => stdout.write(chunk)) },
  };
  return { docker: docker as unknown as Dockerode, calls };
}

const deps = (docker: Dockerode) => ({ docker, cgroupRoot: '/nonexistent-cgroup-root', pollIntervalMs: 10 });

describe('executePlan', () => {
  it('never touches Docker for a refused plan', async () => {
    const plan = planExecution(enabled('set-memory-limit'), container, { limit: 64 * MiB }, state());
    const { docker, calls } = fakeDocker();
    const result = await executePlan(plan, deps(docker));
    expect(result).toMatchObject({ ok: false, status: 'refused', summary: "refused: set-memory-limit 64 MiB is below mw-x's current usage of 120 MiB", action: null });
    expect(calls).toEqual([]);
  });

  it("maps Docker's 500 \"unable to set memory limit\" to the same refusal, with the kernel's usage", async () => {
    const plan = planExecution(enabled('set-memory-limit'), container, { limit: 128 * MiB }, state());
    const message =
      'Cannot update container c0ffee: runc did not terminate successfully: exit status 1: unable to set memory limit to 134217728 (current usage: 141557760, peak usage: 150282240)\n: unknown';
    const { docker, calls } = fakeDocker({ update: () => Promise.reject(Object.assign(new Error('(HTTP code 500) server error'), { statusCode: 500, json: { message } })) });
    const result = await executePlan(plan, deps(docker));
    expect(result.status).toBe('refused');
    expect(result.summary).toBe(
      "refused: set-memory-limit 128 MiB is below mw-x's current usage of 135 MiB (the kernel could not reclaim enough; Docker: \"unable to set memory limit to 134217728 (current usage: 141557760, peak usage: 150282240) : unknown\")",
    );
    expect(result.after).toEqual({ memoryLimit: 0, memorySwap: 0 });
    expect(calls).toContain('update {"Memory":134217728,"MemorySwap":134217728}');
  });

  it('applies a limit and checks it took, without reading the target again first', async () => {
    const plan = planExecution(enabled('set-memory-limit'), container, { limit: 256 * MiB }, state({ memoryLimit: 512 * MiB, memorySwap: -1 }));
    const { docker, calls } = fakeDocker({ hostConfig: { Memory: 512 * MiB, MemorySwap: -1 } });
    const result = await executePlan(plan, deps(docker));
    expect(result).toMatchObject({ ok: true, status: 'applied', after: { memoryLimit: 256 * MiB, memorySwap: -1 } });
    expect(result.summary).toBe("set mw-x's memory limit to 256 MiB; swap stays unlimited (MemorySwap -1)");
    expect(result.action).toMatchObject({ body: { Memory: 256 * MiB, MemorySwap: -1 } });
    // The plan was made from a read a moment ago: the update, then the inspect that checks it.
    expect(calls).toEqual(['update {"Memory":268435456,"MemorySwap":-1}', 'inspect']);
  });

  it('reports a shrink stopped by busy children as partial, with the live size reached', async () => {
    const plan = planExecution(enabled('lower-celery-concurrency'), container, { concurrency: 1 }, state());
    const reply = `[{"worker@x": {"error": "ValueError(\\"Can't shrink pool. All processes busy!\\")"}}]\n`;
    const { docker } = fakeDocker({ reply, childrenAfter: [103, 104] });
    const result = await executePlan(plan, deps(docker));
    expect(result).toMatchObject({ ok: false, status: 'partial', before: { poolSize: 4 }, after: { poolSize: 2, childPids: [103, 104] } });
    expect(result.summary).toBe(
      "partial: shrank worker@x's pool from 4 to 2 children, not 1: Celery answered \"Can't shrink pool. All processes busy!\": the other children are running tasks. Run it again when they are idle.",
    );
    expect(result.output).toBe(reply.trim());
    // The two it did stop are gone until the worker restarts: the persistent fix is still named.
    expect(result.notes.join(' ')).toContain('--concurrency=1');
  });

  it('says so when pool restarts are off', async () => {
    const plan = planExecution(enabled('celery-pool-restart'), container, {}, state());
    const { docker } = fakeDocker({ reply: `[{"worker@x": {"error": "ValueError('Pool restarts not enabled')"}}]` });
    const result = await executePlan(plan, deps(docker));
    expect(result).toMatchObject({ ok: false, status: 'failed', summary: 'failed: Celery answered "Pool restarts not enabled": pool restarts are off for worker@x, nothing changed' });
    expect(result.notes).toEqual(['Set worker_pool_restarts=True in the Celery config (it takes effect after one worker restart), or use a runbook that restarts the container.']);
  });

  it('honours the runbook timeout when the command hangs', async () => {
    const rb = enabled('lower-celery-concurrency', { timeoutMs: 1000 });
    const plan = planExecution(rb, container, { concurrency: 1 }, state());
    const { docker } = fakeDocker({ hang: true });
    const t0 = Date.now();
    const result = await executePlan(plan, deps(docker));
    const took = Date.now() - t0;
    expect(result).toMatchObject({ ok: false, status: 'timed-out' });
    expect(result.summary).toBe('timed out after 1s: may have taken effect: exec in mw-x: celery -A mwtest control pool_shrink 3 -d worker@x -j -t 1 — verify before retrying');
    expect(result.notes).toEqual(['Docker cannot stop an exec: the command may still be running in the container.']);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(3000);
  });
});
