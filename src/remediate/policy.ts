// Who may approve which remediation, and when a remediation may be requested at all. Pure: the
// caller reads the request, the recent runs and the switches from the store and passes them in,
// so every rule here is a plain function of its arguments and every refusal says why in words a
// Slack user can act on. The store re-checks the state-dependent parts atomically (a request can
// change between this check and the write); these functions decide what the human is told.
import type { RequestStatus, Decision } from '../model/remediation.js';
import { mentionGroup, mentionUser } from '../format/mentions.js';

/** The part of a runbook (src/remediate/runbook-schema.ts) that the policy reads. */
export interface PolicyRunbook {
  id: string;
  title?: string;
  risk: 'low' | 'high';
  approval: {
    approvers: { users: readonly string[]; groups: readonly string[] };
    /** Distinct approvals needed before it runs. */
    required: number;
    /** Whether the requester may be one of the approvals; never for high risk. */
    allowSelfApproval: boolean;
  };
  cooldownMs: number;
  maxRunsPerHour: number;
  /** How long the executor may take; the approval service gives up waiting after it. */
  timeoutMs?: number;
  enabled: boolean;
  /** Hash of the runbook file: a request is only valid for the exact runbook it was made for. */
  sha256: string;
}

/** The part of a stored request that the policy reads. */
export interface PolicyRequest {
  id: string;
  runbookId: string;
  runbookSha256: string;
  requestedBy: string;
  expiresAt: number;
  status: RequestStatus;
  dryRun: boolean;
  approvals: readonly { user: string; decision: Decision }[];
}

/** Global switches: the admin's on/off (stored) under the configuration's, and dry-run-only mode (configuration). */
export interface RemediationSwitches {
  enabled: boolean;
  dryRunOnly: boolean;
  /** Off because the configuration file says remediation.enabled: false (no admin can switch it on). */
  offInConfig: boolean;
}

/** How many requests one person, and one runbook, may have made within a window. */
export interface RequestLimits {
  perUser: number;
  perRunbook: number;
  windowMs: number;
}

export type RefusalCode =
  | 'unknown-request'
  | 'unknown-runbook'
  | 'runbook-mismatch'
  | 'runbook-changed'
  | 'runbook-disabled'
  | 'not-approver'
  | 'self-approval'
  | 'already-decided'
  | 'not-pending'
  | 'expired'
  | 'remediation-off'
  | 'dry-run-only'
  | 'target-not-allowed'
  | 'cooldown'
  | 'rate-limit'
  | 'groups-unavailable'
  | 'already-claimed'
  | 'already-pending'
  | 'request-limit'
  // Decided by the caller (remediation.ts, submit-request.ts), audited the same way:
  | 'invalid-params'
  | 'target-not-found'
  | 'target-unreadable'
  | 'plan-refused'
  | 'not-admin'
  | 'unknown-recommendation'
  | 'wrong-message'
  | 'shutting-down';

export type PolicyResult = { ok: true } | { ok: false; code: RefusalCode; reason: string };

export const HOUR_MS = 3_600_000;

const OK: PolicyResult = { ok: true };

function refuse(code: RefusalCode, reason: string): PolicyResult {
  return { ok: false, code, reason };
}

export interface CanApproveInput {
  runbook: PolicyRunbook;
  request: PolicyRequest;
  approver: string;
  /** Slack user-group ids the approver is a member of. */
  approverGroups: readonly string[];
  /** Default 'approve'. A rejection needs the same standing as an approval, except that the
   *  requester may always withdraw (reject) their own request. */
  decision?: Decision;
  switches: RemediationSwitches;
  now: number;
}

/**
 * Whether `approver` may record `decision` on `request` now. Checked in this order, so that the
 * first reason a person reads is the one about them: who they are, what they already did, then
 * the state of the request, then the global switches and the runbook.
 */
export function canApprove(input: CanApproveInput): PolicyResult {
  const { runbook, request, approver, switches, now } = input;
  const decision = input.decision ?? 'approve';
  const name = runbookName(runbook);

  if (request.runbookId !== runbook.id) {
    return refuse('runbook-mismatch', `This request is for runbook "${request.runbookId}", not "${runbook.id}".`);
  }

  const ownRequest = approver === request.requestedBy;
  const withdrawing = decision === 'reject' && ownRequest;
  if (!withdrawing && !isApprover(runbook, approver, input.approverGroups)) {
    return refuse('not-approver', `You are not an approver of ${name}: ask one of ${describeApprovers(runbook)}.`);
  }
  if (decision === 'approve' && ownRequest) {
    if (runbook.risk === 'high') {
      return refuse('self-approval', `You requested this high-risk remediation, so you cannot approve it yourself: another approver must.`);
    }
    if (!runbook.approval.allowSelfApproval) {
      return refuse('self-approval', `You requested this remediation and ${name} does not allow self-approval: another approver must.`);
    }
  }

  const previous = request.approvals.find((a) => a.user === approver);
  if (previous) {
    return refuse('already-decided', `You already ${previous.decision === 'approve' ? 'approved' : 'rejected'} this request.`);
  }
  if (request.status !== 'pending') {
    return refuse('not-pending', `This request is already ${describeStatus(request.status)}: nothing was changed.`);
  }
  if (now >= request.expiresAt) {
    return refuse('expired', `This request expired at ${new Date(request.expiresAt).toISOString()}: request it again if it is still needed.`);
  }

  // Saying no is always possible; only saying yes depends on the switches and the runbook.
  if (decision === 'reject') return OK;

  if (!switches.enabled) return refuse('remediation-off', switchedOff(switches, 'before anything can be approved'));
  if (!runbook.enabled) return refuse('runbook-disabled', `${capitalize(name)} is disabled in its runbook file.`);
  if (request.runbookSha256 !== runbook.sha256) {
    return refuse('runbook-changed', `${capitalize(name)} has changed since this was requested (file hash differs): request it again so approvers see the current runbook.`);
  }
  if (switches.dryRunOnly && !request.dryRun) {
    return refuse('dry-run-only', 'memwarden is in dry-run-only mode and this request would make real changes: request a dry run instead.');
  }
  return OK;
}

export interface CanRequestInput {
  runbook: PolicyRunbook;
  /** The target, and whether it is on the runbook's allowlist (the caller's predicate). */
  target: { name: string; allowed: boolean };
  /** Start times (epoch ms) of the runbook's real (not dry) runs on this target, at least those
   *  in the last max(cooldown, 1 hour). */
  recentRuns: readonly number[];
  switches: RemediationSwitches;
  /** Dry runs change nothing, so cooldown and the hourly limit do not apply to them. */
  dryRun?: boolean;
  now: number;
}

/** Whether the runbook may be requested (and, re-checked at the last approval, run) on the target now. */
export function canRequest(input: CanRequestInput): PolicyResult {
  const { runbook, target, switches, now } = input;
  const name = runbookName(runbook);
  if (!switches.enabled) return refuse('remediation-off', switchedOff(switches, 'first'));
  if (!runbook.enabled) return refuse('runbook-disabled', `${capitalize(name)} is disabled in its runbook file.`);
  if (!target.allowed) return refuse('target-not-allowed', `${capitalize(name)} may not run on ${target.name}: it is not on the runbook's list of targets.`);
  if (input.dryRun === true) return OK;

  const runs = input.recentRuns.filter((at) => at <= now);
  const last = runs.length > 0 ? Math.max(...runs) : null;
  if (last !== null && now - last < runbook.cooldownMs) {
    const next = last + runbook.cooldownMs;
    return refuse(
      'cooldown',
      `${capitalize(name)} ran on ${target.name} at ${iso(last)}; its cooldown is ${formatDuration(runbook.cooldownMs)}, so it may run again at ${iso(next)} (in ${formatDuration(next - now)}).`,
    );
  }
  const lastHour = runs.filter((at) => at > now - HOUR_MS).sort((a, b) => a - b);
  if (lastHour.length >= runbook.maxRunsPerHour) {
    // The oldest run in the window leaving it is what frees a slot.
    const freedAt = (lastHour[lastHour.length - runbook.maxRunsPerHour] ?? now) + HOUR_MS;
    return refuse(
      'rate-limit',
      `${capitalize(name)} already ran ${lastHour.length} time${lastHour.length === 1 ? '' : 's'} on ${target.name} in the last hour (at most ${runbook.maxRunsPerHour}); it may run again at ${iso(freedAt)}.`,
    );
  }
  return OK;
}

export interface RequestRateInput {
  runbookId: string;
  /** When the requester's requests in the window were made (epoch ms). */
  byUser: readonly number[];
  /** When the runbook's requests in the window were made, by anyone. */
  byRunbook: readonly number[];
  limits: RequestLimits;
  now: number;
}

/**
 * Whether another request may be made now: a flood of requests would ping every approver each
 * time and crowd the channel, so a person and a runbook each get `limits` per window.
 */
export function checkRequestRate(input: RequestRateInput): PolicyResult {
  const { limits, now } = input;
  const window = formatDuration(limits.windowMs);
  // The oldest request in the window leaving it is what frees a slot.
  const freedAt = (times: readonly number[], max: number): number => ([...times].sort((a, b) => a - b)[times.length - max] ?? now) + limits.windowMs;
  if (input.byUser.length >= limits.perUser) {
    return refuse(
      'request-limit',
      `You made ${input.byUser.length} remediation requests in the last ${window} (at most ${limits.perUser}): you may request again at ${iso(freedAt(input.byUser, limits.perUser))}.`,
    );
  }
  if (input.byRunbook.length >= limits.perRunbook) {
    return refuse(
      'request-limit',
      `Runbook "${input.runbookId}" was requested ${input.byRunbook.length} times in the last ${window} (at most ${limits.perRunbook}): it may be requested again at ${iso(freedAt(input.byRunbook, limits.perRunbook))}.`,
    );
  }
  return OK;
}

/** Why a request identical to a pending one is not made again: approvers are asked once. */
export function describePending(pending: Pick<PolicyRequest, 'runbookId' | 'requestedBy' | 'expiresAt'> & { requestedAt: number; target: { name: string } }): string {
  return (
    `The same remediation (${runbookName({ id: pending.runbookId })} on ${pending.target.name}, same parameters) is already waiting for approval: ` +
    `${mentionUser(pending.requestedBy)} asked for it at ${iso(pending.requestedAt)} and it expires at ${iso(pending.expiresAt)}. Nothing new was posted; its approval message is in the channel.`
  );
}

function switchedOff(switches: RemediationSwitches, when: string): string {
  return switches.offInConfig
    ? "Remediation is switched off in memwarden's configuration file (remediation.enabled: false): it stays off until that file is changed and memwarden restarted."
    : `Remediation is switched off for everyone: an admin has to switch it on ${when}.`;
}

/** A user approves a runbook by user id, or by membership of one of its approver groups. */
export function isApprover(runbook: PolicyRunbook, user: string, groups: readonly string[]): boolean {
  if (runbook.approval.approvers.users.includes(user)) return true;
  return groups.some((group) => runbook.approval.approvers.groups.includes(group));
}

/** Mention tokens, not Slack markup: the Slack renderer makes them mentions, the audit and logs "@U0123ABCD". */
function describeApprovers(runbook: PolicyRunbook): string {
  const people = [...runbook.approval.approvers.users.map(mentionUser), ...runbook.approval.approvers.groups.map(mentionGroup)];
  return people.length > 0 ? people.join(', ') : 'nobody (the runbook lists no approvers)';
}

function describeStatus(status: RequestStatus): string {
  switch (status) {
    case 'pending':
      return 'waiting for approval';
    case 'approved':
      return 'approved';
    case 'rejected':
      return 'rejected';
    case 'expired':
      return 'expired';
    case 'executing':
      return 'running';
    case 'succeeded':
      return 'done (it succeeded)';
    case 'failed':
      return 'done (it failed)';
    case 'not-executed':
      return 'closed without running';
  }
}

function runbookName(runbook: Pick<PolicyRunbook, 'id'>): string {
  return `runbook "${runbook.id}"`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** 90_000 -> "1m 30s"; 3_600_000 -> "1h". Rounds up to the second, so "in 0s" is never shown. */
export function formatDuration(ms: number): string {
  let seconds = Math.max(1, Math.ceil(ms / 1000));
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours}h`);
  if (minutes > 0) parts.push(`${minutes}m`);
  if (seconds > 0) parts.push(`${seconds}s`);
  return parts.join(' ');
}
