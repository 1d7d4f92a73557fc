// Approved remediations end to end, behind one facade that run-bot wires and the Slack listeners
// call: a request (typed in `/mem run`, or a fix button under an alert) is checked against the
// runbook, the live target and the policy, stored, and announced through the outbox with its
// dry run (exactly what would be executed); approvals go through the approval service, whose
// last approval claims the execution exactly once and runs it through the executors (planExecution
// + executePlan: an exec argv or one Engine API call, never a shell); the result goes to the
// approval message's thread; after the runbook's verify.after memwarden measures again and says
// whether the goal was met, there and in the originating alert's thread.
//
// Nothing is sent from here: every message is an outbox op (deps.enqueue), so none is lost across
// a crash or a Slack outage. Due verifications are SQLite rows (store/remediation-flow.ts), so a
// restart neither loses nor repeats one. Every refusal is audited and returns a message for the
// person who asked or clicked; it changes nothing.
import type Dockerode from 'dockerode';
import { collectProcesses } from '../collect/processes.js';
import type { Snapshot } from '../collect/types.js';
import type { Config } from '../config/schema.js';
import { formatBytes } from '../format/units.js';
import type { Logger } from '../log/logger.js';
import { alertMessageKey } from '../slack/alert-notifier.js';
import type { SlackOp } from '../slack/delivery/outbox-dispatcher.js';
import type { AlertViewModel } from '../slack/render/alert-message.js';
import { checkBlockKitLimits, type SlackMessage } from '../slack/render/block-kit-limits.js';
import {
  type ApprovalState,
  type ApprovalView,
  approvalMessageKey,
  renderAlertFollowup,
  renderApprovalRequest,
  renderDecisionAnswer,
  renderRemediationRefused,
  renderRemediationResult,
  renderRemediationStarted,
  renderRequestAccepted,
  renderSwitchChanged,
  renderVerification,
  type ResultView,
} from '../slack/render/remediation-message.js';
import type { Database } from '../store/database.js';
import { getAlertMessage, insertAlertMessage } from '../store/outbox.js';
import { type AuditEntry, getExecution, getRequest, listAudit, type RemediationRequest, type RemediationTarget } from '../store/remediation.js';
import {
  claimDueVerifications,
  type Followup,
  finishVerification,
  getFollowup,
  getRecommendation,
  insertFollowup,
  nextVerificationAt,
  pruneRecommendations,
  recommendationId,
  releaseRunningVerifications,
  scheduleVerification,
  setFollowupBefore,
} from '../store/remediation-flow.js';
import { createApprovalService, EXECUTOR_GRACE_MS, type ExecutionReport, type Refusal } from './approval-service.js';
import { describeDockerError } from './executors/docker-errors.js';
import { describeAction, executePlan, type ExecutionPlan, type ExecutionResult, inspectTarget, planExecution, TargetNotFoundError } from './executors/index.js';
import type { Decision, RefusalCode, RemediationSwitches } from './policy.js';
import { checkParamValues, type ParamValues, type ValidateParamsResult, validateParams } from './runbook-params.js';
import type { Runbook, RunbookKind } from './runbook-schema.js';
import { describeTarget, matchesTarget } from './runbook-target.js';
import { describeGoal, evaluateVerification, type Measurement, type Verification, verifySpecFor } from './verification.js';

export type RemediationLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface RemediationDeps {
  db: Database;
  docker: Dockerode;
  config: Pick<Config, 'slack' | 'remediation'>;
  /** Loaded with loadRunbooks(config.remediation.runbooksDir). */
  runbooks: readonly Runbook[];
  /** Epoch milliseconds. */
  clock: () => number;
  logger: RemediationLogger;
  /** Where container cgroups are (container usage), as config.paths.cgroup. */
  cgroupRoot: string;
  /** The host's /proc (group PSS), as config.paths.proc. */
  procRoot: string;
  /** Slack user-group ids (and @handles) of a user; cached by the approval service. */
  groupsOf: (userId: string) => Promise<string[]>;
  /** Puts one Slack op in the outbox (and wakes the dispatcher). */
  enqueue: (op: SlackOp) => void;
  /** A fresh snapshot: names the containers a runbook may touch when a typed target does not exist. */
  takeSnapshot: () => Promise<Snapshot>;
  /** Runs fn after ms (a due verification); returns a cancel. Default: an unref'd setTimeout. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

/** What the person who asked or clicked is told (ephemeral). */
export interface RemediationAnswer {
  ok: boolean;
  /** Why not, when ok is false. */
  code: RefusalCode | null;
  message: SlackMessage;
  /** The request concerned, when there is one. */
  requestId: string | null;
}

export interface RunbookSummary {
  id: string;
  title: string;
  kind: RunbookKind;
  risk: 'low' | 'high';
  enabled: boolean;
  approvers: { users: string[]; groups: string[] };
  required: number;
  allowSelfApproval: boolean;
  /** Each parameter with its type and range in words ("integer 1–64"). */
  params: { name: string; describe: string }[];
  file: string;
  sha256: string;
}

export interface RemediationRequestCommand {
  user: string;
  runbookId: string;
  /** A container name (or id) as typed. */
  target: string;
  /** name=value pairs as typed; validated against the runbook here. */
  rawParams: Readonly<Record<string, string>>;
  /** Where the approval message goes (where the command was typed). */
  channel: string;
  /** 'command' for /mem run. */
  origin?: string;
}

export interface Remediation {
  /** Call once at start, before handling clicks: settles what a crash left, re-arms due verifications. */
  recover(): void;
  /** Expires requests and runs due verifications; call once per poll. Never rejects. */
  tick(now: number): Promise<void>;
  /** `/mem run <runbook> <target> [param=value ...]`. */
  request(input: RemediationRequestCommand): Promise<RemediationAnswer>;
  /** A fix button under an alert: its value is a recommendation id made by recommendationIdsFor. */
  requestFromRecommendation(input: { user: string; recommendationId: string; channel: string }): Promise<RemediationAnswer>;
  /** Opaque ids for an alert's recommendation buttons (alert notifier option recommendationIds); '' = no button. */
  recommendationIdsFor(vm: AlertViewModel): string[];
  /** Approve / Reject. `messageTs`: the message the button was on, checked against the request's. */
  decide(input: { requestId: string; user: string; decision: Decision; messageTs?: string }): Promise<RemediationAnswer>;
  runbooks(): RunbookSummary[];
  switches(): RemediationSwitches;
  /** The last n audit entries, newest first. */
  audit(n: number): AuditEntry[];
  /** `/mem remediation on|off`: admins only (config.slack.admins). */
  setSwitch(on: boolean, user: string): RemediationAnswer;
  /**
   * Refuses new work, cancels timers, lets a running remediation finish: bounded by its timeout
   * and by `maxWaitMs` (the shutdown grace). One cut short stays "executing" in the store and is
   * reported as interrupted at the next start (recover()), never run again.
   */
  stop(maxWaitMs?: number): Promise<void>;
}

/** A fix button stays valid this long (the alert message may stay in the channel for weeks). */
export const RECOMMENDATION_TTL_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
const MAX_LABEL_CACHE = 1000;

type ParamsInput = { kind: 'typed'; values: Readonly<Record<string, unknown>> } | { kind: 'raw'; values: Readonly<Record<string, string>> };

interface SubmitInput {
  user: string;
  runbookId: string;
  /** What Docker is asked for (a name or an id). */
  targetRef: string;
  /** How the person named it (messages). */
  targetName: string;
  params: ParamsInput;
  channel: string;
  origin: string;
  alert: { messageKey: string; fingerprint: string } | null;
  expected: ApprovalView['expected'];
}

export function createRemediation(deps: RemediationDeps): Remediation {
  const { db, docker, config, clock, logger } = deps;
  const byId = new Map(deps.runbooks.map((rb) => [rb.id, rb]));
  const schedule =
    deps.schedule ??
    ((fn: () => void, ms: number) => {
      const timer = setTimeout(fn, ms);
      timer.unref();
      return () => clearTimeout(timer);
    });
  /** Labels of containers looked at live: the allowlist check of the policy reads them. */
  const labelsOf = new Map<string, Record<string, string>>();
  /** What each execution reported, for the messages built after the approval service stored it. */
  const results = new Map<string, ResultView>();
  const inFlight = new Set<Promise<unknown>>();
  const timers = new Set<() => void>();
  const armedAt = new Set<number>();
  let stopping = false;
  let lastPrune = 0;

  const service = createApprovalService<Runbook>({
    db,
    clock,
    runbook: (id) => byId.get(id),
    targetAllowed: (runbook, target) => {
      const labels = labelsOf.get(target.containerId);
      // Unresolved (no such container): the request's own check refuses it and says so.
      if (labels === undefined) return target.containerId === '';
      return matchesTarget(runbook.target, { name: target.name, labels });
    },
    groupsOf: deps.groupsOf,
    execute,
    logger,
    dryRunOnly: config.remediation.dryRunOnly,
    defaultEnabled: config.remediation.enabled,
    requestTtlMs: config.remediation.requestTtl,
  });

  function track<T>(promise: Promise<T>): Promise<T> {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  function remember(containerId: string, labels: Record<string, string>): void {
    if (labelsOf.size >= MAX_LABEL_CACHE) labelsOf.clear();
    labelsOf.set(containerId, { ...labels });
  }

  // --- messages ---

  function checked(message: SlackMessage, what: string): SlackMessage {
    const problems = checkBlockKitLimits(message);
    if (problems.length > 0) logger.error({ problems, what }, 'Rendered remediation message breaks Block Kit limits; Slack may refuse it (the outbox then sends its text)');
    return message;
  }

  function toThread(requestId: string, channel: string, op: 'post' | 'update' | 'reply', message: SlackMessage, what: string): void {
    const key = approvalMessageKey(requestId);
    deps.enqueue({ orderingKey: key, messageKey: key, op, channel, message: checked(message, what) });
  }

  function toAlertThread(followup: Followup, message: SlackMessage): void {
    if (followup.alertMessageKey === null || followup.alertFingerprint === null) return;
    const alert = getAlertMessage(db, followup.alertMessageKey);
    if (!alert) return;
    deps.enqueue({ orderingKey: followup.alertFingerprint, messageKey: followup.alertMessageKey, op: 'reply', channel: alert.channel, message: checked(message, 'alert-followup') });
  }

  function stateOf(request: RemediationRequest): ApprovalState {
    const execution = getExecution(db, request.id);
    const summary = reportSummary(execution?.result);
    return { status: request.status, approvals: request.approvals, detail: summary ?? request.statusDetail };
  }

  /** Re-renders the approval message with the request's state now. */
  function refreshApproval(requestId: string): void {
    const followup = getFollowup(db, requestId);
    const request = getRequest(db, requestId);
    if (!followup || !request) return;
    toThread(requestId, followup.channel, 'update', renderApprovalRequest(followup.view as ApprovalView, stateOf(request)), 'approval');
  }

  function answer(ok: boolean, message: SlackMessage, requestId: string | null, code: RefusalCode | null = null): RemediationAnswer {
    return { ok, code, message, requestId };
  }

  function refused(refusal: Refusal): RemediationAnswer {
    return answer(false, renderRemediationRefused(refusal.reason), refusal.request?.id ?? null, refusal.code);
  }

  // --- measuring ---

  /** Container usage and pool size as the executors read them (inspectTarget), group PSS from /proc. */
  async function measure(containerId: string): Promise<Measurement> {
    const m: Measurement = { at: clock(), running: null, containerUsageBytes: null, groupPssBytes: null, poolSize: null };
    let masterPid: number | null = null;
    let containerName = containerId;
    try {
      const live = await inspectTarget(docker, containerId, { cgroupRoot: deps.cgroupRoot });
      containerName = live.container.name;
      m.running = live.state.running;
      m.containerUsageBytes = live.state.memoryUsageBytes;
      const worker = live.state.celeryWorkers.length === 1 ? live.state.celeryWorkers[0] : undefined;
      if (worker) {
        m.poolSize = worker.poolSize;
        masterPid = worker.masterPid;
      }
    } catch (err) {
      logger.warn({ err, containerId }, 'Remediation target could not be measured');
    }
    if (m.running === true) {
      try {
        const { groups } = await collectProcesses({ procRoot: deps.procRoot, withSmaps: true, containerNames: new Map([[containerId, containerName]]) });
        const inside = groups.filter((g) => g.containerId === containerId);
        // docker top lists host pids, as /proc does: the worker's own group, else the largest.
        const group = (masterPid === null ? undefined : inside.find((g) => g.masterPid === masterPid)) ?? inside[0];
        m.groupPssBytes = group?.pssBytes ?? null;
      } catch (err) {
        logger.warn({ err, containerId }, 'Process memory of a remediation target could not be read');
      }
    }
    m.at = clock();
    return m;
  }

  // --- requesting ---

  async function submit(input: SubmitInput): Promise<RemediationAnswer> {
    const { user } = input;
    const runbook = byId.get(input.runbookId);
    if (stopping) {
      return refused(service.refuse('shutting-down', 'memwarden is shutting down: request it again in a minute.', user, null, { runbookId: input.runbookId }));
    }
    let problem: { code: RefusalCode; reason: string } | null = null;
    let params: ParamValues = {};
    let target: RemediationTarget = { containerId: '', name: input.targetName };
    let plan: ExecutionPlan | null = null;
    if (runbook) {
      const validated: ValidateParamsResult = input.params.kind === 'raw' ? validateParams(runbook, input.params.values) : checkParamValues(runbook, input.params.values as ParamValues);
      if (validated.ok) params = validated.params;
      else problem = { code: 'invalid-params', reason: `The parameters do not fit runbook "${runbook.id}": ${validated.problems.join('; ')}.` };
      try {
        const live = await inspectTarget(docker, input.targetRef, { cgroupRoot: deps.cgroupRoot });
        target = { containerId: live.container.id, name: live.container.name };
        remember(live.container.id, live.container.labels);
        if (problem === null) {
          plan = planExecution(runbook, live.container, params, live.state);
          problem = planProblem(runbook, plan);
        }
      } catch (err) {
        if (err instanceof TargetNotFoundError) problem ??= { code: 'target-not-found', reason: await unknownTarget(runbook, input.targetName) };
        else {
          logger.warn({ err, target: input.targetName }, 'Remediation target could not be inspected');
          problem ??= { code: 'target-not-found', reason: `Docker could not tell memwarden about ${input.targetName}: ${describeDockerError(err)}.` };
        }
      }
    }
    const outcome = service.request({
      runbookId: input.runbookId,
      target,
      params: runbook ? params : { ...input.params.values },
      requestedBy: user,
      origin: input.origin,
      check: () => problem,
    });
    if (!outcome.ok) return refused(outcome);
    if (!runbook || !plan) throw new Error('a request was stored without a runbook and a plan');
    const request = outcome.request;
    const view = approvalView(request, runbook, plan, params, input.expected);
    const now = clock();
    db.transaction(() => {
      insertFollowup(db, { requestId: request.id, channel: input.channel, view, alertMessageKey: input.alert?.messageKey ?? null, alertFingerprint: input.alert?.fingerprint ?? null }, now);
      insertAlertMessage(db, { messageKey: approvalMessageKey(request.id), fingerprint: approvalMessageKey(request.id), startedAt: request.requestedAt, channel: input.channel }, now);
      toThread(request.id, input.channel, 'post', renderApprovalRequest(view, stateOf(request)), 'approval');
    }).immediate();
    return answer(true, renderRequestAccepted(view, input.channel), request.id);
  }

  function planProblem(runbook: Runbook, plan: ExecutionPlan): { code: RefusalCode; reason: string } | null {
    if (plan.refusal !== null) {
      return { code: 'plan-refused', reason: `Runbook "${runbook.id}" cannot run on ${plan.target.name} now: ${plan.refusal.replace(/^refused: /, '')}.` };
    }
    if (plan.action === null) return { code: 'plan-refused', reason: `There is nothing to do: ${plan.summary.replace(/^nothing to do: /, '')}.` };
    return null;
  }

  async function unknownTarget(runbook: Runbook, asked: string): Promise<string> {
    let allowed: string[] | null = null;
    try {
      const snapshot = await deps.takeSnapshot();
      allowed = snapshot.containers.filter((c) => matchesTarget(runbook.target, c)).map((c) => c.name).sort((a, b) => a.localeCompare(b));
    } catch (err) {
      logger.debug({ err }, 'No snapshot to list the containers a runbook may touch');
    }
    const base = `There is no container named "${asked}".`;
    if (allowed === null) return base;
    if (allowed.length === 0) return `${base} No running container is on runbook "${runbook.id}"'s allowlist (${describeTarget(runbook.target)}).`;
    const shown = allowed.slice(0, 10).join(', ');
    return `${base} Runbook "${runbook.id}" may run on: ${shown}${allowed.length > 10 ? ` and ${allowed.length - 10} more` : ''}.`;
  }

  function approvalView(request: RemediationRequest, runbook: Runbook, plan: ExecutionPlan, params: ParamValues, expected: ApprovalView['expected']): ApprovalView {
    const spec = verifySpecFor(runbook, config.remediation.verifyAfterDefault);
    const worker = plan.before.poolSize;
    return {
      requestId: request.id,
      runbook: { id: runbook.id, title: runbook.title, description: runbook.description, file: runbook.file, sha256: runbook.sha256, risk: runbook.risk },
      target: { name: request.target.name, containerId: request.target.containerId },
      params: displayParams(runbook, params),
      requestedBy: request.requestedBy,
      requestedAt: request.requestedAt,
      expiresAt: request.expiresAt,
      approvers: { users: [...runbook.approval.approvers.users], groups: [...runbook.approval.approvers.groups] },
      required: runbook.approval.required,
      allowSelfApproval: runbook.approval.allowSelfApproval,
      dryRun: request.dryRun,
      plan: { action: describeAction(plan.action, plan.target.name), summary: plan.summary, notes: [...plan.notes] },
      current: {
        memoryUsageBytes: plan.before.memoryUsageBytes ?? null,
        memoryLimitBytes: plan.before.memoryLimit ?? null,
        poolSize: worker ?? null,
      },
      expected,
      verify: { afterMs: spec.afterMs, metric: spec.metric, goal: describeGoal(spec, params) },
      timeoutMs: runbook.timeoutMs,
    };
  }

  // --- executing (called by the approval service, exactly once per request) ---

  async function execute(request: RemediationRequest, runbook: Runbook): Promise<ExecutionReport> {
    const followup = getFollowup(db, request.id);
    const view = (followup?.view ?? null) as ApprovalView | null;
    if (followup && view) {
      refreshApproval(request.id);
      toThread(request.id, followup.channel, 'reply', renderRemediationStarted(view, approversOf(request)), 'started');
    }
    const started = clock();
    const validated = checkParamValues(runbook, request.params as ParamValues);
    if (!validated.ok) {
      const summary = `refused: the stored parameters no longer fit the runbook: ${validated.problems.join('; ')}`;
      results.set(request.id, resultView('refused', summary, null, null, null, started));
      return { ok: false, summary };
    }
    if (request.dryRun) {
      let action = view?.plan.action ?? 'unknown';
      try {
        const live = await inspectTarget(docker, request.target.containerId, { cgroupRoot: deps.cgroupRoot });
        const plan = planExecution(runbook, live.container, validated.params, live.state);
        action = describeAction(plan.action, plan.target.name);
      } catch (err) {
        logger.debug({ err, requestId: request.id }, 'Dry run: the target could not be read again; showing the plan it was requested with');
      }
      const summary = `dry run: nothing was executed; it would run ${action}`;
      results.set(request.id, { ...resultView('dry-run', summary, null, null, null, started), action });
      return { ok: true, summary };
    }

    const before = await measure(request.target.containerId);
    setFollowupBefore(db, request.id, before, clock());
    let result: ExecutionResult;
    try {
      const live = await inspectTarget(docker, request.target.containerId, { cgroupRoot: deps.cgroupRoot });
      const plan = planExecution(runbook, live.container, validated.params, live.state);
      result = await executePlan(plan, { docker, cgroupRoot: deps.cgroupRoot, clock });
    } catch (err) {
      const gone = err instanceof TargetNotFoundError;
      result = {
        ok: false,
        status: gone ? 'refused' : 'failed',
        summary: gone ? `refused: ${request.target.name} does not exist any more` : `failed while reading the target: ${describeDockerError(err)}`,
        output: '',
        notes: [],
        action: null,
        durationMs: clock() - started,
      };
    }
    const after = await measure(request.target.containerId);
    results.set(request.id, {
      status: result.status,
      summary: result.summary,
      output: result.output,
      notes: result.notes,
      action: result.action === null ? null : describeAction(result.action, request.target.name),
      before,
      after,
      durationMs: result.durationMs,
      verifyAt: null,
    });
    return { ...result, beforeBytes: before.containerUsageBytes, afterBytes: after.containerUsageBytes };
  }

  function resultView(status: ResultView['status'], summary: string, action: string | null, before: Measurement | null, after: Measurement | null, started: number): ResultView {
    return { status, summary, output: '', notes: [], action, before, after, durationMs: clock() - started, verifyAt: null };
  }

  /** After the service stored the outcome: the approval message, the result in its thread, the verification. */
  function announceResult(request: RemediationRequest, runbook: Runbook, report: ExecutionReport): ResultView {
    const followup = getFollowup(db, request.id);
    const result: ResultView = results.get(request.id) ?? {
      status: report.ok ? 'applied' : 'failed',
      summary: report.summary ?? (report.ok ? 'done' : 'failed'),
      output: '',
      notes: [],
      action: null,
      before: null,
      after: null,
      durationMs: 0,
      verifyAt: null,
    };
    results.delete(request.id);
    if (!followup) return result;
    const view = followup.view as ApprovalView;
    const verifies = !request.dryRun && (result.status === 'applied' || result.status === 'partial' || result.status === 'timed-out');
    if (verifies) {
      const at = clock() + verifySpecFor(runbook, config.remediation.verifyAfterDefault).afterMs;
      if (scheduleVerification(db, request.id, at, clock())) {
        result.verifyAt = at;
        arm(at);
      }
    }
    refreshApproval(request.id);
    toThread(request.id, followup.channel, 'reply', renderRemediationResult(view, result), 'result');
    // The alert hears once: with the verification when there is one, else now.
    if (result.verifyAt === null && !request.dryRun) toAlertThread(followup, renderAlertFollowup(view, approversOf(request), result, null));
    return result;
  }

  // --- verifying ---

  /** Runs the verifications due at `at` then (tick() would too, at its next poll). One timer per time. */
  function arm(at: number): void {
    if (stopping || armedAt.has(at)) return;
    armedAt.add(at);
    const cancel = schedule(() => {
      timers.delete(cancel);
      armedAt.delete(at);
      if (!stopping) void track(runDueVerifications(clock()));
    }, Math.max(0, at - clock()));
    timers.add(cancel);
  }

  async function runDueVerifications(now: number): Promise<void> {
    let due: Followup[];
    try {
      due = claimDueVerifications(db, now);
    } catch (err) {
      logger.error({ err }, 'Due verifications could not be read');
      return;
    }
    for (const followup of due) {
      try {
        await verify(followup);
      } catch (err) {
        logger.error({ err, requestId: followup.requestId }, 'Remediation verification failed');
        finishVerification(db, followup.requestId, { error: err instanceof Error ? err.message : String(err) }, clock());
      }
    }
    const next = nextVerificationAt(db);
    if (next !== null && next > now) arm(next);
  }

  async function verify(followup: Followup): Promise<void> {
    const request = getRequest(db, followup.requestId);
    const view = followup.view as ApprovalView;
    if (!request) {
      finishVerification(db, followup.requestId, { error: 'the request is gone' }, clock());
      return;
    }
    const runbook = byId.get(request.runbookId);
    // The runbook as it was approved (same file), else the metric alone, without a verdict.
    const spec =
      runbook && runbook.sha256 === request.runbookSha256
        ? verifySpecFor(runbook, config.remediation.verifyAfterDefault)
        : { afterMs: view.verify.afterMs, metric: view.verify.metric, expect: null };
    const before: Measurement = (followup.before as Measurement | null) ?? {
      at: request.decidedAt ?? request.requestedAt,
      running: null,
      containerUsageBytes: view.current.memoryUsageBytes,
      groupPssBytes: null,
      poolSize: view.current.poolSize,
    };
    const after = await measure(request.target.containerId);
    const params = checkParamValues(runbook ?? { id: request.runbookId, params: {} }, request.params as ParamValues);
    const verification: Verification = evaluateVerification(spec, params.ok ? params.params : (request.params as ParamValues), before, after);
    finishVerification(db, request.id, verification, clock());
    logger.info({ requestId: request.id, runbookId: request.runbookId, goalMet: verification.goalMet, summary: verification.summary }, 'Remediation verified');
    toThread(request.id, followup.channel, 'reply', renderVerification(view, verification), 'verification');
    const execution = getExecution(db, request.id);
    const report = (execution?.result ?? {}) as { status?: ResultView['status']; ok?: boolean };
    const summary = reportSummary(execution?.result) ?? request.statusDetail ?? request.status;
    toAlertThread(followup, renderAlertFollowup(view, approversOf(request), { status: report.status ?? (report.ok ? 'applied' : 'failed'), summary }, verification));
  }

  // --- the facade ---

  return {
    recover() {
      for (const { request } of service.recover()) {
        const followup = getFollowup(db, request.id);
        if (!followup) continue;
        refreshApproval(request.id);
        const view = followup.view as ApprovalView;
        toThread(request.id, followup.channel, 'reply', renderRemediationResult(view, { ...resultView('failed', request.statusDetail ?? 'interrupted by a restart', null, null, null, clock()), durationMs: 0 }), 'recovered');
      }
      const released = releaseRunningVerifications(db, clock());
      if (released > 0) logger.warn({ released }, 'Verifications interrupted by a restart will run again');
      const next = nextVerificationAt(db);
      if (next !== null) arm(next);
    },

    async tick(now) {
      if (stopping) return;
      try {
        for (const request of service.expire()) refreshApproval(request.id);
        if (now - lastPrune >= PRUNE_EVERY_MS) {
          pruneRecommendations(db, now - RECOMMENDATION_TTL_MS);
          lastPrune = now;
        }
      } catch (err) {
        logger.error({ err }, 'Remediation housekeeping failed');
      }
      await track(runDueVerifications(now));
    },

    request(input) {
      return track(
        submit({
          user: input.user,
          runbookId: input.runbookId,
          targetRef: input.target,
          targetName: input.target,
          params: { kind: 'raw', values: input.rawParams },
          channel: input.channel,
          origin: input.origin ?? 'command',
          alert: null,
          expected: null,
        }),
      );
    },

    requestFromRecommendation(input) {
      const rec = getRecommendation(db, input.recommendationId);
      if (!rec) {
        return Promise.resolve(
          refused(
            service.refuse('unknown-recommendation', 'This button was not made by memwarden, or it is too old: nothing was requested. `/mem diagnose` shows what memwarden recommends now.', input.user, null, {
              detail: `recommendation id ${JSON.stringify(printable(input.recommendationId))}`,
            }),
          ),
        );
      }
      return track(
        submit({
          user: input.user,
          runbookId: rec.runbookId,
          targetRef: rec.targetName,
          targetName: rec.targetName,
          params: { kind: 'typed', values: rec.params },
          channel: input.channel,
          origin: rec.fingerprint,
          alert: { messageKey: rec.alertMessageKey, fingerprint: rec.fingerprint },
          expected: { title: rec.title, estimatedSavingsBytes: rec.estimatedSavingsBytes, fingerprint: rec.fingerprint },
        }),
      );
    },

    recommendationIdsFor(vm) {
      const messageKey = alertMessageKey(vm);
      const owners = vm.findings.flatMap((finding) => finding.recommendations.map(() => finding));
      return vm.recommendations.map((rec, index) => {
        if (rec.runbook === null) return '';
        const runbook = byId.get(rec.runbook);
        if (!runbook?.enabled) return '';
        const finding = owners[index];
        const targetName = finding?.target.kind === 'container' ? finding.target.name : vm.target.containerName;
        if (!targetName) return '';
        const params = rec.params ?? {};
        if (!checkParamValues(runbook, params).ok) return '';
        try {
          return recommendationId(
            db,
            {
              dedupeKey: `${messageKey}|${index}|${runbook.id}|${targetName}|${JSON.stringify(params)}`,
              fingerprint: vm.fingerprint,
              alertMessageKey: messageKey,
              runbookId: runbook.id,
              targetContainerId: vm.target.containerName === targetName ? vm.target.containerId : null,
              targetName,
              params,
              title: rec.title,
              estimatedSavingsBytes: rec.estimatedSavingsBytes,
            },
            clock(),
          );
        } catch (err) {
          logger.error({ err, fingerprint: vm.fingerprint }, 'A recommendation button could not be stored; the alert goes out without it');
          return '';
        }
      });
    },

    decide(input) {
      return track(
        (async (): Promise<RemediationAnswer> => {
          const found = getRequest(db, input.requestId);
          if (stopping) return refused(service.refuse('shutting-down', 'memwarden is shutting down: click again in a minute.', input.user, found));
          if (found && input.messageTs !== undefined) {
            const posted = getAlertMessage(db, approvalMessageKey(found.id));
            if (posted?.parentTs && posted.parentTs !== input.messageTs) {
              return refused(
                service.refuse('wrong-message', 'This button is not on the approval message of that request (its value was changed): nothing was changed.', input.user, found, {
                  detail: `clicked on message ${printable(input.messageTs)}, the request's is ${posted.parentTs}`,
                }),
              );
            }
          }
          if (found && input.decision === 'approve') {
            // The policy's allowlist check reads the container's labels as they are now.
            try {
              const live = await inspectTarget(docker, found.target.containerId, { cgroupRoot: deps.cgroupRoot });
              remember(live.container.id, live.container.labels);
            } catch (err) {
              labelsOf.delete(found.target.containerId);
              logger.info({ err, requestId: found.id }, 'The target of a remediation request could not be inspected');
            }
          }
          const outcome = await service.decide(input.requestId, input.user, input.decision);
          if (!outcome.ok) return refused(outcome);
          const view = (getFollowup(db, outcome.request.id)?.view ?? null) as ApprovalView | null;
          const what = `${outcome.request.runbookId} on ${outcome.request.target.name}`;
          switch (outcome.state) {
            case 'waiting':
              refreshApproval(outcome.request.id);
              return answer(true, renderDecisionAnswer(view, what, { kind: 'waiting', approvals: outcome.approvals, required: outcome.required }), outcome.request.id);
            case 'rejected':
              refreshApproval(outcome.request.id);
              return answer(true, renderDecisionAnswer(view, what, { kind: 'rejected' }), outcome.request.id);
            case 'executed': {
              const runbook = byId.get(outcome.request.runbookId);
              const result = runbook ? announceResult(outcome.request, runbook, outcome.report) : null;
              return answer(true, renderDecisionAnswer(view, what, { kind: 'executed', outcome: outcome.outcome, summary: result?.summary ?? outcome.report.summary ?? outcome.outcome }), outcome.request.id);
            }
          }
        })(),
      );
    },

    runbooks() {
      return [...byId.values()]
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((rb) => ({
          id: rb.id,
          title: rb.title,
          kind: rb.kind,
          risk: rb.risk,
          enabled: rb.enabled,
          approvers: { users: [...rb.approval.approvers.users], groups: [...rb.approval.approvers.groups] },
          required: rb.approval.required,
          allowSelfApproval: rb.approval.allowSelfApproval,
          params: Object.entries(rb.params).map(([name, spec]) => ({ name, describe: describeParamSpec(spec) })),
          file: rb.file,
          sha256: rb.sha256,
        }));
    },

    switches: () => service.switches(),

    audit(n) {
      return listAudit(db, { limit: n });
    },

    setSwitch(on, user) {
      if (!config.slack.admins.includes(user)) {
        return refused(service.refuse('not-admin', `Only memwarden's admins (slack.admins in its configuration) may switch remediation ${on ? 'on' : 'off'}.`, user, null));
      }
      service.setSwitch(on, user);
      return answer(true, renderSwitchChanged(on), null);
    },

    async stop(maxWaitMs) {
      stopping = true;
      for (const cancel of timers) cancel();
      timers.clear();
      armedAt.clear();
      const longest = Math.max(0, ...[...byId.values()].map((rb) => rb.timeoutMs));
      const bound = Math.min(longest + EXECUTOR_GRACE_MS + 5_000, maxWaitMs ?? Infinity);
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), bound);
        timer.unref();
      });
      const settled = await Promise.race([Promise.allSettled([...inFlight]).then(() => 'done' as const), gaveUp]);
      clearTimeout(timer);
      if (settled === 'timeout') logger.warn({ running: inFlight.size, waitedMs: bound }, 'Stopped without waiting longer for a running remediation');
    },
  };
}

function approversOf(request: RemediationRequest): string[] {
  return request.approvals.filter((a) => a.decision === 'approve').map((a) => a.user);
}

function reportSummary(result: unknown): string | null {
  const summary = (result as { summary?: unknown } | null)?.summary;
  return typeof summary === 'string' && summary !== '' ? summary : null;
}

/** Validated values as people read them: sizes in binary units, durations in seconds. */
function displayParams(runbook: Runbook, params: ParamValues): { name: string; value: string }[] {
  return Object.entries(runbook.params)
    .filter(([name]) => params[name] !== undefined)
    .map(([name, spec]) => {
      const value = params[name] as number | string;
      if (typeof value === 'number' && spec.type === 'size') return { name, value: formatBytes(value) };
      if (typeof value === 'number' && spec.type === 'duration') return { name, value: value % 1000 === 0 ? `${value / 1000}s` : `${value}ms` };
      return { name, value: String(value) };
    });
}

function describeParamSpec(spec: Runbook['params'][string]): string {
  const fmt = (n: number): string => (spec.type === 'size' ? formatBytes(n) : spec.type === 'duration' ? `${n / 1000}s` : String(n));
  switch (spec.type) {
    case 'integer':
    case 'size':
    case 'duration': {
      const range = spec.min !== undefined && spec.max !== undefined ? ` ${fmt(spec.min)}–${fmt(spec.max)}` : spec.min !== undefined ? ` ≥ ${fmt(spec.min)}` : spec.max !== undefined ? ` ≤ ${fmt(spec.max)}` : '';
      return `${spec.type}${range}${spec.default !== undefined ? ` (default ${fmt(spec.default)})` : ''}`;
    }
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'string':
      return 'text';
  }
}

/** Outside text that goes into the audit log: cut short, no control characters. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  return text.slice(0, 80).replace(/[\u0000-\u001f\u007f]/g, '?');
}
