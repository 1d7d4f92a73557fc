// Runs test/fixtures/remediation-child.ts as a separate memwarden process (node --import tsx)
// and reads its stdout line by line, so a test waits for what the child says, never for a time.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const CHILD = fileURLToPath(new URL('../../fixtures/remediation-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Child {
  process: ChildProcessWithoutNullStreams;
  /** Resolves with the first line (now or later) that starts with `prefix`; rejects if the child exits first. */
  line(prefix: string): Promise<string>;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

/** Runs `script` (default: the remediation child) with `args`. */
export function spawnChild(args: readonly string[], script: string = CHILD): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const seen: string[] = [];
  const waiting: { prefix: string; resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    seen.push(text);
    for (const w of waiting.filter((w) => text.startsWith(w.prefix))) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve(text);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const w of waiting.splice(0)) w.reject(new Error(`child exited (${code ?? signal}) before printing "${w.prefix}": ${stderr}`));
      resolve({ code, signal });
    }),
  );
  return {
    process: child,
    exited,
    stderr: () => stderr,
    line(prefix) {
      const already = seen.find((text) => text.startsWith(prefix));
      if (already !== undefined) return Promise.resolve(already);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`child already exited: ${stderr}`));
      return new Promise((resolve, reject) => waiting.push({ prefix, resolve, reject }));
    },
  };
}
