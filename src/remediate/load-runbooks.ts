// loadRunbooks(dir): every commands/<id>.yml, parsed strictly. A runbook decides what memwarden
// may do to production, so nothing is guessed: unknown keys, wrong types, YAML tags, anchors,
// oversized files and ids that differ from the file name are all refused, every problem of every
// file at once, each line naming the file and the field ("commands/x.yml: target.containers:
// expected a list"). One invalid file stops start: a half-loaded set of runbooks would silently
// offer fewer fixes than reviewed.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { isAlias, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import { ConfigError } from '../config/config-error.js';
import { formatRunbookIssues, parseRunbookSpec, RUNBOOK_ID, type Runbook } from './runbook-schema.js';

/** A runbook is a page of YAML; anything bigger is a mistake (or an attack on the parser). */
export const MAX_RUNBOOK_BYTES = 64 * 1024;

export interface LoadRunbooksOptions {
  /** File names in messages are relative to this directory (default: the working directory). */
  displayRoot?: string;
}

export interface LoadedRunbooks {
  /** Sorted by id. */
  runbooks: Runbook[];
  byId: ReadonlyMap<string, Runbook>;
}

export type ParseRunbookResult = { ok: true; runbook: Runbook } | { ok: false; problems: string[] };

/**
 * Loads every `*.yml` in `dir` (one runbook per file; hidden files, sub-directories and other
 * extensions are not runbooks). Throws ConfigError listing every problem of every file.
 */
export function loadRunbooks(dir: string, options: LoadRunbooksOptions = {}): LoadedRunbooks {
  const root = options.displayRoot ?? process.cwd();
  const display = (path: string): string => {
    const rel = relative(root, path);
    if (rel === '') return '.';
    return !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  };
  const absDir = resolve(root, dir);
  let entries;
  try {
    entries = readdirSync(absDir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(display(absDir), [code === 'ENOENT' ? 'runbook directory not found' : `cannot read the runbook directory (${code ?? String(err)})`]);
  }

  const problems: string[] = [];
  const runbooks: Runbook[] = [];
  const fileOfId = new Map<string, string>();
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(absDir, entry.name);
    const name = display(path);
    if (entry.name.endsWith('.yaml')) {
      problems.push(`${name}: runbook files end in .yml: rename it to ${entry.name.replace(/\.yaml$/, '.yml')}`);
      continue;
    }
    if (!entry.name.endsWith('.yml')) continue;
    if (entry.isSymbolicLink()) {
      problems.push(`${name}: is a symbolic link; a runbook must be a regular file in ${display(absDir)}`);
      continue;
    }
    if (!entry.isFile()) {
      problems.push(`${name}: is not a regular file`);
      continue;
    }
    const bytes = readRunbookBytes(path, name, problems);
    if (bytes === null) continue;
    const result = parseRunbookFile(bytes, name, entry.name.slice(0, -'.yml'.length));
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    const other = fileOfId.get(result.runbook.id);
    if (other !== undefined) {
      problems.push(`${name}: id: "${result.runbook.id}" is already the id of ${other}`);
      continue;
    }
    fileOfId.set(result.runbook.id, name);
    runbooks.push(result.runbook);
  }
  if (problems.length > 0) throw new ConfigError(display(absDir), problems);
  runbooks.sort((a, b) => a.id.localeCompare(b.id));
  return { runbooks, byId: new Map(runbooks.map((rb) => [rb.id, rb])) };
}

function readRunbookBytes(path: string, name: string, problems: string[]): Buffer | null {
  try {
    // lstat, not stat: a symlink swapped in after the listing is not followed.
    const stat = lstatSync(path);
    if (!stat.isFile()) {
      problems.push(`${name}: is not a regular file`);
      return null;
    }
    if (stat.size > MAX_RUNBOOK_BYTES) {
      problems.push(`${name}: file is ${(stat.size / 1024).toFixed(1)} KiB; a runbook may be at most 64 KiB`);
      return null;
    }
    const bytes = readFileSync(path);
    if (bytes.length > MAX_RUNBOOK_BYTES) {
      problems.push(`${name}: file is ${(bytes.length / 1024).toFixed(1)} KiB; a runbook may be at most 64 KiB`);
      return null;
    }
    return bytes;
  } catch (err) {
    problems.push(`${name}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return null;
  }
}

/**
 * Parses one runbook file's bytes. `name` is the file as shown in messages, `expectedId` the file
 * name without .yml (the id must equal it). Records the sha256 of the bytes for the audit.
 */
export function parseRunbookFile(bytes: Buffer, name: string, expectedId: string): ParseRunbookResult {
  const problems: string[] = [];
  const at = (line: string): string => `${name}: ${line}`;
  if (bytes.length > MAX_RUNBOOK_BYTES) {
    return { ok: false, problems: [at(`file is ${(bytes.length / 1024).toFixed(1)} KiB; a runbook may be at most 64 KiB`)] };
  }
  if (!RUNBOOK_ID.test(expectedId)) {
    problems.push(at('file name: expected lowercase letters, digits and dashes before .yml (the file name is the runbook id)'));
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, problems: [...problems, at('is not valid UTF-8 text')] };
  }

  const value = parseStrictYaml(text, (line) => problems.push(at(line)));
  if (value === undefined) return { ok: false, problems };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(at(`(top level): expected a mapping with id, title, kind, target…, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`));
    return { ok: false, problems };
  }
  const rawId = (value as { id?: unknown }).id;
  if (typeof rawId === 'string' && rawId !== expectedId && RUNBOOK_ID.test(expectedId)) {
    problems.push(at(`id: must equal the file name without .yml ("${expectedId}"), got ${JSON.stringify(rawId)}`));
  }

  const result = parseRunbookSpec(value);
  if (!result.ok) problems.push(...formatRunbookIssues(result.issues).map(at));
  if (!result.ok || problems.length > 0) return { ok: false, problems };
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { ok: true, runbook: { ...result.spec, file: name, sha256 } };
}

/**
 * YAML 1.2 core schema with unique keys; explicit tags (`!!str`, `!!binary`, `!foo`), anchors
 * and aliases are refused: a runbook is reviewed as plain text and must mean what it shows.
 * Reports problems through `report` and returns undefined when there were any.
 */
function parseStrictYaml(text: string, report: (line: string) => void): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { schema: 'core', uniqueKeys: true, prettyErrors: true, lineCounter });
  let failed = false;
  // The line only: a node's range starts at its value, after the tag or anchor.
  const where = (offset: number | undefined): string => (offset === undefined ? 'yaml' : `line ${lineCounter.linePos(offset).line}`);
  // An unknown tag also warns "Unresolved tag"; the tag check below says it better.
  for (const e of [...doc.errors, ...doc.warnings.filter((w) => w.code !== 'TAG_RESOLVE_FAILED')]) {
    failed = true;
    const line = e.linePos?.[0];
    report(`${line ? `line ${line.line}, column ${line.col}` : 'yaml'}: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const seen = new Set<string>();
  visit(doc, (_key, node, path) => {
    if (!isNode(node)) return;
    const field = fieldPath(path, node);
    const prefix = `${where(node.range?.[0])}${field ? ` (${field})` : ''}`;
    const once = (message: string): void => {
      if (seen.has(message)) return;
      seen.add(message);
      failed = true;
      report(message);
    };
    if (node.tag !== undefined) once(`${prefix}: YAML tags are not allowed (${shortTag(node.tag)}); write the plain value`);
    if (node.anchor !== undefined) once(`${prefix}: YAML anchors are not allowed (&${node.anchor}); repeat the value`);
    if (isAlias(node)) once(`${prefix}: YAML aliases are not allowed (*${node.source}); repeat the value`);
  });
  if (failed) return undefined;
  try {
    return doc.toJS({ maxAliasCount: 0 });
  } catch (err) {
    report(`yaml: ${(err as Error).message}`);
    return undefined;
  }
}

function shortTag(tag: string): string {
  return tag.replace(/^tag:yaml\.org,2002:/, '!!');
}

/** The field path (target.containers.0) of a node, from the ancestors `visit` hands over. */
function fieldPath(path: readonly unknown[], node: unknown): string {
  const parts: string[] = [];
  const chain = [...path, node];
  for (let i = 0; i < chain.length; i++) {
    const item = chain[i];
    const next = chain[i + 1];
    if (isPair(item)) {
      if (isScalar(item.key)) parts.push(String(item.key.value));
      if (next === item.key) break; // the node is a key itself
    } else if (next !== undefined && isSeq(item)) {
      const index = (item.items as unknown[]).indexOf(next);
      if (index >= 0) parts.push(String(index));
    }
  }
  return parts.join('.');
}
