// loadConfig(env, file): the only way configuration enters memwarden. Environment variables
// override the YAML file; every problem is collected and reported at once with its path.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from './config-error.js';
import { formatIssues, knownKeysAt } from './format-issues.js';
import { type Config, configSchema, SECRET_PATHS } from './schema.js';

/** Config files are small; anything bigger is a mistake (or an attack on the parser). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** The environment variables that set config keys (the configuration reference lists them). */
export const ENV_KEYS: readonly { name: string; path: string[]; kind: 'string' | 'number' }[] = [
  { name: 'SLACK_BOT_TOKEN', path: ['slack', 'botToken'], kind: 'string' },
  { name: 'SLACK_APP_TOKEN', path: ['slack', 'appToken'], kind: 'string' },
  { name: 'SLACK_SIGNING_SECRET', path: ['slack', 'signingSecret'], kind: 'string' },
  { name: 'SLACK_API_URL', path: ['slack', 'apiUrl'], kind: 'string' },
  { name: 'SLACK_CHANNEL', path: ['slack', 'channels', 'default'], kind: 'string' },
  { name: 'PORT', path: ['slack', 'port'], kind: 'number' },
  { name: 'MEMWARDEN_DATA_DIR', path: ['dataDir'], kind: 'string' },
  { name: 'MEMWARDEN_POLL_INTERVAL', path: ['poll', 'interval'], kind: 'string' },
  { name: 'MEMWARDEN_OPS_PORT', path: ['ops', 'port'], kind: 'number' },
  { name: 'MEMWARDEN_OPS_HOST', path: ['ops', 'host'], kind: 'string' },
  { name: 'LOG_LEVEL', path: ['log', 'level'], kind: 'string' },
  { name: 'LOG_FORMAT', path: ['log', 'format'], kind: 'string' },
];

/** The environment variables loadConfig reads, for --help and the README. */
export const CONFIG_ENV_NAMES = ['MEMWARDEN_CONFIG', ...ENV_KEYS.map((key) => key.name)];

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file that was read, or null when none was. */
  file: string | null;
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads configuration from `file` (or MEMWARDEN_CONFIG, or ./memwarden.yml when present) and
 * the environment. Throws ConfigError listing every problem.
 */
export function loadConfig(env: Env = process.env, file?: string, cwd = process.cwd()): LoadedConfig {
  const explicit = file ?? nonEmpty(env.MEMWARDEN_CONFIG);
  const fallback = resolve(cwd, 'memwarden.yml');
  const path = explicit !== undefined ? resolve(cwd, explicit) : existsSync(fallback) ? fallback : null;

  const fromFile = path === null ? {} : readConfigFile(path);
  const { values: fromEnv, names } = readEnv(env);
  const merged = deepMerge(fromFile, fromEnv);

  const result = configSchema.safeParse(merged, { reportInput: true });
  if (!result.success) {
    const problems = formatIssues(result.error.issues, {
      envNames: names,
      knownKeysAt: (issuePath) => knownKeysAt(configSchema, issuePath),
      secretPaths: SECRET_PATHS,
    });
    throw new ConfigError(path ?? 'configuration', problems);
  }
  return { config: result.data, file: path };
}

function readConfigFile(path: string): Record<string, unknown> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(path, [code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(err)})`]);
  }
  if (size > MAX_CONFIG_BYTES) {
    throw new ConfigError(path, [`file is ${(size / 1048576).toFixed(1)} MiB; a config file may be at most 1 MiB`]);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  return parseConfigYaml(text, path);
}

/** Parses YAML strictly: syntax errors, duplicate keys and unknown tags (`!!js/function`) are errors. */
export function parseConfigYaml(text: string, source: string): Record<string, unknown> {
  const doc = parseDocument(text, { schema: 'core', uniqueKeys: true, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings].map((e) => {
    const line = e.linePos?.[0];
    const where = line ? `line ${line.line}, column ${line.col}` : 'yaml';
    return `${where}: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`;
  });
  if (problems.length > 0) throw new ConfigError(source, problems);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(source, [`yaml: ${(err as Error).message}`]);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(source, [`(top level): expected a mapping of settings, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`]);
  }
  return dropEmptyKeys(value as Record<string, unknown>);
}

/** A key left without a value (`channels:` with everything below commented out) means "default". */
function dropEmptyKeys(mapping: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(mapping)) {
    if (value === null) continue;
    // defineProperty, not assignment: a "__proto__" key must stay an ordinary (and, being
    // unknown, refused) key instead of replacing the object's prototype.
    Object.defineProperty(out, key, { value: isPlainObject(value) ? dropEmptyKeys(value) : value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function readEnv(env: Env): { values: Record<string, unknown>; names: Map<string, string> } {
  const values: Record<string, unknown> = {};
  const names = new Map<string, string>();
  for (const key of ENV_KEYS) {
    const raw = nonEmpty(env[key.name]);
    if (raw === undefined) continue;
    const value = key.kind === 'number' && /^\d+$/.test(raw) ? Number(raw) : raw;
    setPath(values, key.path, value);
    names.set(key.path.join('.'), key.name);
  }
  return { values, names };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    node = (typeof next === 'object' && next !== null ? next : (node[segment] = {})) as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const existing = out[key];
    out[key] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return out;
}

/** A copy of the config safe to print: secrets become "(set)". */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const secret of SECRET_PATHS) {
    const path = secret.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const segment of path.slice(0, -1)) node = node?.[segment] as Record<string, unknown> | undefined;
    const leaf = path[path.length - 1] as string;
    if (node && node[leaf] !== undefined) node[leaf] = '(set)';
  }
  return copy;
}
