// A runbook's allowlist: which containers it may touch (name globs and exact labels).
import type { RunbookSpec } from './runbook-schema.js';

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.*?-]/g, (ch) => (ch === '*' ? '[A-Za-z0-9_.-]*' : ch === '?' ? '[A-Za-z0-9_.-]' : `\\${ch}`));
  return new RegExp(`^${body}$`);
}

/**
 * Whether the runbook may touch this container: its name matches one of the globs (when any are
 * listed) and it carries every listed label with exactly that value (when any are listed). An
 * empty allowlist matches nothing (the loader refuses it anyway).
 */
export function matchesTarget(target: RunbookSpec['target'], container: { name: string; labels: Readonly<Record<string, string>> }): boolean {
  const labels = Object.entries(target.labels);
  if (target.containers.length === 0 && labels.length === 0) return false;
  const name = container.name.replace(/^\//, '');
  if (target.containers.length > 0 && !target.containers.some((glob) => globToRegExp(glob).test(name))) return false;
  return labels.every(([key, value]) => Object.hasOwn(container.labels, key) && container.labels[key] === value);
}

/** One line naming the allowlist, for refusals and the dry run. */
export function describeTarget(target: RunbookSpec['target']): string {
  const parts: string[] = [];
  if (target.containers.length > 0) parts.push(`containers ${target.containers.join(', ')}`);
  const labels = Object.entries(target.labels).map(([k, v]) => `${k}=${v}`);
  if (labels.length > 0) parts.push(`label${labels.length === 1 ? '' : 's'} ${labels.join(', ')}`);
  return parts.join(' with ') || 'nothing';
}
