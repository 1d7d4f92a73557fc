import { describe, expect, it } from 'vitest';
import { mentionGroup, mentionUser, plainMentions } from '../../../src/format/mentions.js';
import { canApprove, type CanApproveInput, canRequest, type CanRequestInput, formatDuration, HOUR_MS, type PolicyRequest } from '../../../src/remediate/policy.js';
import { makeRunbook, MINUTE, SHA, T0 } from './helpers.js';

const ON = { enabled: true, dryRunOnly: false, offInConfig: false };

function makeRequest(overrides: Partial<PolicyRequest> = {}): PolicyRequest {
  return {
    id: '0123456789abcdef0123456789abcdef',
    runbookId: 'celery-lower-concurrency',
    runbookSha256: SHA,
    requestedBy: 'U_REQ',
    expiresAt: T0 + 15 * MINUTE,
    status: 'pending',
    dryRun: false,
    approvals: [],
    ...overrides,
  };
}

function approve(overrides: Partial<CanApproveInput> = {}) {
  return canApprove({ runbook: makeRunbook(), request: makeRequest(), approver: 'U_ALICE', approverGroups: [], switches: ON, now: T0 + MINUTE, ...overrides });
}

function request(overrides: Partial<CanRequestInput> = {}) {
  return canRequest({ runbook: makeRunbook(), target: { name: 'bizcard-celery-worker', allowed: true }, recentRuns: [], switches: ON, now: T0, ...overrides });
}

describe('canApprove', () => {
  it('lets a listed approver, or a member of an approver group, approve', () => {
    expect(approve()).toEqual({ ok: true });
    expect(approve({ approver: 'U_GRACE', approverGroups: ['S_OTHER', 'S_ONCALL'] })).toEqual({ ok: true });
  });

  it('refuses someone who is neither a listed approver nor in an approver group, naming who can', () => {
    // Mention tokens, which only the Slack renderer turns into mentions (plain text elsewhere).
    expect(approve({ approver: 'U_MALLORY', approverGroups: ['S_OTHER'] })).toEqual({
      ok: false,
      code: 'not-approver',
      reason: `You are not an approver of runbook "celery-lower-concurrency": ask one of ${mentionUser('U_ALICE')}, ${mentionUser('U_BOB')}, ${mentionUser('U_CAROL')}, ${mentionGroup('S_ONCALL')}.`,
    });
    const refused = approve({ approver: 'U_MALLORY', approverGroups: [] });
    expect(refused.ok ? '' : plainMentions(refused.reason)).toBe('You are not an approver of runbook "celery-lower-concurrency": ask one of @U_ALICE, @U_BOB, @U_CAROL, @S_ONCALL.');
    // The group must be one of the runbook's, not any group.
    expect(approve({ approver: 'U_MALLORY', approverGroups: [] })).toMatchObject({ ok: false, code: 'not-approver' });
    const nobody = makeRunbook({ approval: { approvers: { users: [], groups: [] } } });
    expect(approve({ runbook: nobody })).toMatchObject({ ok: false, reason: expect.stringContaining('nobody (the runbook lists no approvers)') });
  });

  it('refuses self-approval unless the runbook allows it, and always for high risk', () => {
    const own = makeRequest({ requestedBy: 'U_ALICE' });
    expect(approve({ request: own })).toEqual({
      ok: false,
      code: 'self-approval',
      reason: 'You requested this remediation and runbook "celery-lower-concurrency" does not allow self-approval: another approver must.',
    });
    expect(approve({ request: own, runbook: makeRunbook({ approval: { allowSelfApproval: true } }) })).toEqual({ ok: true });
    const highRisk = makeRunbook({ risk: 'high', approval: { allowSelfApproval: true } });
    expect(approve({ request: own, runbook: highRisk })).toEqual({
      ok: false,
      code: 'self-approval',
      reason: 'You requested this high-risk remediation, so you cannot approve it yourself: another approver must.',
    });
  });

  it('refuses a second decision by the same person', () => {
    const request = makeRequest({ approvals: [{ user: 'U_ALICE', decision: 'approve' }] });
    expect(approve({ request })).toEqual({ ok: false, code: 'already-decided', reason: 'You already approved this request.' });
    expect(approve({ request, decision: 'reject' })).toEqual({ ok: false, code: 'already-decided', reason: 'You already approved this request.' });
    const rejected = makeRequest({ approvals: [{ user: 'U_ALICE', decision: 'reject' }], status: 'rejected' });
    expect(approve({ request: rejected })).toMatchObject({ code: 'already-decided', reason: 'You already rejected this request.' });
  });

  it('refuses a request that is no longer pending, saying what it is', () => {
    const cases = [
      ['approved', 'approved'],
      ['executing', 'running'],
      ['succeeded', 'done (it succeeded)'],
      ['failed', 'done (it failed)'],
      ['rejected', 'rejected'],
      ['expired', 'expired'],
      ['not-executed', 'closed without running'],
    ] as const;
    for (const [status, words] of cases) {
      expect(approve({ request: makeRequest({ status }) })).toEqual({
        ok: false,
        code: 'not-pending',
        reason: `This request is already ${words}: nothing was changed.`,
      });
    }
  });

  it('refuses an expired request, at and after its expiry', () => {
    for (const now of [T0 + 15 * MINUTE, T0 + 16 * MINUTE]) {
      expect(approve({ now })).toEqual({
        ok: false,
        code: 'expired',
        reason: 'This request expired at 2025-10-27T09:15:00.000Z: request it again if it is still needed.',
      });
    }
    expect(approve({ now: T0 + 15 * MINUTE - 1 })).toEqual({ ok: true });
  });

  it('refuses approval while remediation is switched off, but still lets people reject', () => {
    const off = { enabled: false, dryRunOnly: false, offInConfig: false };
    expect(approve({ switches: off })).toEqual({
      ok: false,
      code: 'remediation-off',
      reason: 'Remediation is switched off for everyone: an admin has to switch it on before anything can be approved.',
    });
    expect(approve({ switches: off, decision: 'reject' })).toEqual({ ok: true });
  });

  it('refuses approval of a real run in dry-run-only mode, not of a dry run', () => {
    const dryOnly = { enabled: true, dryRunOnly: true, offInConfig: false };
    expect(approve({ switches: dryOnly })).toMatchObject({ ok: false, code: 'dry-run-only', reason: expect.stringContaining('dry-run-only mode') });
    expect(approve({ switches: dryOnly, request: makeRequest({ dryRun: true }) })).toEqual({ ok: true });
  });

  it('refuses when the runbook was disabled or changed since the request, or is another runbook', () => {
    expect(approve({ runbook: makeRunbook({ enabled: false }) })).toMatchObject({ code: 'runbook-disabled' });
    expect(approve({ runbook: makeRunbook({ sha256: 'b'.repeat(64) }) })).toMatchObject({
      code: 'runbook-changed',
      reason: expect.stringContaining('has changed since this was requested'),
    });
    expect(approve({ runbook: makeRunbook({ id: 'restart-worker' }) })).toMatchObject({ code: 'runbook-mismatch' });
  });

  it('lets the requester withdraw their own request, and approvers reject', () => {
    expect(approve({ approver: 'U_REQ', decision: 'reject' })).toEqual({ ok: true });
    expect(approve({ decision: 'reject' })).toEqual({ ok: true });
    expect(approve({ approver: 'U_MALLORY', decision: 'reject' })).toMatchObject({ ok: false, code: 'not-approver' });
  });

  it('tells a stranger that they are not an approver before anything about the request', () => {
    expect(approve({ approver: 'U_MALLORY', request: makeRequest({ status: 'succeeded' }), now: T0 + HOUR_MS })).toMatchObject({ code: 'not-approver' });
  });
});

describe('canRequest', () => {
  it('allows an enabled runbook on an allowed target with no recent runs', () => {
    expect(request()).toEqual({ ok: true });
  });

  it('refuses when remediation is off, the runbook disabled or the target not allowed', () => {
    expect(request({ switches: { enabled: false, dryRunOnly: false, offInConfig: false } })).toMatchObject({ ok: false, code: 'remediation-off' });
    expect(request({ runbook: makeRunbook({ enabled: false }) })).toEqual({
      ok: false,
      code: 'runbook-disabled',
      reason: 'Runbook "celery-lower-concurrency" is disabled in its runbook file.',
    });
    expect(request({ target: { name: 'postgres', allowed: false } })).toEqual({
      ok: false,
      code: 'target-not-allowed',
      reason: 'Runbook "celery-lower-concurrency" may not run on postgres: it is not on the runbook\'s list of targets.',
    });
  });

  it('refuses during the cooldown and says when it may run again', () => {
    // Last run 10 minutes ago, cooldown 30 minutes: 20 minutes to go.
    expect(request({ recentRuns: [T0 - 10 * MINUTE], now: T0 })).toEqual({
      ok: false,
      code: 'cooldown',
      reason:
        'Runbook "celery-lower-concurrency" ran on bizcard-celery-worker at 2025-10-27T08:50:00.000Z; its cooldown is 30m, ' +
        'so it may run again at 2025-10-27T09:20:00.000Z (in 20m).',
    });
    expect(request({ recentRuns: [T0 - 30 * MINUTE], now: T0 })).toEqual({ ok: true });
  });

  it('refuses past maxRunsPerHour and says when a slot frees up', () => {
    const runbook = makeRunbook({ cooldownMs: 0, maxRunsPerHour: 2 });
    // Runs 50 and 20 minutes ago: two in the last hour; the one 50 minutes ago leaves the window in 10.
    expect(request({ runbook, recentRuns: [T0 - 20 * MINUTE, T0 - 50 * MINUTE] })).toEqual({
      ok: false,
      code: 'rate-limit',
      reason: 'Runbook "celery-lower-concurrency" already ran 2 times on bizcard-celery-worker in the last hour (at most 2); it may run again at 2025-10-27T09:10:00.000Z.',
    });
    // A run exactly an hour ago is out of the window.
    expect(request({ runbook, recentRuns: [T0 - 20 * MINUTE, T0 - HOUR_MS] })).toEqual({ ok: true });
    const oncePerHour = makeRunbook({ cooldownMs: 0, maxRunsPerHour: 1 });
    // Limit 1, two runs in the window: both must leave it, so the newer one (5 minutes ago) decides.
    const over = request({ runbook: oncePerHour, recentRuns: [T0 - 5 * MINUTE, T0 - 30 * MINUTE] });
    expect(over).toMatchObject({ ok: false, code: 'rate-limit' });
    expect(over.ok ? '' : over.reason).toContain('already ran 2 times');
    expect(over.ok ? '' : over.reason).toContain('may run again at 2025-10-27T09:55:00.000Z');
  });

  it('lets a dry run through the cooldown and the hourly limit, not through the switches', () => {
    const busy = { recentRuns: [T0 - MINUTE, T0 - 2 * MINUTE, T0 - 3 * MINUTE], dryRun: true };
    expect(request(busy)).toEqual({ ok: true });
    expect(request({ ...busy, switches: { enabled: false, dryRunOnly: false, offInConfig: false } })).toMatchObject({ code: 'remediation-off' });
    expect(request({ ...busy, target: { name: 'postgres', allowed: false } })).toMatchObject({ code: 'target-not-allowed' });
  });

  it('ignores runs in the future (a clock step back) rather than locking the target forever', () => {
    expect(request({ recentRuns: [T0 + 10 * MINUTE] })).toEqual({ ok: true });
  });
});

describe('formatDuration', () => {
  it('prints hours, minutes and seconds, rounding up', () => {
    expect(formatDuration(90_000)).toBe('1m 30s');
    expect(formatDuration(HOUR_MS)).toBe('1h');
    expect(formatDuration(HOUR_MS + 1)).toBe('1h 1s');
    expect(formatDuration(1)).toBe('1s');
    expect(formatDuration(0)).toBe('1s');
  });
});
