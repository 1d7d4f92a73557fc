// runExec: one command inside a container, the Engine API way `docker exec` does it: create the
// exec with an argv (no shell, so no argument is ever re-split or interpreted), start it attached
// without a TTY, split the multiplexed stream (8-byte frame headers) with the modem's demuxStream,
// and read the exit code from the exec's inspect. Output is kept up to a bound and the rest only
// counted, so a chatty command can neither fill memory nor stall on back-pressure.
import { Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { MAX_OUTPUT_CHARS } from './types.js';

/** Bytes kept per stream; the rest is counted and dropped. */
export const MAX_CAPTURE_BYTES = 16 * 1024;

export interface ExecOutcome {
  /** null when the exec ended without one (the daemon lost it). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Bytes dropped beyond MAX_CAPTURE_BYTES, both streams together. */
  droppedBytes: number;
}

class BoundedSink extends Writable {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  dropped = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const room = this.limit - this.kept;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(Buffer.from(part));
      this.kept += part.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(0, room));
    callback();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Runs `argv` in the container and waits for it; rejects with the signal's reason when aborted. */
export async function runExec(docker: Dockerode, containerId: string, argv: readonly string[], signal: AbortSignal): Promise<ExecOutcome> {
  signal.throwIfAborted();
  const exec = await docker.getContainer(containerId).exec({
    Cmd: [...argv],
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    abortSignal: signal,
  });
  const stream = await exec.start({ hijack: true, stdin: false, Tty: false, abortSignal: signal });
  const stdout = new BoundedSink(MAX_CAPTURE_BYTES);
  const stderr = new BoundedSink(MAX_CAPTURE_BYTES);
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      stream.destroy();
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    const done = (err?: Error): void => {
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    stream.once('end', () => done());
    stream.once('close', () => done());
    stream.once('error', (err: Error) => done(err));
  });
  // The stream ends when the process closes its output; the exit code lands a moment later.
  let info = await exec.inspect({ abortSignal: signal });
  for (let i = 0; info.Running && i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    signal.throwIfAborted();
    info = await exec.inspect({ abortSignal: signal });
  }
  return { exitCode: info.Running ? null : info.ExitCode, stdout: stdout.text(), stderr: stderr.text(), droppedBytes: stdout.dropped + stderr.dropped };
}

/** stdout then stderr, cut to MAX_OUTPUT_CHARS with a note of what was left out. */
export function boundedOutput(outcome: Pick<ExecOutcome, 'stdout' | 'stderr' | 'droppedBytes'>): string {
  const parts = [outcome.stdout.trimEnd(), outcome.stderr.trimEnd()].filter((p) => p !== '');
  let text = parts.join('\n');
  let omitted = outcome.droppedBytes;
  if (text.length > MAX_OUTPUT_CHARS) {
    omitted += Buffer.byteLength(text.slice(MAX_OUTPUT_CHARS - 40));
    text = text.slice(0, MAX_OUTPUT_CHARS - 40);
  }
  return omitted > 0 ? `${text}\n… (${omitted} more bytes not kept)` : text;
}

/**
 * An argv as a human reads it in the dry run: plain words as they are, anything else in single
 * quotes (shell style). Display only: nothing is ever run through a shell.
 */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((arg) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}
