// Identity and matching of alert targets: the fingerprint that keys an alert's state, ignore
// lists, and silences.
import { createHash } from 'node:crypto';
import type { IgnoreSpec } from '../model/alert-rule.js';
import { globMatches } from '../config/alerts-schema.js';
import type { AlertTarget, Silence } from '../model/alert.js';

/**
 * A stable id for (rule, target): 16 hex digits of SHA-256. Containers are keyed by name (a
 * recreated container keeps its alert), groups by name and container, and the host by nothing
 * else, since memwarden's own hostname changes when its container is recreated.
 */
export function alertFingerprint(ruleId: string, target: Pick<AlertTarget, 'kind' | 'name' | 'containerName'>): string {
  const key =
    target.kind === 'host'
      ? [ruleId, 'host']
      : target.kind === 'container'
        ? [ruleId, 'container', target.name]
        : [ruleId, 'group', target.containerName ?? '', target.name];
  return createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
}

/** Whether an ignore list covers the target. The host is never ignored. */
export function isIgnored(ignore: IgnoreSpec, target: AlertTarget): boolean {
  if (target.kind === 'host') return false;
  if (target.containerName !== null && ignore.containers.some((glob) => globMatches(glob, target.containerName as string))) return true;
  if (target.kind === 'group' && ignore.groups.some((glob) => globMatches(glob, target.name))) return true;
  // Any one listed label ignores the container, like any one listed name does (so a rule's list
  // only ever adds to the global one).
  return Object.entries(ignore.labels).some(
    ([key, value]) => Object.hasOwn(target.labels, key) && (value === '*' || target.labels[key] === value),
  );
}

/** Whether a silence covers an alert at `now`: a matching rule (or any) and target (or any), not expired. */
export function silenceMatches(silence: Silence, ruleId: string, target: AlertTarget, now: number): boolean {
  if (!(now < silence.until)) return false;
  if (silence.ruleId !== null && silence.ruleId !== ruleId) return false;
  if (silence.target === null) return true;
  const glob = silence.target;
  return globMatches(glob, target.name) || (target.containerName !== null && globMatches(glob, target.containerName));
}

export function isSilenced(silences: readonly Silence[], ruleId: string, target: AlertTarget, now: number): boolean {
  return silences.some((silence) => silenceMatches(silence, ruleId, target, now));
}
