// The result of an execution as the store keeps it (remediation_executions.result, JSON), read back
// for the messages that tell it: right after the run, and again at a start after a crash cut the
// announcement off. The row is JSON from disk, so every field is checked; what does not fit falls
// back to the request's own status and detail rather than to a guess.
import type { ResultView } from './remediation-views.js';
import type { RemediationRequest } from '../model/remediation.js';
import type { ExecutionReport } from './approval-service.js';
import type { Measurement } from './verification.js';

/** What execute() returns: the report the approval service stores, with everything the messages show. */
export interface StoredReport extends ExecutionReport {
  view: ResultView;
}

const STATUSES: readonly ResultView['status'][] = ['applied', 'partial', 'failed', 'refused', 'timed-out', 'nothing-to-do', 'dry-run'];

export function storedReport(view: ResultView, ok: boolean): StoredReport {
  return { ok, status: view.status, summary: view.summary, beforeBytes: view.before?.containerUsageBytes ?? null, afterBytes: view.after?.containerUsageBytes ?? null, view };
}

/** The result of `request` as stored (`stored`: its execution row's result; undefined when it has none). */
export function resultFromStored(stored: unknown, request: Pick<RemediationRequest, 'status' | 'statusDetail'>): ResultView {
  const report = isObject(stored) ? stored : {};
  const view = isObject(report.view) ? report.view : {};
  const status = pickStatus(view.status) ?? pickStatus(report.status) ?? (report.ok === true ? 'applied' : 'failed');
  const summary = text(view.summary) ?? text(report.summary) ?? text(report.message) ?? request.statusDetail ?? request.status;
  return {
    status,
    summary,
    output: text(view.output) ?? '',
    notes: Array.isArray(view.notes) ? view.notes.filter((n): n is string => typeof n === 'string') : [],
    action: text(view.action) ?? null,
    before: measurement(view.before),
    after: measurement(view.after),
    durationMs: typeof view.durationMs === 'number' && Number.isFinite(view.durationMs) ? view.durationMs : 0,
    verifyAt: null,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function pickStatus(value: unknown): ResultView['status'] | null {
  return (STATUSES as readonly unknown[]).includes(value) ? (value as ResultView['status']) : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function measurement(value: unknown): Measurement | null {
  if (!isObject(value) || num(value.at) === null) return null;
  return {
    at: num(value.at) ?? 0,
    running: typeof value.running === 'boolean' ? value.running : null,
    containerUsageBytes: num(value.containerUsageBytes),
    groupPssBytes: num(value.groupPssBytes),
    poolSize: num(value.poolSize),
  };
}
