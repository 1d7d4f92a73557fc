// The executors against a real Docker engine and a real Celery worker (concurrency 4), driven
// through the shipped runbooks (enabled as an operator would, with an approver listed). Every
// effect is checked by a second, independent measurement: the pool by the master's children in
// /proc (collectProcesses) AND by `celery inspect stats` (len(pool.processes)); limits and restarts
// by `docker inspect`. Polling is bounded (waitUntil), never a fixed sleep.
import { resolve } from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collectProcesses } from '../../src/collect/processes.js';
import { dockerUpdateMemoryExecutor } from '../../src/remediate/executors/docker-update-memory.js';
import { executePlan, inspectTarget, planExecution } from '../../src/remediate/executors/index.js';
import type { ExecContext, ExecutionPlan, ExecutionResult } from '../../src/remediate/executors/types.js';
import { loadRunbooks, parseRunbookFile } from '../../src/remediate/load-runbooks.js';
import { type ParamValues, validateParams } from '../../src/remediate/runbook-params.js';
import type { Runbook } from '../../src/remediate/runbook-schema.js';
import {
  type CeleryWorkerHandle,
  celeryPing,
  celeryPoolStats,
  describeWithEnv,
  docker,
  startCeleryWorker,
  uniqueName,
  useTestEnv,
  waitForPoolStats,
  waitUntil,
} from './test-env.js';

const MiB = 1024 * 1024;
const LABEL = { 'com.memwarden.remediate': 'true' };
const shipped = loadRunbooks(resolve(import.meta.dirname, '../../commands')).byId;

function enabled(id: string): Runbook {
  const rb = shipped.get(id);
  if (!rb) throw new Error(`no shipped runbook ${id}`);
  return { ...rb, enabled: true, approval: { ...rb.approval, approvers: { users: ['U0123ABCD'], groups: [] } } };
}

function fromYaml(id: string, yaml: string): Runbook {
  const result = parseRunbookFile(Buffer.from(yaml), `test/${id}.yml`, id);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.runbook;
}

function params(rb: Runbook, raw: Record<string, string>): ParamValues {
  const result = validateParams(rb, raw);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.params;
}

describeWithEnv('remediation executors on a real Celery worker', () => {
  const api = new Dockerode();
  let worker: CeleryWorkerHandle;
  let containerId = '';
  /** Pool sizes seen, for the report at the end. */
  const seen: string[] = [];

  async function plan(rb: Runbook, raw: Record<string, string>, ref = worker.container): Promise<ExecutionPlan> {
    const target = await inspectTarget(api, ref);
    return planExecution(rb, target.container, params(rb, raw), target.state);
  }

  async function run(rb: Runbook, raw: Record<string, string>): Promise<ExecutionResult> {
    const p = await plan(rb, raw);
    expect(p.refusal, p.summary).toBeNull();
    const result = await executePlan(p, { docker: api, pollIntervalMs: 200 });
    const figures = (o: ExecutionResult['before']) => JSON.stringify(o && { ...o, childPids: undefined });
    seen.push(`${rb.id}: ${result.status} ${figures(result.before)} -> ${figures(result.after)}: ${result.summary}`);
    return result;
  }

  /** The master's children as /proc shows them (an independent count from the executors' docker top). */
  async function procChildren(): Promise<number[] | undefined> {
    const { processes, groups } = await collectProcesses({ procRoot: '/proc', withSmaps: false, containerNames: new Map([[containerId, worker.container]]) });
    const group = groups.find((g) => g.kind === 'celery' && g.containerId === containerId);
    if (!group) return undefined;
    return processes.filter((p) => p.ppid === group.masterPid).map((p) => p.pid).sort((a, b) => a - b);
  }

  const inspectStats = () => celeryPoolStats(worker.container, worker.node);
  const waitForStats = (size: number) => waitForPoolStats(worker.container, worker.node, size);

  async function waitForPool(size: number): Promise<number[]> {
    return waitUntil(`${size} pool children in /proc`, async () => {
      const children = await procChildren();
      return children?.length === size ? children : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
  }

  function hostConfig(): { Memory: number; MemorySwap: number } {
    return JSON.parse(docker(['inspect', '-f', '{{json .HostConfig}}', worker.container])) as { Memory: number; MemorySwap: number };
  }

  beforeAll(async () => {
    worker = await startCeleryWorker(uniqueName('rx'), { concurrency: 4, labels: LABEL });
    containerId = docker(['inspect', '-f', '{{.Id}}', worker.container]);
    await waitForPool(4);
  });

  afterAll(() => {
    worker?.stop();
    // The measured pool sizes, for the run's log.
    console.log(`pool sizes measured:\n  ${seen.join('\n  ')}`);
  });

  it('shrinks the pool from 4 to 1: 1 child in /proc and in inspect stats, max-concurrency still 4', async () => {
    expect(inspectStats()).toEqual({ processes: 4, maxConcurrency: 4 });
    const p = await plan(enabled('lower-celery-concurrency'), { concurrency: '1' });
    expect(p.action).toMatchObject({ type: 'exec', argv: ['celery', '-A', 'mwtest', 'control', 'pool_shrink', '3', '-d', worker.node, '-j', '-t', '10'] });

    const result = await run(enabled('lower-celery-concurrency'), { concurrency: '1' });
    expect(result, result.summary).toMatchObject({ ok: true, status: 'applied', before: { poolSize: 4 }, after: { poolSize: 1 } });
    expect(result.summary).toBe(`shrank ${worker.node}'s pool from 4 to 1 children`);
    expect(result.output).toBe(`[{"${worker.node}": {"ok": "pool will shrink"}}]`);
    expect(result.notes.join(' ')).toContain('celery -A mwtest worker --concurrency=1 --pool=prefork');

    expect(await waitForPool(1)).toHaveLength(1);
    expect(await waitForStats(1)).toEqual({ processes: 1, maxConcurrency: 4 });
  });

  it('grows it back to 4 (undoing the shrink)', async () => {
    const result = await run(enabled('grow-celery-pool'), { concurrency: '4' });
    expect(result, result.summary).toMatchObject({ ok: true, status: 'applied', before: { poolSize: 1 }, after: { poolSize: 4 } });
    expect(result.action).toMatchObject({ argv: expect.arrayContaining(['pool_grow', '3']) });
    expect(await waitForPool(4)).toHaveLength(4);
    expect(await waitForStats(4)).toEqual({ processes: 4, maxConcurrency: 4 });
  });

  it('has nothing to do when the pool is already at the target', async () => {
    const result = await run(enabled('grow-celery-pool'), { concurrency: '4' });
    expect(result).toMatchObject({ ok: true, status: 'nothing-to-do', action: null });
  });

  it('restarts the pool children: replaced as each takes a task, the pool size kept', async () => {
    const before = await waitForPool(4);
    const result = await run(enabled('celery-pool-restart'), {});
    expect(result, result.summary).toMatchObject({ ok: true, status: 'applied', before: { poolSize: 4 } });
    expect(result.summary).toMatch(new RegExp(`^Celery answered "reload started": [1-4] of 4 children of ${worker.node} replaced so far`));
    // Celery flags every child; an idle one goes when it takes its next task. Bursts of pings
    // reach them all (bounded).
    const env = useTestEnv();
    const burst = ['import mwtest', `rs = [mwtest.ping.apply_async(queue=${JSON.stringify(worker.queue)}) for _ in range(8)]`, '[r.get(timeout=30) for r in rs]'].join('\n');
    const after = await waitUntil('every child replaced and the pool back to 4', async () => {
      const children = await procChildren();
      if (children?.length === 4 && !children.some((pid) => before.includes(pid))) return children;
      docker(['exec', '-w', '/app', '-e', `MWTEST_BROKER_URL=${env.MW_TEST_REDIS_URL}`, worker.container, 'python3', '-c', burst], 60_000);
      return undefined;
    }, { timeoutMs: 90_000, intervalMs: 300 });
    expect(after).toHaveLength(4);
    expect((await waitForStats(4)).processes).toBe(4);
  });

  it('restarts the container: a new StartedAt, the worker answers ping with its pool of 4', async () => {
    const startedBefore = docker(['inspect', '-f', '{{.State.StartedAt}}', worker.container]);
    const result = await run(enabled('restart-celery-worker'), { grace: '5s' });
    expect(result, result.summary).toMatchObject({
      ok: true,
      status: 'applied',
      action: { type: 'api', path: `/containers/${containerId}/restart`, query: { t: '5' } },
      after: { running: true, poolSize: 4 },
    });
    const startedAfter = docker(['inspect', '-f', '{{.State.StartedAt}}', worker.container]);
    expect(startedAfter).not.toBe(startedBefore);
    expect(result.after?.startedAt).toBe(startedAfter);
    await waitUntil(`${worker.node} to answer ping`, () => (celeryPing(worker.container, worker.node) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
    expect(await waitForPool(4)).toHaveLength(4);
  });

  it('refuses a memory limit below the current usage before calling Docker; nothing changes', async () => {
    const target = await inspectTarget(api, worker.container);
    const usage = target.state.memoryUsageBytes ?? 0;
    expect(usage).toBeGreaterThan(64 * MiB);
    const before = hostConfig();
    const p = await plan(enabled('set-memory-limit'), { limit: '64MiB' });
    expect(p.refusal).toMatch(new RegExp(`^refused: set-memory-limit 64 MiB is below ${worker.container}'s current usage of \\d+(\\.\\d)? MiB$`));
    const result = await executePlan(p, { docker: api });
    expect(result).toMatchObject({ ok: false, status: 'refused', action: null });
    expect(hostConfig()).toMatchObject({ Memory: before.Memory, MemorySwap: before.MemorySwap });
  });

  it("maps Docker's own 500 (the kernel cannot go below usage) to the same refusal; nothing changes", async () => {
    // The executor alone, with a plan that (wrongly) thinks 20 MiB fits: Docker must refuse.
    const target = await inspectTarget(api, worker.container);
    const rb = enabled('set-memory-limit');
    const p = planExecution(rb, target.container, { limit: 20 * MiB }, { ...target.state, memoryUsageBytes: 10 * MiB });
    expect(p.refusal).toBeNull();
    const before = hostConfig();
    const controller = new AbortController();
    const ctx: ExecContext = {
      docker: api,
      cgroupRoot: '/sys/fs/cgroup',
      signal: controller.signal,
      deadline: Date.now() + 30_000,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      pollIntervalMs: 200,
    };
    const result = await dockerUpdateMemoryExecutor.execute(p, ctx);
    expect(result.status, result.summary).toBe('refused');
    expect(result.summary).toMatch(new RegExp(`^refused: set-memory-limit 20 MiB is below ${worker.container}'s current usage of [\\d.]+ MiB \\(the kernel could not reclaim enough; Docker: "unable to set memory limit to 20971520 \\(current usage: \\d+`));
    expect(hostConfig()).toMatchObject({ Memory: before.Memory, MemorySwap: before.MemorySwap });
  });

  it('sets a memory limit with MemorySwap: docker inspect shows both', async () => {
    const target = await inspectTarget(api, worker.container);
    const limit = Math.ceil(((target.state.memoryUsageBytes ?? 0) + 256 * MiB) / MiB) * MiB;
    expect(hostConfig()).toMatchObject({ Memory: 0 });
    const result = await run(enabled('set-memory-limit'), { limit: String(limit) });
    expect(result, result.summary).toMatchObject({ ok: true, status: 'applied', after: { memoryLimit: limit, memorySwap: limit } });
    expect(result.action).toMatchObject({ type: 'api', path: `/containers/${containerId}/update`, body: { Memory: limit, MemorySwap: limit } });
    expect(hostConfig()).toMatchObject({ Memory: limit, MemorySwap: limit });

    // Lowering it again keeps swap disabled (MemorySwap follows Memory).
    const lower = limit - 64 * MiB;
    const again = await run(enabled('set-memory-limit'), { limit: String(lower) });
    expect(again, again.summary).toMatchObject({ ok: true, status: 'applied' });
    expect(hostConfig()).toMatchObject({ Memory: lower, MemorySwap: lower });
  });

  it('docker.exec passes a parameter as exactly one argument, never through a shell', async () => {
    const yaml = (argv: string) =>
      `id: echo-word\ntitle: T\ndescription: D\nkind: docker.exec\ntarget: { labels: { com.memwarden.remediate: "true" } }\nparams: { word: { type: string, pattern: '[^\\n]{1,64}' } }\nargv: ${argv}\nrisk: low\napproval: { approvers: { users: [U0123ABCD] }, required: 1 }\ntimeout: 20s\nenabled: true\n`;
    const echo = fromYaml('echo-word', yaml(`[echo, '{{word}}']`));
    const result = await run(echo, { word: 'a b; reboot' });
    expect(result, result.summary).toMatchObject({ ok: true, status: 'applied', output: 'a b; reboot', action: { argv: ['echo', 'a b; reboot'] } });

    const argvJson = fromYaml('echo-word', yaml(`[python3, -c, 'import json, sys; print(json.dumps(sys.argv[1:]))', '{{word}}']`));
    const printed = await run(argvJson, { word: 'a b; reboot $(id) `id`' });
    expect(JSON.parse(printed.output)).toEqual(['a b; reboot $(id) `id`']);
  });

  it('gives up at the runbook timeout on a command that hangs', async () => {
    const sleeper = fromYaml(
      'sleeper',
      `id: sleeper\ntitle: T\ndescription: D\nkind: docker.exec\ntarget: { labels: { com.memwarden.remediate: "true" } }\nargv: [sleep, "30"]\nrisk: low\napproval: { approvers: { users: [U0123ABCD] }, required: 1 }\ntimeout: 2s\nenabled: true\n`,
    );
    const t0 = Date.now();
    const result = await run(sleeper, {});
    expect(result).toMatchObject({ ok: false, status: 'timed-out', summary: `timed out after 2s: may have taken effect: exec in ${worker.container}: sleep 30 — verify before retrying` });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('refuses a container outside the allowlist without touching it', async () => {
    const env = useTestEnv();
    const p = await plan(enabled('restart-celery-worker'), { grace: '5s' }, env.MW_TEST_BUSY_CONTAINER);
    expect(p).toMatchObject({ action: null, refusal: `${env.MW_TEST_BUSY_CONTAINER} is outside restart-celery-worker's allowlist (label com.memwarden.remediate=true)` });
    const startedBefore = docker(['inspect', '-f', '{{.State.StartedAt}}', env.MW_TEST_BUSY_CONTAINER]);
    expect(await executePlan(p, { docker: api })).toMatchObject({ status: 'refused' });
    expect(docker(['inspect', '-f', '{{.State.StartedAt}}', env.MW_TEST_BUSY_CONTAINER])).toBe(startedBefore);
  });
});
