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
// a crash or a Slack outage; a result whose announcement a crash cut off is told at the next
// start from what the store has. Due verifications are SQLite rows (store/remediation-flow.ts), so a
// restart neither loses nor repeats one. Every refusal is audited and returns a message for the
// person who asked or clicked; it changes nothing.
//
// This file is the composition root and the facade: it owns the state the parts share (the stop
// flag, the work stop() waits for) and hands each part
// only what it uses, so a part can be read without the rest: submit-request.ts (asking),
// execute-approved.ts (running and announcing), scheduled-verifications.ts (the follow-up),
// recommendation-buttons.ts, thread-messages.ts (where messages go), message-views.ts (what
// they say) and measure-target.ts.
import type Dockerode from 'dockerode';
import { within } from '../async/timeouts.js';
import { printable } from '../format/text.js';
import type { Snapshot } from '../model/snapshot.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { DeliveryOp } from '../delivery/outbox-dispatcher.js';
import type { Notice } from '../model/notice.js';
import type { AlertViewModel } from '../alerts/alert-view.js';
import { type ApprovalView, approvalMessageKey } from './remediation-views.js';
import type { Database } from '../store/database.js';
import { getAlertMessage } from '../store/outbox.js';
import { getRequest, listAudit } from '../store/remediation.js';
import type { AuditEntry } from '../model/remediation.js';
import { getFollowup, getRecommendation, nextVerificationAt, releaseRunningVerifications, unannouncedResults } from '../store/remediation-flow.js';
import { createApprovalService, EXECUTOR_GRACE_MS, type Inspection } from './approval-service.js';
import { createApprovedExecution } from './execute-approved.js';
import { decisionAnswerNotice, switchChangedNotice } from './remediation-notices.js';
import { describeDockerError } from './executors/docker-errors.js';
import { inspectTarget, type LiveTarget, TargetNotFoundError } from './executors/index.js';
import { answer, refused, runbookSummary } from './message-views.js';
import type { RefusalCode, RemediationSwitches } from './policy.js';
import type { Decision } from '../model/remediation.js';
import { recommendationButtonIds } from './recommendation-buttons.js';
import type { Runbook, RunbookKind } from './runbook-schema.js';
import { matchesTarget } from './runbook-target.js';
import { createScheduledVerifications } from './scheduled-verifications.js';
import { submitRequest } from './submit-request.js';
import { createThreadMessages } from './thread-messages.js';

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
  enqueue: (op: DeliveryOp) => void;
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
  notice: Notice;
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
  /** A Slack user group's members changed: forget the cached memberships of these users (or everyone's). */
  forgetGroups(userIds?: readonly string[]): void;
  /**
   * Refuses new work, cancels timers, lets a running remediation finish: bounded by its timeout
   * and by `maxWaitMs` (the shutdown grace). When the bound is reached the execution is aborted,
   * so nothing of it starts afterwards, and it records what it may have done; one that cannot
   * record in time stays "executing" and is reported as interrupted at the next start.
   */
  stop(maxWaitMs?: number): Promise<void>;
}

/** What stop() keeps of its bound for aborted executions to store how they ended. */
const STOP_RECORD_MS = 1_000;

export function createRemediation(deps: RemediationDeps): Remediation {
  const { db, docker, config, clock, logger } = deps;
  const byId = new Map(deps.runbooks.map((rb) => [rb.id, rb]));
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;
  // The parts read the flag through this, so they see stop() from the moment it begins.
  const isStopping = (): boolean => stopping;

  const threads = createThreadMessages(deps);
  const verifications = createScheduledVerifications({ deps, byId, threads, track, isStopping });
  const execution = createApprovedExecution({ deps, byId, threads, arm: verifications.arm });
  const service = createApprovalService<Runbook, LiveTarget>({
    db,
    clock,
    runbook: (id) => byId.get(id),
    inspect: async (request, signal): Promise<Inspection<LiveTarget>> => {
      try {
        return { ok: true, live: await inspectTarget(docker, request.target.containerId, { signal, cgroupRoot: deps.cgroupRoot }) };
      } catch (err) {
        if (signal.aborted) throw err;
        if (err instanceof TargetNotFoundError) return { ok: false, code: 'target-not-found', reason: `${request.target.name} does not exist any more: nothing was run.` };
        logger.info({ err, requestId: request.id }, 'The target of a remediation request could not be inspected');
        return { ok: false, code: 'target-unreadable', reason: `Docker could not tell memwarden about ${request.target.name} just now (${describeDockerError(err)}): nothing was run.` };
      }
    },
    targetAllowed: (runbook, live) => matchesTarget(runbook.target, live.container),
    groupsOf: deps.groupsOf,
    // Tracked apart from the click that started it: stop() waits for the execution itself.
    execute: (request, runbook, run) => track(execution.execute(request, runbook, run)),
    logger,
    dryRunOnly: config.remediation.dryRunOnly,
    configEnabled: config.remediation.enabled,
    requestTtlMs: config.remediation.requestTtl,
    requestLimits: {
      perUser: config.remediation.requestLimits.perUser,
      perRunbook: config.remediation.requestLimits.perRunbook,
      windowMs: config.remediation.requestLimits.window,
    },
  });
  const intake = { deps, byId, service, threads, isStopping };

  function track<T>(promise: Promise<T>): Promise<T> {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  return {
    recover() {
      service.recover();
      // Results a crash (or the recovery just now) left untold: told once, from what the store has.
      for (const requestId of unannouncedResults(db)) execution.announceResult(requestId);
      const released = releaseRunningVerifications(db, clock());
      if (released > 0) logger.warn({ released }, 'Verifications interrupted by a restart will run again');
      const next = nextVerificationAt(db);
      if (next !== null) verifications.arm(next);
    },

    async tick(now) {
      if (stopping) return;
      try {
        // Old fix buttons (recommendations) are pruned with the rest of the store (history.remediations).
        for (const request of service.expire()) threads.refreshApproval(request.id);
      } catch (err) {
        logger.error({ err }, 'Remediation housekeeping failed');
      }
      await track(verifications.runDue(now));
    },

    request(input) {
      return track(
        submitRequest(intake, {
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
              detail: `recommendation id ${JSON.stringify(printable(input.recommendationId, { max: 80 }))}`,
            }),
          ),
        );
      }
      return track(
        submitRequest(intake, {
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
      return recommendationButtonIds({ deps, byId }, vm);
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
                  detail: `clicked on message ${printable(input.messageTs, { max: 80 })}, the request's is ${posted.parentTs}`,
                }),
              );
            }
          }
          const outcome = await service.decide(input.requestId, input.user, input.decision);
          if (!outcome.ok) return refused(outcome);
          const view = (getFollowup(db, outcome.request.id)?.view ?? null) as ApprovalView | null;
          const what = `${outcome.request.runbookId} on ${outcome.request.target.name}`;
          switch (outcome.state) {
            case 'waiting':
              threads.refreshApproval(outcome.request.id);
              return answer(true, decisionAnswerNotice(view, what, { kind: 'waiting', approvals: outcome.approvals, required: outcome.required }), outcome.request.id);
            case 'rejected':
              threads.refreshApproval(outcome.request.id);
              return answer(true, decisionAnswerNotice(view, what, { kind: 'rejected' }), outcome.request.id);
            case 'executed': {
              const result = execution.announceResult(outcome.request.id);
              return answer(true, decisionAnswerNotice(view, what, { kind: 'executed', outcome: outcome.outcome, summary: result?.summary ?? outcome.report.summary ?? outcome.outcome }), outcome.request.id);
            }
          }
        })(),
      );
    },

    runbooks() {
      return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)).map((rb) => runbookSummary(rb));
    },

    switches: () => service.switches(),

    audit(n) {
      return listAudit(db, { limit: n });
    },

    setSwitch(on, user) {
      if (!config.slack.admins.includes(user)) {
        return refused(service.refuse('not-admin', `Only memwarden's admins (slack.admins in its configuration) may switch remediation ${on ? 'on' : 'off'}.`, user, null));
      }
      const changed = service.setSwitch(on, user);
      return changed.ok ? answer(true, switchChangedNotice(on), null) : refused(changed);
    },

    forgetGroups(userIds) {
      service.forgetGroups(userIds);
    },

    async stop(maxWaitMs) {
      stopping = true;
      verifications.cancelTimers();
      // Every execution ends by its deadline plus the grace: wait that long at most, and never past
      // the shutdown's own bound, less a moment for the cut-short ones to record how they ended.
      const longest = Math.max(0, ...[...byId.values()].map((rb) => rb.timeoutMs));
      const bound = Math.min(longest + EXECUTOR_GRACE_MS, maxWaitMs === undefined ? Infinity : Math.max(0, maxWaitMs - STOP_RECORD_MS));
      if ((await within(Promise.allSettled([...inFlight]), bound)) !== 'timeout') return;
      // Nothing may start once memwarden is gone: abort what still runs; each records what it sent.
      const aborted = service.abortRunning();
      const recorded = await within(Promise.allSettled([...inFlight]), STOP_RECORD_MS);
      logger.warn({ running: inFlight.size, aborted, waitedMs: bound, recorded: recorded !== 'timeout' }, 'Stopped without waiting longer for a running remediation');
    },
  };
}
