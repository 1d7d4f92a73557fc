// What a remediation's messages are built from, as plain data the domain owns: the request as it
// was approved (stored with its follow-up, so later messages describe it as it was, not as the
// runbook is now), its state as the store has it, what a run did, and the answer to a click.
// The notices (remediation-notices.ts) turn these into what people read.
import type { RequestStatus } from '../model/remediation.js';
import type { ExecutionStatus } from './executors/types.js';
import type { VerifyMetric } from './runbook-schema.js';
import type { Measurement } from './verification.js';

/** What the approval message shows besides the request's state; stored with the request. */
export interface ApprovalView {
  requestId: string;
  runbook: { id: string; title: string; description: string; file: string; sha256: string; risk: 'low' | 'high' };
  target: { name: string; containerId: string };
  /** Validated values as people read them (sizes formatted). */
  params: { name: string; value: string }[];
  requestedBy: string;
  requestedAt: number;
  expiresAt: number;
  approvers: { users: string[]; groups: string[] };
  required: number;
  allowSelfApproval: boolean;
  dryRun: boolean;
  /** The dry run: the exact exec argv or API call (describeAction), the plan's line and notes. */
  plan: { action: string; summary: string; notes: string[] };
  /** The target when the request was made. */
  current: { memoryUsageBytes: number | null; memoryLimitBytes: number | null; poolSize: number | null };
  /** When the request came from an alert: the recommendation and its measured estimate. */
  expected: { title: string; estimatedSavingsBytes: number | null; fingerprint: string } | null;
  verify: { afterMs: number; metric: VerifyMetric; goal: string | null };
  timeoutMs: number;
}

/** The request's state, read from the store whenever the message is rendered. */
export interface ApprovalState {
  status: RequestStatus;
  approvals: readonly { user: string; decision: 'approve' | 'reject'; at: number }[];
  /** How it ended, in one line: the result's summary, or why it expired or was interrupted. */
  detail: string | null;
}

/** What a run did, for its thread reply. */
export interface ResultView {
  status: ExecutionStatus | 'dry-run';
  summary: string;
  output: string;
  notes: string[];
  /** What actually ran (describeAction), or null. */
  action: string | null;
  before: Measurement | null;
  after: Measurement | null;
  durationMs: number;
  /** When the verification is due, or null when none is. */
  verifyAt: number | null;
}

/** What the person who clicked Approve or Reject is told. */
export type DecisionAnswer =
  | { kind: 'waiting'; approvals: number; required: number }
  | { kind: 'rejected' }
  | { kind: 'executed'; outcome: 'succeeded' | 'failed'; summary: string };

/** The key of a request's approval message among the posted messages (its thread is found by it). */
export function approvalMessageKey(requestId: string): string {
  return `remediation:${requestId}`;
}
