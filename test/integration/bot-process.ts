// A real `memwarden run` as a child process for the tests of what only a whole process shows:
// the HTTP endpoints, signals and exit codes. Plus two real pieces of Docker plumbing to put
// between it and the daemon: a second, scratch Docker engine a test may stop, and a proxy on a
// unix socket that holds chosen requests to the real daemon (to catch the bot mid-poll).
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { freePort, waitUntil } from './test-env.js';

const REPO = resolve(import.meta.dirname, '../..');

export interface BotProcess {
  child: ChildProcess;
  opsUrl: string;
  /** stdout and stderr so far (JSON log lines with LOG_FORMAT=json). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Log lines (parsed JSON) whose msg is `msg`. */
  logs(msg: string): Record<string, unknown>[];
}

export async function spawnBot(options: { env: Record<string, string>; preload?: string; args?: string[] }): Promise<BotProcess> {
  const opsPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', ...(options.preload ? ['--import', options.preload] : []), 'src/main.ts', 'run', ...(options.args ?? [])], {
    cwd: REPO,
    env: childEnv({ MEMWARDEN_OPS_PORT: String(opsPort), LOG_FORMAT: 'json', LOG_LEVEL: 'debug', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((ok) => child.on('exit', (code, signal) => ok({ code, signal, at: Date.now() })));
  const logs = (msg: string) =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === msg);
  return { child, opsUrl: `http://127.0.0.1:${opsPort}`, output: () => output, exited, logs };
}

/** The environment a memwarden child gets: only what the test says, no Slack tokens or config the developer's shell may hold. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(SLACK_|MEMWARDEN_|PORT$|LOG_|DOCKER_)/.test(key)));
  return { ...inherited, NO_COLOR: '1', ...env };
}

/** One memwarden CLI command (`status`, `audit`, ...) as a child process, to its exit. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: REPO, env: childEnv(env), timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      if (err && code === null) reject(err);
      else resolveRun({ code, stdout, stderr });
    });
  });
}

export interface Health {
  status: string;
  checks: {
    docker: { ok: boolean; detail: string };
    poll: { ok: boolean; detail: string };
    slack: { ok: boolean; mode: string; detail: string };
    store?: { ok: boolean; detail: string };
  };
}

/** Polls /healthz until its HTTP status is `status`; returns the body. */
export function waitForHealth(bot: BotProcess, status: 200 | 503, timeoutMs = 30_000): Promise<Health> {
  return waitUntil(
    `/healthz ${status}`,
    async () => {
      if (bot.child.exitCode !== null) throw new Error(`memwarden exited (${bot.child.exitCode}):\n${bot.output().slice(-3000)}`);
      try {
        const res = await fetch(`${bot.opsUrl}/healthz`);
        const body = (await res.json()) as Health;
        return res.status === status ? body : undefined;
      } catch {
        return undefined;
      }
    },
    { timeoutMs, intervalMs: 200 },
  );
}

export interface SmallDisk {
  dir: string;
  /** Fills the filesystem up to the last block (a filler file), so nothing more can be written. */
  fill(): void;
  /** Space back: removes the filler. */
  free(): void;
  /** Unmounts and removes the directory (after everything using it has stopped). */
  remove(): void;
}

/**
 * A real filesystem that runs out of space: a tmpfs of `bytes` mounted at `dir` (these machines
 * run the tests as root). memwarden sees ENOSPC exactly as on a full disk.
 */
export function smallDisk(dir: string, bytes: number): SmallDisk {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      try {
        for (const size of [1024 * 1024, 64 * 1024, 4096, 512, 1]) {
          const chunk = Buffer.alloc(size, 1);
          for (;;) {
            try {
              writeSync(fd, chunk);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    remove() {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ScratchEngine {
  socket: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  remove(): Promise<void>;
}

/**
 * A second Docker engine with its own data, exec root, socket and pidfile, so a test can stop
 * "Docker" without touching the engine every other test uses. Same flags as scripts/test-env.sh.
 */
export function scratchEngine(dir: string): ScratchEngine {
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'docker.sock');
  const pidfile = join(dir, 'docker.pid');
  const engine: ScratchEngine = {
    socket,
    async start() {
      const daemon = spawn(
        'dockerd',
        ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', `unix://${socket}`, '--pidfile', pidfile, '--iptables=false', '--ip-masq=false', '--bridge=none', '--storage-driver=vfs'],
        { stdio: 'ignore', detached: true },
      );
      daemon.unref();
      await waitUntil('the scratch Docker engine answers', () => {
        try {
          execFileSync('docker', ['-H', `unix://${socket}`, 'version', '--format', '{{.Server.Version}}'], { stdio: 'pipe', timeout: 5_000 });
          return true;
        } catch {
          return undefined;
        }
      }, { timeoutMs: 30_000, intervalMs: 200 });
    },
    async stop() {
      if (!existsSync(pidfile)) return;
      const pid = Number(readFileSync(pidfile, 'utf8').trim());
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      await waitUntil('the scratch Docker engine stopped', () => {
        try {
          process.kill(pid, 0);
          return undefined;
        } catch {
          return true;
        }
      }, { timeoutMs: 30_000, intervalMs: 100 });
    },
    async remove() {
      await engine.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return engine;
}

export interface HoldingProxy {
  socket: string;
  /** Resolves when the next request whose first line matches is being held. */
  holdNext(match: RegExp): Promise<string>;
  /** Lets the held request through. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A unix socket that forwards to the real Docker socket byte for byte, except that it can hold
 * one chosen request (by its request line) until release(): a poll that is in flight for as long
 * as the test wants, with no change to memwarden.
 */
export async function holdingDockerProxy(socket: string, target = '/var/run/docker.sock'): Promise<HoldingProxy> {
  let armed: { match: RegExp; held: (line: string) => void } | null = null;
  let releaseHeld: (() => void) | null = null;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target);
    open.add(client).add(upstream);
    client.on('close', () => open.delete(client));
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.pipe(client);
    // Chunk by chunk rather than pipe(): the client keeps connections alive, so a request to
    // hold may come on a connection that has carried others before it.
    let held: Buffer[] | null = null;
    client.on('data', (chunk: Buffer) => {
      if (held) {
        held.push(chunk);
        return;
      }
      const line = chunk.toString('latin1').split('\r\n', 1)[0] ?? '';
      if (armed && /^[A-Z]+ \S+ HTTP\/1\.[01]$/.test(line) && armed.match.test(line)) {
        const notify = armed.held;
        armed = null;
        held = [chunk];
        releaseHeld = () => {
          for (const part of held ?? []) upstream.write(part);
          held = null;
        };
        notify(line);
      } else {
        upstream.write(chunk);
      }
    });
  });
  rmSync(socket, { force: true });
  await new Promise<void>((ok) => server.listen(socket, () => ok()));
  return {
    socket,
    holdNext: (match) => new Promise((held) => (armed = { match, held })),
    release: () => {
      releaseHeld?.();
      releaseHeld = null;
    },
    // A client that is still running keeps its connections alive: close them too, or close() waits for ever.
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        for (const socket of open) socket.destroy();
      }),
  };
}
