// The Docker socket proxy of docker-compose.example.yml (wollomatic/socket-proxy): its allowlist,
// read from the compose file, and the Docker Engine API calls memwarden makes. Shared by the unit
// test of the compose file and the image test, which applies the allowlist to the real requests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const COMPOSE_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docker-compose.example.yml');
export const PROXY_SERVICE = 'docker-proxy';

/**
 * Every Engine API call memwarden makes (dockerode, no version prefix), as method and a
 * representative path; ids are 64 hex digits, containers may also be named.
 */
export const MEMWARDEN_DOCKER_CALLS: readonly { method: 'GET' | 'POST'; path: string; where: string }[] = [
  { method: 'GET', path: '/containers/json', where: 'collect/containers.ts listContainers' },
  { method: 'GET', path: '/images/json', where: 'collect/containers.ts listImages (image sizes)' },
  { method: 'GET', path: `/containers/${'a'.repeat(64)}/json`, where: 'collect/containers.ts, remediate/executors inspect' },
  { method: 'GET', path: '/containers/celery-worker/json', where: 'remediate/executors/target.ts inspect by name' },
  { method: 'GET', path: `/containers/${'b'.repeat(64)}/stats`, where: 'collect/containers.ts, remediate/executors/target.ts stats (one-shot)' },
  { method: 'GET', path: `/containers/${'c'.repeat(64)}/top`, where: 'remediate/executors/target.ts top' },
  { method: 'GET', path: '/events', where: 'collect/docker-events.ts getEvents (oom)' },
  { method: 'POST', path: `/containers/${'d'.repeat(64)}/exec`, where: 'remediate/executors/run-exec.ts exec (Celery remote control)' },
  { method: 'POST', path: `/exec/${'e'.repeat(64)}/start`, where: 'remediate/executors/run-exec.ts exec start' },
  { method: 'GET', path: `/exec/${'e'.repeat(64)}/json`, where: 'remediate/executors/run-exec.ts exec inspect (exit code)' },
  { method: 'POST', path: `/containers/${'f'.repeat(64)}/restart`, where: 'remediate/executors/docker-restart.ts' },
  { method: 'POST', path: `/containers/${'0'.repeat(64)}/update`, where: 'remediate/executors/docker-update-memory.ts' },
];

export type Allowlist = Map<string, RegExp>;

interface ComposeService {
  command?: string[] | string;
  [key: string]: unknown;
}

export function readCompose(file = COMPOSE_FILE): { services: Record<string, ComposeService>; [key: string]: unknown } {
  return parse(readFileSync(file, 'utf8'), { uniqueKeys: true }) as { services: Record<string, ComposeService> };
}

/**
 * The proxy's `-allow<METHOD>=<regexp>` arguments as anchored regular expressions, the way the
 * proxy applies them: to the request path only, `^` and `$` added (Go RE2; the patterns use only
 * syntax that means the same in JavaScript).
 */
export function proxyAllowlist(compose = readCompose()): Allowlist {
  const command = compose.services[PROXY_SERVICE]?.command;
  if (!Array.isArray(command)) throw new Error(`${PROXY_SERVICE}: expected command as a list of arguments`);
  const allow: Allowlist = new Map();
  for (const arg of command) {
    const m = /^-allow([A-Z]+)=(.+)$/.exec(arg);
    if (!m) continue;
    const method = m[1] as string;
    if (allow.has(method)) throw new Error(`${PROXY_SERVICE}: -allow${method} given twice`);
    allow.set(method, new RegExp(`^(?:${m[2] as string})$`));
  }
  return allow;
}

export function allowed(allow: Allowlist, method: string, urlPath: string): boolean {
  return allow.get(method)?.test(urlPath) ?? false;
}
