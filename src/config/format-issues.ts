// Turns zod issues into one line each, "path: what was expected, got what", naming the
// environment variable when the value came from one.
import type { z } from 'zod';
import { describeValue } from './schema.js';
import { suggest } from './suggest-key.js';

/** Stands in for a secret's value, so describeValue never echoes it. */
const SECRET_INPUT = Symbol('secret');

const ARTICLE: Record<string, string> = { number: 'a number', string: 'a string', boolean: 'true or false', array: 'a list', object: 'a mapping' };

export interface FormatOptions {
  /** Config path -> environment variable it was read from. */
  envNames?: ReadonlyMap<string, string>;
  /** The keys the schema accepts at a path, for "did you mean" hints. */
  knownKeysAt?: (path: readonly PropertyKey[]) => string[];
  /** Paths whose values are secrets: the value is never echoed back. */
  secretPaths?: readonly string[];
}

/** Walks a zod schema through wrappers to list the object keys accepted at `path`. */
export function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.core.$ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    const def = current?._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType } | undefined;
    if (!def) return [];
    if (def.type === 'object' && def.shape) current = unwrap(def.shape[String(segment)]);
    else if (def.type === 'array' && def.element) current = unwrap(def.element);
    else if (def.type === 'record' && def.valueType) current = unwrap(def.valueType);
    else return [];
  }
  const def = current?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let current = schema;
  for (let depth = 0; current && depth < 10; depth++) {
    const def = current._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else break;
  }
  return current;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], options: FormatOptions = {}): string[] {
  const envNames = options.envNames ?? new Map<string, string>();
  const lines: string[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String).join('.');
    const where = envNames.get(path) ?? (path || '(top level)');
    const secret = options.secretPaths?.includes(path) ?? false;
    const rawInput = (issue as { input?: unknown }).input;
    const input = secret && rawInput !== undefined ? SECRET_INPUT : rawInput;
    switch (issue.code) {
      case 'invalid_type':
        lines.push(input === undefined ? `${where}: is required` : `${where}: expected ${ARTICLE[issue.expected] ?? issue.expected}, got ${describeValue(input)}`);
        break;
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const known = options.knownKeysAt?.(issue.path) ?? [];
          const hint = suggest(key, known);
          lines.push(`${path ? `${path}.` : ''}${key}: unknown key${hint ? ` (did you mean "${hint}"?)` : ''}`);
        }
        break;
      case 'too_small':
        lines.push(`${where}: must be at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters long' : ''}, got ${describeValue(input)}`);
        break;
      case 'too_big':
        lines.push(`${where}: must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters long' : ''}, got ${describeValue(input)}`);
        break;
      case 'invalid_value':
        lines.push(`${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(input)}`);
        break;
      case 'invalid_format':
        lines.push(`${where}: ${issue.message.startsWith('Invalid') ? `expected a valid ${issue.format}` : issue.message}${input === SECRET_INPUT ? '' : `, got ${describeValue(input)}`}`);
        break;
      default:
        lines.push(`${where}: ${issue.message}`);
        break;
    }
  }
  return lines;
}
