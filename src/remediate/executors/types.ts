// Plain data between the approval flow and the executors: what a runbook would do to which
// container (ExecutionPlan, shown in the dry run and approved), and what it did (ExecutionResult,
// written to the audit). Only the executors themselves hold a Docker client.
import type Dockerode from 'dockerode';
import type { ParamValues } from '../runbook-params.js';
import type { Runbook, RunbookKind } from '../runbook-schema.js';

export interface TargetContainer {
  /** Full container id. */
  id: string;
  /** Without the leading "/". */
  name: string;
  labels: Record<string, string>;
}

/** A Celery worker (prefork master) found in the container's process list. */
export interface CeleryWorkerState {
  /** Host pid of the master (as `docker top` lists it). */
  masterPid: number;
  /** The master's command line, as ps prints it. */
  cmdline: string;
  /** -A from the command line; null when it names none. */
  app: string | null;
  /** The node name (-n, %h expanded; celery@<hostname> when not given); null when unknown. */
  nodeName: string | null;
  /** --concurrency on the command line; null when not given (Celery then uses the CPU count). */
  configuredConcurrency: number | null;
  /** --autoscale=MAX,MIN on the command line, else null. */
  autoscale: { max: number; min: number } | null;
  /** The LIVE pool size: the master's children now (inspect stats' max-concurrency never changes). */
  poolSize: number;
  /** Host pids of those children, ascending. */
  childPids: number[];
}

/** What the planner needs to know about the target now (inspectTarget reads it live). */
export interface TargetState {
  running: boolean;
  startedAt: string | null;
  /** Config.Hostname: Celery's %h. */
  hostname: string | null;
  /** docker stats' MEM USAGE (usage minus inactive file cache); null when unmeasured. */
  memoryUsageBytes: number | null;
  /** HostConfig.Memory: 0 = no limit. */
  memoryLimit: number;
  /** HostConfig.MemorySwap: -1 = unlimited swap, 0 = not set, else memory + swap. */
  memorySwap: number;
  celeryWorkers: CeleryWorkerState[];
}

/** A container as inspectTarget read it: who it is and what runs in it now. */
export interface LiveTarget {
  container: TargetContainer;
  state: TargetState;
}

/** Exactly what would run: the argv of an exec (never a shell), or one Engine API call with its body. */
export type PlannedAction =
  | { type: 'exec'; containerId: string; argv: string[] }
  | { type: 'api'; method: 'POST'; path: string; query: Record<string, string>; body: Record<string, number> | null };

/** Measured figures before or after an action (only the ones that kind looks at). */
export interface Observation {
  running?: boolean;
  startedAt?: string | null;
  poolSize?: number;
  childPids?: number[];
  memoryUsageBytes?: number | null;
  memoryLimit?: number;
  memorySwap?: number;
}

export interface ExecutionPlan {
  runbook: Runbook;
  target: TargetContainer;
  params: ParamValues;
  /** null when there is nothing to do, or the plan is refused. */
  action: PlannedAction | null;
  /** Why this must not run (outside the allowlist, below usage, disabled…); null when it may. */
  refusal: string | null;
  /** One line for the dry run and the approval message. */
  summary: string;
  before: Observation;
  /** The runbook's timeout, in ms. */
  timeoutMs: number;
  notes: string[];
  /** The Celery worker addressed (celery kinds). */
  celery: { app: string; node: string; masterPid: number } | null;
}

export type ExecutionStatus = 'applied' | 'partial' | 'failed' | 'refused' | 'timed-out' | 'nothing-to-do';

export interface ExecutionResult {
  /** True only when the action did what it was asked (status applied or nothing-to-do). */
  ok: boolean;
  status: ExecutionStatus;
  summary: string;
  /** What the command printed (stdout, then stderr), at most MAX_OUTPUT_CHARS. */
  output: string;
  before?: Observation;
  after?: Observation;
  notes: string[];
  /** What actually ran (the live state may have changed the plan's numbers), or null. */
  action: PlannedAction | null;
  durationMs: number;
}

export interface ExecutorDeps {
  docker: Dockerode;
  /** Where the container cgroups are (usage is read there; the stats API is the fallback). */
  cgroupRoot?: string;
  /** Epoch ms. */
  clock?: () => number;
  /** Between two looks at the pool while waiting for it to settle. */
  pollIntervalMs?: number;
}

/** Handed to an executor while it runs: the deadline is the runbook's timeout. */
export interface ExecContext {
  docker: Dockerode;
  cgroupRoot: string;
  signal: AbortSignal;
  /** Epoch ms by which everything must be done. */
  deadline: number;
  now: () => number;
  /** Sleeps, or rejects when the deadline passes. */
  sleep: (ms: number) => Promise<void>;
  pollIntervalMs: number;
}

export interface PlanInput {
  runbook: Runbook;
  container: TargetContainer;
  params: ParamValues;
  state: TargetState;
}

/** The kind-specific part of a plan; planExecution adds the common checks. */
export interface PlanDraft {
  action: PlannedAction | null;
  refusal: string | null;
  summary: string;
  before: Observation;
  notes: string[];
  celery: ExecutionPlan['celery'];
}

export interface Executor {
  kind: RunbookKind;
  plan(input: PlanInput): PlanDraft;
  /** Runs plan.action (never null here). Throws only on Docker errors it cannot interpret. */
  execute(plan: ExecutionPlan, ctx: ExecContext): Promise<ExecutionResult>;
}

/** The bound on ExecutionResult.output. */
export const MAX_OUTPUT_CHARS = 4000;
