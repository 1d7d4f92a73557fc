// Turns what someone asked for (typed, or a fix button's stored recommendation) into a stored
// request with its approval message. The runbook, the parameters and the live target are checked
// here, before the approval service applies the policy, so a refusal can say exactly what is wrong
// (which containers the runbook may touch, why the plan will not run) and an approver only ever
// sees a request whose dry run is what would really be executed.
import { approvalRequestNotice, requestAcceptedNotice } from './remediation-notices.js';
import { type ApprovalView, approvalMessageKey } from './remediation-views.js';
import { insertAlertMessage } from '../store/outbox.js';
import type { RemediationTarget } from '../model/remediation.js';
import { insertFollowup } from '../store/remediation-flow.js';
import type { ApprovalService } from './approval-service.js';
import { describeDockerError } from './executors/docker-errors.js';
import { type ExecutionPlan, inspectTarget, planExecution, TargetNotFoundError } from './executors/index.js';
import { answer, approvalView, refused } from './message-views.js';
import type { RefusalCode } from './policy.js';
import type { RemediationAnswer, RemediationDeps } from './remediation.js';
import { checkParamValues, type ParamValues, type ValidateParamsResult, validateParams } from './runbook-params.js';
import type { Runbook } from './runbook-schema.js';
import { describeTarget, matchesTarget } from './runbook-target.js';
import type { ThreadMessages } from './thread-messages.js';

type ParamsInput = { kind: 'typed'; values: Readonly<Record<string, unknown>> } | { kind: 'raw'; values: Readonly<Record<string, string>> };

export interface SubmitInput {
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

export interface SubmitContext {
  deps: Pick<RemediationDeps, 'db' | 'docker' | 'config' | 'clock' | 'logger' | 'cgroupRoot' | 'takeSnapshot'>;
  byId: ReadonlyMap<string, Runbook>;
  service: ApprovalService;
  threads: ThreadMessages;
  /** True once stop() began: new requests are refused. */
  isStopping: () => boolean;
}

export async function submitRequest(ctx: SubmitContext, input: SubmitInput): Promise<RemediationAnswer> {
  const { deps, byId, service, threads } = ctx;
  const { db, docker, config, clock, logger } = deps;
  const { user } = input;
  const runbook = byId.get(input.runbookId);
  if (ctx.isStopping()) {
    return refused(service.refuse('shutting-down', 'memwarden is shutting down: request it again in a minute.', user, null, { runbookId: input.runbookId }));
  }
  let problem: { code: RefusalCode; reason: string } | null = null;
  let params: ParamValues = {};
  let target: RemediationTarget = { containerId: '', name: input.targetName };
  let targetAllowed: boolean | null = null;
  let plan: ExecutionPlan | null = null;
  if (runbook) {
    const validated: ValidateParamsResult = input.params.kind === 'raw' ? validateParams(runbook, input.params.values) : checkParamValues(runbook, input.params.values as ParamValues);
    if (validated.ok) params = validated.params;
    else problem = { code: 'invalid-params', reason: `The parameters do not fit runbook "${runbook.id}": ${validated.problems.join('; ')}.` };
    try {
      const live = await inspectTarget(docker, input.targetRef, { cgroupRoot: deps.cgroupRoot });
      target = { containerId: live.container.id, name: live.container.name };
      targetAllowed = matchesTarget(runbook.target, live.container);
      if (problem === null) {
        plan = planExecution(runbook, live.container, params, live.state);
        problem = planProblem(runbook, plan);
      }
    } catch (err) {
      if (err instanceof TargetNotFoundError) problem ??= { code: 'target-not-found', reason: await unknownTarget(deps, runbook, input.targetName) };
      else {
        logger.warn({ err, target: input.targetName }, 'Remediation target could not be inspected');
        problem ??= { code: 'target-not-found', reason: `Docker could not tell memwarden about ${input.targetName}: ${describeDockerError(err)}.` };
      }
    }
  }
  const outcome = service.request({
    runbookId: input.runbookId,
    target,
    targetAllowed,
    params: runbook ? params : { ...input.params.values },
    requestedBy: user,
    origin: input.origin,
    check: () => problem,
  });
  if (!outcome.ok) return refused(outcome);
  if (!runbook || !plan) throw new Error('a request was stored without a runbook and a plan');
  const request = outcome.request;
  const view = approvalView(request, runbook, plan, params, input.expected, config.remediation.verifyAfterDefault);
  const now = clock();
  // One transaction: the follow-up, the approval message's row and its post exist together or not at all.
  db.transaction(() => {
    insertFollowup(db, { requestId: request.id, channel: input.channel, view, alertMessageKey: input.alert?.messageKey ?? null, alertFingerprint: input.alert?.fingerprint ?? null }, now);
    insertAlertMessage(db, { messageKey: approvalMessageKey(request.id), fingerprint: approvalMessageKey(request.id), startedAt: request.requestedAt, channel: input.channel }, now);
    threads.toThread(request.id, input.channel, 'post', approvalRequestNotice(view, threads.stateOf(request)));
  }).immediate();
  return answer(true, requestAcceptedNotice(view, input.channel), request.id);
}

function planProblem(runbook: Runbook, plan: ExecutionPlan): { code: RefusalCode; reason: string } | null {
  if (plan.refusal !== null) {
    return { code: 'plan-refused', reason: `Runbook "${runbook.id}" cannot run on ${plan.target.name} now: ${plan.refusal.replace(/^refused: /, '')}.` };
  }
  if (plan.action === null) return { code: 'plan-refused', reason: `There is nothing to do: ${plan.summary.replace(/^nothing to do: /, '')}.` };
  return null;
}

/** Names the containers the runbook may touch, so a typo is fixed without reading the runbook. */
async function unknownTarget(deps: Pick<RemediationDeps, 'logger' | 'takeSnapshot'>, runbook: Runbook, asked: string): Promise<string> {
  let allowed: string[] | null = null;
  try {
    const snapshot = await deps.takeSnapshot();
    allowed = snapshot.containers.filter((c) => matchesTarget(runbook.target, c)).map((c) => c.name).sort((a, b) => a.localeCompare(b));
  } catch (err) {
    deps.logger.debug({ err }, 'No snapshot to list the containers a runbook may touch');
  }
  const base = `There is no container named "${asked}".`;
  if (allowed === null) return base;
  if (allowed.length === 0) return `${base} No running container is on runbook "${runbook.id}"'s allowlist (${describeTarget(runbook.target)}).`;
  const shown = allowed.slice(0, 10).join(', ');
  return `${base} Runbook "${runbook.id}" may run on: ${shown}${allowed.length > 10 ? ` and ${allowed.length - 10} more` : ''}.`;
}
