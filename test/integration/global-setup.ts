// vitest globalSetup of the "integration" project: brings the environment up with
// `bash scripts/test-env.sh up` (idempotent, seconds when already up) and provides
// { ready, env } or { ready: false, reason } under the key "testEnv" (see test-env.ts).
// Exit 3 ("cannot provision: ...") outside CI skips the integration tests; in CI (CI=true)
// or on any other failure the run fails.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { TestEnvState, TestEnvVars } from './test-env.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(REPO_ROOT, 'scripts', 'test-env.sh');
const ENV_FILE = path.join(REPO_ROOT, '.test-env', 'env');
const UP_TIMEOUT_MS = 15 * 60 * 1000;
const REQUIRED_KEYS = [
  'MW_TEST_REDIS_URL',
  'MW_TEST_CELERY_IMAGE',
  'MW_TEST_BUSYBOX_IMAGE',
  'MW_TEST_CELERY_CONTAINER',
  'MW_TEST_BUSY_CONTAINER',
  'MW_TEST_CELERY_APP',
  'MW_TEST_CELERY_NODE',
] as const;

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Run the script, streaming its stdout and stderr to our stderr, and keep the tail of its output. */
function runScript(args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: UP_TIMEOUT_MS,
      killSignal: 'SIGTERM',
    });
    let output = '';
    const onData = (chunk: Buffer): void => {
      process.stderr.write(chunk);
      output = (output + chunk.toString('utf8')).slice(-64 * 1024);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output }));
  });
}

export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined) env[m[1]] = m[2] ?? '';
  }
  return env;
}

function lastMatching(output: string, re: RegExp): string | undefined {
  const lines = output.split('\n').reverse();
  for (const line of lines) {
    const m = re.exec(line);
    if (m) return m[1] ?? line;
  }
  return undefined;
}

export async function setup(project: TestProject): Promise<void> {
  const started = Date.now();
  const { code, signal, output } = await runScript(['up']);

  if (code === 0) {
    const env = parseEnvFile(readFileSync(ENV_FILE, 'utf8'));
    const missing = REQUIRED_KEYS.filter((k) => !env[k]);
    if (missing.length > 0) throw new Error(`${ENV_FILE} lacks ${missing.join(', ')}`);
    const state: TestEnvState = { ready: true, env: env as TestEnvVars };
    project.provide('testEnv', state);
    process.stderr.write(`integration environment up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return;
  }

  if (code === 3) {
    const reason = lastMatching(output, /^cannot provision: (.*)$/) ?? 'cannot provision (exit 3)';
    if (process.env.CI !== 'true') {
      process.stderr.write(`integration tests skipped: ${reason}\n`);
      project.provide('testEnv', { ready: false, reason });
      return;
    }
    throw new Error(`integration environment: cannot provision in CI: ${reason}`);
  }

  const why = signal
    ? `killed by ${signal}${Date.now() - started >= UP_TIMEOUT_MS ? ' (timeout 15 min)' : ''}`
    : `exit ${code}`;
  const detail = lastMatching(output, /^(test-env: error: .*)$/) ?? output.trim().split('\n').pop() ?? '';
  throw new Error(`bash scripts/test-env.sh up failed (${why}): ${detail}`);
}
