// The container image: the Dockerfile built from this repository against the test environment's
// local stand-in for node:22-bookworm-slim, then run the way docker-compose.example.yml runs it
// (pid: host, read-only root filesystem with a tmpfs, a memory limit, no capabilities, the cgroup
// hierarchies read-only, a data directory, the Docker API) next to the environment's containers.
// A cold build compiles better-sqlite3 on a vfs storage driver and takes many minutes; with the
// layer cache a rebuild takes a few.
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type BuildResult,
  buildImage,
  containerLogs,
  dockerExec,
  dockerExecAsync,
  dockerSocketGid,
  inspectContainer,
  REPO_ROOT,
  removeLeftovers,
  type RunningContainer,
  runContainer,
  startFilteringProxy,
} from './image-env.js';
import { allowed, MEMWARDEN_DOCKER_CALLS, proxyAllowlist } from '../unit/deploy/socket-proxy.js';
import { describeWithEnv, docker, freePort, uniqueName, useTestEnv, waitUntil } from './test-env.js';

const IMAGE_TAG = 'memwarden-test/memwarden:image-test';
const NAME_PREFIX = 'image';
const BUILD_TIMEOUT_MS = 60 * 60_000;
const MiB = 1024 * 1024;
/** memwarden's own memory limit, as in docker-compose.example.yml. */
const MEMORY_LIMIT = 512 * MiB;
const PACKAGE_VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface ImageInspect {
  Size: number;
  Config: {
    User: string;
    Env: string[];
    Entrypoint: string[];
    Cmd: string[];
    WorkingDir: string;
    ExposedPorts: Record<string, object>;
    Volumes: Record<string, object>;
    Labels: Record<string, string>;
    Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  };
}

function inspectImage(ref: string): ImageInspect {
  return (JSON.parse(docker(['image', 'inspect', ref])) as ImageInspect[])[0] as ImageInspect;
}

/** The cgroup hierarchies memwarden reads, read-only, below /host/sys/fs/cgroup (paths.cgroup). */
function cgroupMounts(): string[] {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return ['-v', '/sys/fs/cgroup:/host/sys/fs/cgroup:ro']; // v2: one mount
  // v1: each hierarchy is its own mount, and a bind mount's :ro does not reach the mounts below it
  // (Docker < 25): mount the two hierarchies memwarden reads, each read-only.
  return ['-v', '/sys/fs/cgroup/memory:/host/sys/fs/cgroup/memory:ro', '-v', '/sys/fs/cgroup/pids:/host/sys/fs/cgroup/pids:ro'];
}

interface StatusJson {
  docker: { reachable: boolean; error: string | null };
  containers: { name: string; memoryUsageBytes: number | null; memoryLimitBytes: number | null; source: string }[];
  processGroups: { name: string; kind: string; containerName: string | null; pssBytes: number; exact: boolean }[];
  errors: { source: string; message: string }[];
}

describeWithEnv('container image (Dockerfile)', () => {
  let build: BuildResult | undefined;
  let container: RunningContainer | undefined;
  let opsPort = 0;
  const dirs: string[] = [];

  beforeAll(async () => {
    const env = useTestEnv();
    const nodeImage = env.MW_TEST_NODE_IMAGE;
    if (!nodeImage) throw new Error('.test-env/env has no MW_TEST_NODE_IMAGE: run `bash scripts/test-env.sh up` with this version of the script');
    removeLeftovers(`${NAME_PREFIX}-`);
    build = await buildImage({ tag: IMAGE_TAG, nodeImage, timeoutMs: BUILD_TIMEOUT_MS });
    const baseSize = inspectImage(nodeImage).Size;
    process.stderr.write(
      `image ${IMAGE_TAG}: built in ${(build.durationMs / 1000).toFixed(1)} s (${build.cachedSteps} of ${build.steps} steps from the cache), ` +
        `${(build.sizeBytes / 1e6).toFixed(0)} MB, of which ${((build.sizeBytes - baseSize) / 1e6).toFixed(0)} MB on top of ${nodeImage}\n`,
    );

    const root = mkdtempSync(path.join(tmpdir(), 'memwarden-image-test-'));
    dirs.push(root);
    // the data directory belongs to the image's user, like a fresh named volume
    const data = path.join(root, 'data');
    mkdirSync(data);
    chownSync(data, 1000, 1000);
    const config = path.join(root, 'config');
    mkdirSync(config, { mode: 0o755 });
    writeFileSync(path.join(config, 'memwarden.yml'), 'paths:\n  cgroup: /host/sys/fs/cgroup\n', { mode: 0o644 });

    opsPort = await freePort();
    container = runContainer(uniqueName(NAME_PREFIX), IMAGE_TAG, [
      '--network', 'host', // the test environment's dockerd has no bridge
      '--pid', 'host',
      '--read-only', '--tmpfs', '/tmp',
      '--memory', `${MEMORY_LIMIT}b`, '--memory-swap', `${MEMORY_LIMIT}b`,
      '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
      '--group-add', String(dockerSocketGid()), '-v', '/var/run/docker.sock:/var/run/docker.sock',
      ...cgroupMounts(),
      '-v', `${config}:/etc/memwarden:ro`, '-e', 'MEMWARDEN_CONFIG=/etc/memwarden/memwarden.yml',
      '-v', `${data}:/data`,
      '-e', `MEMWARDEN_OPS_PORT=${opsPort}`,
      '-e', 'MEMWARDEN_POLL_INTERVAL=5s',
      // the image's HEALTHCHECK, checked every 2 s instead of 30 s
      '--health-interval', '2s', '--health-timeout', '5s', '--health-retries', '3',
    ]);
  }, BUILD_TIMEOUT_MS + 10 * 60_000);

  afterAll(() => {
    if (container) {
      const state = inspectContainerSafe(container.name);
      if (state && state.State.ExitCode !== 0) process.stderr.write(`${container.name} logs:\n${containerLogs(container.name)}\n`);
      container.remove();
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 5 * 60_000);

  function running(): RunningContainer {
    if (!container) throw new Error('the container did not start');
    return container;
  }

  it('is built from the repository with the layer cache and stays lean', () => {
    expect(build).toBeDefined();
    const base = inspectImage(useTestEnv().MW_TEST_NODE_IMAGE as string).Size;
    // node_modules (production only) + dist: about 55 MB
    expect((build as BuildResult).sizeBytes - base).toBeLessThan(100 * 1e6);
  });

  it('is configured as a service image', () => {
    const { Config: config } = inspectImage(IMAGE_TAG);
    expect(config.User).toBe('1000:1000');
    expect(config.Entrypoint).toEqual(['node', '/app/dist/main.js']);
    expect(config.Cmd).toEqual(['run']);
    expect(config.WorkingDir).toBe('/app');
    expect(Object.keys(config.ExposedPorts).sort()).toEqual(['3000/tcp', '9464/tcp']);
    expect(Object.keys(config.Volumes)).toEqual(['/data']);
    expect(config.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'MEMWARDEN_DATA_DIR=/data']));
    expect(config.Healthcheck?.Test[0]).toBe('CMD');
    expect(config.Healthcheck?.Test.join(' ')).toContain('/healthz');
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.title': 'memwarden',
      'org.opencontainers.image.version': PACKAGE_VERSION,
      'org.opencontainers.image.licenses': 'MIT',
    });
  });

  it('holds the built application and production dependencies only, and no compiler', () => {
    const c = running();
    const ls = dockerExec(c.name, ['ls', '-A', '/app']);
    expect(ls.status, ls.stderr).toBe(0);
    expect(ls.stdout.trim().split('\n').sort()).toEqual(['commands', 'dist', 'manifest.yml', 'memwarden.example.yml', 'node_modules', 'package.json']);
    const modules = dockerExec(c.name, ['ls', '-A', '/app/node_modules']).stdout.split('\n');
    for (const dev of ['vitest', 'typescript', 'eslint', 'tsx', 'nock']) expect(modules).not.toContain(dev);
    expect(modules).toContain('better-sqlite3');
    const addon = dockerExec(c.name, ['find', '/app/node_modules/better-sqlite3/build', '-type', 'f']);
    expect(addon.stdout.trim()).toBe('/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    const toolchain = dockerExec(c.name, ['sh', '-c', 'command -v g++ || command -v make || command -v python3 || echo none']);
    expect(toolchain.stdout.trim()).toBe('none');
  });

  it('runs as a non-root user', () => {
    const c = running();
    expect(inspectContainer(c.name).Config.User).toBe('1000:1000');
    expect(dockerExec(c.name, ['id', '-u']).stdout.trim()).toBe('1000');
    // the main process itself, seen from the host (with --pid host, pid 1 inside is the host's init)
    const pid = docker(['container', 'inspect', '-f', '{{.State.Pid}}', c.name]);
    const uids = /^Uid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim().split(/\s+/);
    expect(uids).toEqual(['1000', '1000', '1000', '1000']);
  });

  it('answers /healthz with 200 and Docker reports it healthy', async () => {
    const c = running();
    const url = `http://127.0.0.1:${opsPort}/healthz`;
    const body = await waitUntil(
      `${url} to answer 200`,
      async () => {
        const res = await fetch(url, { signal: AbortSignal.timeout(3_000) }).catch(() => null);
        if (res?.status !== 200) {
          if (!inspectContainer(c.name).State.Running) throw new Error(`${c.name} exited:\n${containerLogs(c.name)}`);
          return undefined;
        }
        return (await res.json()) as { status: string; checks: { docker: { ok: boolean } } };
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    expect(body.status).toBe('ok');
    expect(body.checks.docker.ok).toBe(true);

    const health = await waitUntil(
      'Docker health status healthy',
      () => {
        const h = inspectContainer(c.name).State.Health;
        if (h?.Status === 'unhealthy') throw new Error(`container is unhealthy: ${JSON.stringify(h.Log?.slice(-3))}`);
        return h?.Status === 'healthy' ? h : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    expect(health.Log?.at(-1)?.ExitCode).toBe(0);
  }, 300_000);

  it('`docker exec <c> memwarden status --json` sees the host, the containers and their processes', () => {
    const c = running();
    const env = useTestEnv();
    const out = dockerExec(c.name, ['memwarden', 'status', '--json'], 120_000);
    expect(out.status, out.stderr).toBe(0);
    const status = JSON.parse(out.stdout) as StatusJson;
    expect(status.docker.reachable).toBe(true);
    const busy = status.containers.find((x) => x.name === env.MW_TEST_BUSY_CONTAINER);
    expect(busy, JSON.stringify(status.containers.map((x) => x.name))).toBeDefined();
    expect(busy?.memoryUsageBytes).toBeGreaterThan(0);
    // read from the host's cgroup files mounted read-only, not the slower stats API
    expect(busy?.source).toBe('cgroup');
    const self = status.containers.find((x) => x.name === c.name);
    expect(self?.memoryLimitBytes).toBe(MEMORY_LIMIT);
    // pid: host: processes of other containers are visible and attributed to them
    const celery = status.processGroups.find((g) => g.kind === 'celery' && g.containerName === env.MW_TEST_CELERY_CONTAINER);
    expect(celery, JSON.stringify(status.processGroups.map((g) => [g.name, g.containerName]))).toBeDefined();
    expect(celery?.pssBytes).toBeGreaterThan(0);
    expect(status.errors).toEqual([]);
  }, 180_000);

  it("needs no Docker call beyond the socket proxy's allowlist in docker-compose.example.yml", async () => {
    const c = running();
    const env = useTestEnv();
    const allow = proxyAllowlist();
    const proxy = await startFilteringProxy((method, urlPath) => allowed(allow, method, urlPath));
    try {
      const dockerHost = `tcp://127.0.0.1:${proxy.port}`;
      const status = await dockerExecAsync(c.name, ['env', `DOCKER_HOST=${dockerHost}`, 'memwarden', 'status', '--json'], 120_000);
      expect(status.status, status.stderr).toBe(0);
      const snapshot = JSON.parse(status.stdout) as StatusJson;
      expect(snapshot.docker.reachable).toBe(true);
      expect(snapshot.containers.map((x) => x.name)).toContain(env.MW_TEST_BUSY_CONTAINER);
      // the bot itself for a few polls (the event stream too), on its own data dir and no ops port
      const run = await dockerExecAsync(
        c.name,
        ['env', `DOCKER_HOST=${dockerHost}`, 'MEMWARDEN_DATA_DIR=/tmp/proxy-run', 'MEMWARDEN_OPS_PORT=0', 'MEMWARDEN_POLL_INTERVAL=2s', 'LOG_FORMAT=json',
          'timeout', '-s', 'TERM', '12', 'memwarden', 'run'],
        120_000,
      );
      const log = `${run.stdout}${run.stderr}`;
      expect([0, 124], log).toContain(run.status);
      expect(log).toContain('First snapshot taken');
      expect(log).not.toContain('Docker unreachable');
    } finally {
      await proxy.close();
    }
    const refused = proxy.requests.filter((r) => !r.allowed);
    expect(refused, JSON.stringify(refused)).toEqual([]);
    const seen = new Set(proxy.requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{64}/g, '<id>')}`));
    process.stderr.write(`Docker calls of status and run through the allowlist: ${[...seen].sort().join(', ')}\n`);
    expect([...seen]).toEqual(expect.arrayContaining(['GET /containers/json', 'GET /images/json', 'GET /containers/<id>/json', 'GET /events']));
    // and everything memwarden asked for is in the list the compose file is checked against
    const documented = new Set(MEMWARDEN_DOCKER_CALLS.map((call) => `${call.method} ${call.path.replace(/[0-9a-f]{64}/g, '<id>')}`));
    for (const call of seen) expect([...documented], call).toContain(call);
  }, 300_000);

  it('stops on `docker stop` quickly with exit status 0', () => {
    const c = running();
    const started = Date.now();
    docker(['stop', '-t', '10', c.name], 60_000);
    const tookMs = Date.now() - started;
    const state = inspectContainer(c.name).State;
    expect(state.Running).toBe(false);
    expect(state.ExitCode, containerLogs(c.name)).toBe(0);
    expect(state.OOMKilled).toBe(false);
    // well inside Docker's 10 s before SIGKILL (which would be exit status 137)
    expect(tookMs).toBeLessThan(9_000);
  }, 120_000);
});

function inspectContainerSafe(name: string) {
  try {
    return inspectContainer(name);
  } catch {
    return undefined;
  }
}
