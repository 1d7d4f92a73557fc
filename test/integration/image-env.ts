// Helpers for tests of the container image (Dockerfile): build it against the test environment's
// local stand-in for node:22-bookworm-slim (MW_TEST_NODE_IMAGE, made by scripts/test-env.sh) and
// run it next to the environment's containers. Throwaway containers are named mw-test-tmp-*
// and labelled com.memwarden.test=1, so `scripts/test-env.sh down` removes what a crash left.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker, TEST_LABEL, TMP_CONTAINER_PREFIX } from './test-env.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface BuildResult {
  tag: string;
  durationMs: number;
  /** Steps the builder took from its cache ("Using cache"), of all steps. */
  cachedSteps: number;
  steps: number;
  /** The image's size as `docker images` shows it (bytes). */
  sizeBytes: number;
}

/**
 * `docker build` of the repository with the classic builder, streaming its output to stderr (a
 * cold build compiles better-sqlite3 and takes minutes on vfs). Throws with the tail of the
 * output when the build fails or exceeds timeoutMs.
 */
export function buildImage(opts: { tag: string; nodeImage: string; timeoutMs: number; buildArgs?: Record<string, string> }): Promise<BuildResult> {
  const args = ['build', '--network', 'host', '--label', TEST_LABEL, '--build-arg', `NODE_IMAGE=${opts.nodeImage}`];
  for (const [k, v] of Object.entries(opts.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  args.push('-t', opts.tag, REPO_ROOT);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // DOCKER_BUILDKIT=0: the classic builder on every docker version (20.10 has no buildx here).
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    let output = '';
    const onData = (chunk: Buffer): void => {
      process.stderr.write(chunk);
      output = (output + chunk.toString('utf8')).slice(-256 * 1024);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        const why = signal ? `killed by ${signal} (timeout ${opts.timeoutMs} ms?)` : `exit ${code}`;
        reject(new Error(`docker build ${opts.tag} failed (${why}):\n${output.split('\n').slice(-30).join('\n')}`));
        return;
      }
      resolve({
        tag: opts.tag,
        durationMs: Date.now() - started,
        steps: (output.match(/^Step \d+\/\d+ :/gm) ?? []).length,
        cachedSteps: (output.match(/^ ---> Using cache$/gm) ?? []).length,
        sizeBytes: Number(docker(['image', 'inspect', '-f', '{{.Size}}', opts.tag])),
      });
    });
  });
}

/** The group that owns the Docker socket: a non-root container needs it (--group-add) to talk to Docker. */
export function dockerSocketGid(socket = '/var/run/docker.sock'): number {
  return statSync(socket).gid;
}

export interface RunningContainer {
  name: string;
  id: string;
  remove(): void;
}

/** `docker run -d --name mw-test-tmp-<name> --label com.memwarden.test=1 <args> <image> <cmd>`. */
export function runContainer(name: string, image: string, args: string[], cmd: string[] = []): RunningContainer {
  const full = `${TMP_CONTAINER_PREFIX}${name}`;
  removeContainer(full);
  // On a vfs storage driver `docker run` copies the whole image first: allow minutes.
  const id = docker(['run', '-d', '--name', full, '--label', TEST_LABEL, ...args, image, ...cmd], 5 * 60_000);
  return { name: full, id, remove: () => removeContainer(full) };
}

export function removeContainer(name: string): void {
  try {
    docker(['rm', '-f', name], 3 * 60_000);
  } catch {
    // already gone
  }
}

/** Containers of earlier runs whose names start with `prefix` (mw-test-tmp-<prefix>...). */
export function removeLeftovers(prefix: string): void {
  const names = docker(['ps', '-a', '--filter', `label=${TEST_LABEL}`, '--filter', `name=^${TMP_CONTAINER_PREFIX}${prefix}`, '--format', '{{.Names}}']);
  for (const name of names.split('\n').filter(Boolean)) removeContainer(name);
}

/** `docker inspect` of a container as JSON (the fields the image tests read). */
export interface ContainerInspect {
  Id: string;
  State: { Status: string; Running: boolean; ExitCode: number; OOMKilled: boolean; Health?: { Status: string; Log?: { ExitCode: number; Output: string }[] } };
  Config: { User: string; Image: string };
}

export function inspectContainer(name: string): ContainerInspect {
  return (JSON.parse(docker(['container', 'inspect', name])) as ContainerInspect[])[0] as ContainerInspect;
}

/** `docker exec` returning stdout, stderr and the exit status (not throwing on a non-zero one). */
export function dockerExec(container: string, argv: string[], timeoutMs = 60_000): { status: number | null; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync('docker', ['exec', container, ...argv], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    return { status: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status?: number | null; stdout?: string; stderr?: string };
    return { status: e.status ?? null, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

/**
 * `docker exec` without blocking the event loop: needed when the command talks to a server in this
 * process (startFilteringProxy), which execFileSync would starve.
 */
export function dockerExecAsync(container: string, argv: string[], timeoutMs = 60_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['exec', container, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The container's last log lines, stdout and stderr together. */
export function containerLogs(name: string, tail = 40): string {
  const out = spawnSync('docker', ['logs', '--tail', String(tail), name], { encoding: 'utf8', timeout: 30_000 });
  return `${out.stdout ?? ''}${out.stderr ?? ''}${out.error ? String(out.error) : ''}`;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  allowed: boolean;
}

export interface FilteringProxy {
  /** The port on 127.0.0.1 (DOCKER_HOST=tcp://127.0.0.1:<port>). */
  port: number;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * A stand-in for the socket proxy of docker-compose.example.yml: HTTP on 127.0.0.1 to the Docker
 * socket, passing a request only when `allow(method, path)` says so (the path without the query,
 * as wollomatic/socket-proxy matches it) and answering 403 otherwise; records every request.
 * No connection upgrades (exec start with hijack): status and run do not use them.
 */
export function startFilteringProxy(allow: (method: string, path: string) => boolean, socketPath = '/var/run/docker.sock'): Promise<FilteringProxy> {
  const requests: ProxiedRequest[] = [];
  const server = createHttpServer((req, res) => {
    const method = req.method ?? 'GET';
    const urlPath = new URL(req.url ?? '/', 'http://proxy').pathname;
    const ok = allow(method, urlPath);
    requests.push({ method, path: urlPath, allowed: ok });
    if (!ok) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Forbidden\n');
      return;
    }
    const upstream = httpRequest({ socketPath, method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`proxy: ${err.message}\n`);
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address !== 'object' || !address) return reject(new Error('no address'));
      resolve({
        port: address.port,
        requests,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
