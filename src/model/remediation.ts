// Approved remediations as plain data: a request with its approvals, its execution, the audit
// log's entries and the global switch. The store keeps them (store/remediation.ts), the approval
// flow changes them (remediate/), the renderers and the CLI show them.
export type AuditAction =
  | 'requested'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'executing'
  | 'succeeded'
  | 'failed'
  | 'not-executed'
  | 'refused'
  | 'switched-on'
  | 'switched-off'
  | 'verified';

export interface RemediationTarget {
  containerId: string;
  name: string;
}

export interface Approval {
  user: string;
  decision: Decision;
  at: number;
}

export interface RemediationRequest {
  /** 32 hex digits (128 random bits). */
  id: string;
  runbookId: string;
  runbookSha256: string;
  target: RemediationTarget;
  params: Record<string, unknown>;
  requestedBy: string;
  requestedAt: number;
  expiresAt: number;
  status: RequestStatus;
  origin: string;
  channel: string | null;
  messageTs: string | null;
  dryRun: boolean;
  requiredApprovals: number;
  decidedAt: number | null;
  statusDetail: string | null;
  /** In the order they were recorded. */
  approvals: Approval[];
}

export interface Execution {
  requestId: string;
  startedAt: number;
  finishedAt: number | null;
  outcome: string | null;
  result: unknown;
}

export interface NewAuditEntry {
  at: number;
  actor: string;
  action: AuditAction;
  requestId?: string | null;
  runbookId?: string | null;
  runbookSha256?: string | null;
  /** The target's name (container name). */
  target?: string | null;
  targetContainerId?: string | null;
  params?: unknown;
  outcome?: string | null;
  beforeBytes?: number | null;
  afterBytes?: number | null;
  detail?: string | null;
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: AuditAction;
  requestId: string | null;
  runbookId: string | null;
  runbookSha256: string | null;
  target: string | null;
  targetContainerId: string | null;
  params: unknown;
  outcome: string | null;
  beforeBytes: number | null;
  afterBytes: number | null;
  detail: string | null;
}

export interface RemediationSwitchState {
  enabled: boolean;
  changedBy: string | null;
  changedAt: number | null;
}

export type RequestStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'executing' | 'succeeded' | 'failed' | 'not-executed';

export type Decision = 'approve' | 'reject';
