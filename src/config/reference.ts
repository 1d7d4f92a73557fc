// The configuration reference in README.md, generated from the schema itself: zod's JSON Schema
// of the config as a file author writes it (io: "input") gives every key with its type, default
// and `.describe()`/`.meta()` description; load-config's ENV_KEYS gives the environment
// variables; the alert rules, which are validated by hand in alerts-schema.ts, come from the
// tables of alert-rules.ts and alert-rule-docs.ts. Pure: scripts/config-reference.ts writes README.md, and a unit test fails
// when README.md's copy differs.
import { z } from 'zod';
import { RULE_FIELD_DOCS, RULE_KIND_DESCRIPTIONS, RULE_UNIT_DESCRIPTIONS } from './alert-rule-docs.js';
import { DEFAULT_RULES, KIND_SPECS, type RuleField } from './alert-rules.js';
import { RULE_KINDS } from '../model/alert-rule.js';
import { ruleFields } from './alerts-schema.js';
import { ENV_KEYS } from './load-config.js';
import { configSchema, SECRET_PATHS } from './schema.js';
import type { ValueType } from './value-schemas.js';

export const REFERENCE_START = '<!-- config-reference:start -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

/** One key of the configuration, as the reference shows it. */
export interface ReferenceEntry {
  /** Dotted key path, e.g. "poll.interval". */
  path: string;
  /** A mapping of further keys (a section such as `poll` or `diagnosis.containerLimit`). */
  section: boolean;
  type: string;
  /** Markdown; "—" when the key has no default. */
  default: string;
  /** The environment variable that sets it, if any. */
  env: string | null;
  /** From the schema's `.describe()` / `.meta({ description })`; null when it has none. */
  description: string | null;
}

/** JSON Schema as zod writes it, plus memwarden's metadata keys (value-schemas.ts, schema.ts). */
interface Node {
  type?: string;
  properties?: Record<string, Node>;
  additionalProperties?: Node | boolean;
  items?: Node;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  format?: string;
  valueType?: ValueType;
  /** Words for a default the schema computes (e.g. "the host's zone"), instead of a value. */
  defaultText?: string;
}

/** The path of the alert rules: a map validated by hand, rendered from alerts-schema.ts's tables. */
const RULES_PATH = 'alerts.rules';

/** Every key of `schema` (a config schema; the real one by default), depth first in schema order. */
export function configEntries(schema: z.ZodType = configSchema): ReferenceEntry[] {
  const root = z.toJSONSchema(schema, { io: 'input' }) as Node;
  const envOf = new Map(ENV_KEYS.map((key) => [key.path.join('.'), key.name]));
  const secrets = new Set<string>(SECRET_PATHS);
  const entries: ReferenceEntry[] = [];
  const walk = (node: Node, prefix: string): void => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      const section = child.type === 'object' && child.properties !== undefined;
      entries.push({
        path,
        section,
        type: path === RULES_PATH ? 'mapping of rule id → rule' : section ? 'mapping' : typeOf(child, path) + (secrets.has(path) ? ' (secret)' : ''),
        default: path === RULES_PATH ? 'the built-in rules below' : section ? '—' : defaultOf(child),
        env: envOf.get(path) ?? null,
        description: child.description?.trim() || null,
      });
      if (section) walk(child, path);
    }
  };
  walk(root, '');
  return entries;
}

function typeOf(node: Node, path: string): string {
  if (node.valueType === 'duration') return 'duration (15s, 5m)';
  if (node.valueType === 'size') return 'size (512MiB, 2GB)';
  if (node.valueType === 'percent') return `percent${range(node)}`;
  if (node.enum) return `one of ${node.enum.map((value) => code(value)).join(', ')}`;
  switch (node.type) {
    case 'boolean':
      return 'boolean';
    case 'integer':
    case 'number':
      return `${node.type}${range(node)}`;
    case 'string':
      return node.format === 'uri' ? 'URL' : 'string';
    case 'array':
      return `list of ${plural(node.items ? typeOf(node.items, `${path}[]`) : 'values')}`;
    case 'object':
      if (typeof node.additionalProperties === 'object') return `mapping of string → ${typeOf(node.additionalProperties, `${path}.*`)}`;
      break;
  }
  throw new Error(`config reference: cannot name the type of ${path} (${JSON.stringify(node)}); give its value schema a valueType`);
}

function range(node: Node): string {
  const { minimum: min, maximum: max } = node;
  if (min !== undefined && max !== undefined) return ` (${min}–${max})`;
  if (min !== undefined) return ` (≥ ${min})`;
  if (max !== undefined) return ` (≤ ${max})`;
  return '';
}

function plural(type: string): string {
  return /^(string|integer|number|boolean|URL)$/.test(type) ? `${type}s` : type;
}

function defaultOf(node: Node): string {
  if (node.defaultText !== undefined) return node.defaultText;
  if (node.default === undefined) return '—';
  return code(node.default);
}

/** A value as inline code: strings bare ("15s" → `15s`), everything else as JSON. */
function code(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `\`${text}\``;
}

/** Escapes what would end a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

/** Threshold and timing settings of a default rule as written in memwarden.example.yml. */
function ruleSettings(rule: Readonly<Record<string, unknown>>): string {
  return Object.entries(rule)
    .filter(([key]) => key !== 'kind')
    .map(([key, value]) => `\`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}\``)
    .join(', ');
}

function alertRulesSection(): string {
  const common = (Object.keys(RULE_FIELD_DOCS) as RuleField[]).filter((field) => RULE_KINDS.every((kind) => ruleFields(kind).includes(field)));
  const builtIn = table(
    ['Rule id', 'Kind', 'Defaults'],
    Object.entries(DEFAULT_RULES).map(([id, rule]) => [`\`${id}\``, code(rule.kind), ruleSettings(rule)]),
  );
  const kinds = table(
    ['Kind', 'Watches', 'Unit', 'Fires when the value is', 'Fields besides the common ones'],
    RULE_KINDS.map((kind) => {
      const spec = KIND_SPECS[kind];
      const own = ruleFields(kind).filter((field) => !common.includes(field));
      return [
        code(kind),
        RULE_KIND_DESCRIPTIONS[kind],
        RULE_UNIT_DESCRIPTIONS[spec.unit],
        spec.event ? 'an event (each one)' : spec.direction === 'above' ? 'at or above the level' : 'at or below the level',
        own.length > 0 ? own.map((field) => code(field)).join(', ') : '—',
      ];
    }),
  );
  const fields = table(
    ['Field', 'Type', 'Default', 'Description'],
    (Object.entries(RULE_FIELD_DOCS) as [RuleField, (typeof RULE_FIELD_DOCS)[RuleField]][]).map(([field, doc]) => [
      code(field),
      doc.type,
      doc.default === '—' || /\s/.test(doc.default) ? doc.default : code(doc.default),
      doc.description,
    ]),
  );
  return [
    '#### Alert rules (`alerts.rules`)',
    '',
    'Each rule id maps to a rule. The built-in rules below run without any configuration; an entry with a built-in id changes only the fields it gives, any other id is a new rule of its own.',
    '',
    builtIn,
    '',
    `Every rule takes ${common.map((field) => code(field)).join(', ')}; the kind decides the rest and the unit of its levels.`,
    '',
    kinds,
    '',
    fields,
  ].join('\n');
}

/**
 * The reference as Markdown: the environment variables, then one table per top-level key of
 * the schema, then the alert rules. Throws when a key has no description or no nameable type,
 * so neither can reach the README.
 */
export function renderConfigReference(schema: z.ZodType = configSchema): string {
  const entries = configEntries(schema);
  const undescribed = entries.filter((entry) => entry.description === null).map((entry) => entry.path);
  if (undescribed.length > 0) {
    throw new Error(`config reference: no description for ${undescribed.join(', ')}: add .describe('…') (or .meta({ description })) to the schema`);
  }
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  const out: string[] = ['<!-- Generated from the schema in src/config/ by `npm run docs:config`: edit the schema, not this text. -->', ''];

  out.push('### Environment variables', '', 'They override the file.', '');
  out.push(
    table(
      ['Variable', 'Sets', 'Description'],
      ENV_KEYS.map((key) => {
        const path = key.path.join('.');
        return [code(key.name), code(path), byPath.get(path)?.description ?? ''];
      }),
    ),
  );

  for (const top of entries.filter((entry) => !entry.path.includes('.'))) {
    const rows = top.section ? entries.filter((entry) => entry.path.startsWith(`${top.path}.`)) : [top];
    out.push('', `### \`${top.path}\``, '');
    if (top.section) out.push(top.description as string, '');
    out.push(
      table(
        ['Key', 'Type', 'Default', 'Env', 'Description'],
        rows.map((entry) => [code(entry.path), entry.type, entry.default, entry.env ? code(entry.env) : '', entry.description as string]),
      ),
    );
    if (top.path === 'alerts' && byPath.has(RULES_PATH)) out.push('', alertRulesSection());
  }
  return `${out.join('\n')}\n`;
}

/**
 * README text with the region between REFERENCE_START and REFERENCE_END replaced by
 * `generated`. Throws when the markers are missing or out of order.
 */
export function replaceReferenceRegion(readme: string, generated: string): string {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start < 0 || end < 0 || end < start) {
    throw new Error(`README.md needs the markers ${REFERENCE_START} and ${REFERENCE_END}, in that order, around the configuration reference`);
  }
  return `${readme.slice(0, start + REFERENCE_START.length)}\n${generated}${readme.slice(end)}`;
}
