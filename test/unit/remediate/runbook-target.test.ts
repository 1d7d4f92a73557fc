// A runbook's allowlist: name globs and exact labels, and nothing for an empty one.
import { describe, expect, it } from 'vitest';
import { matchesTarget } from '../../../src/remediate/runbook-target.js';

describe('matchesTarget', () => {
  const labels = { 'com.memwarden.remediate': 'true' };
  it('needs a name glob match when globs are listed, and every label when labels are', () => {
    const target = { containers: ['worker-*', 'beat-?'], labels: {} };
    expect(matchesTarget(target, { name: 'worker-1', labels: {} })).toBe(true);
    expect(matchesTarget(target, { name: '/worker-12', labels: {} })).toBe(true);
    expect(matchesTarget(target, { name: 'beat-1', labels: {} })).toBe(true);
    expect(matchesTarget(target, { name: 'beat-12', labels: {} })).toBe(false);
    expect(matchesTarget(target, { name: 'my-worker-1', labels: {} })).toBe(false);
    // "." in a glob is a dot, not any character.
    expect(matchesTarget({ containers: ['a.b'], labels: {} }, { name: 'axb', labels: {} })).toBe(false);

    const both = { containers: ['worker-*'], labels };
    expect(matchesTarget(both, { name: 'worker-1', labels })).toBe(true);
    expect(matchesTarget(both, { name: 'worker-1', labels: {} })).toBe(false);
    expect(matchesTarget(both, { name: 'db', labels })).toBe(false);
    expect(matchesTarget({ containers: [], labels }, { name: 'db', labels: { 'com.memwarden.remediate': 'TRUE' } })).toBe(false);
  });

  it('matches nothing with an empty allowlist', () => {
    expect(matchesTarget({ containers: [], labels: {} }, { name: 'anything', labels })).toBe(false);
  });
});
