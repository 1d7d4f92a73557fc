// One state machine for every alert: inactive -> pending -> firing -> resolved, per fingerprint.
//
// - A value reaching a trigger (warning or critical) goes pending; pending becomes firing once
//   `for` has elapsed since it went pending and the value is at a trigger at that moment
//   (`for: 0` fires at once).
// - Hysteresis: pending and firing alerts only clear once the value is past the CLEAR level,
//   not merely back under the trigger, so a value wobbling inside the band never fires twice.
// - Severity escalates as soon as the value reaches critical and de-escalates only past its
//   own clear level (`clearCritical`), so it cannot flap inside that band either.
// - keepFiringFor keeps a firing alert firing that long after its condition cleared.
// - A target that is gone resolves its alert ("target gone"); event rules (OOM kills) instead
//   read a missing observation as "no new event" and resolve after keepFiringFor.
// - Value changes are reported as `updated` only when material (MATERIAL_CHANGE), which bounds
//   the chat.update calls of a pending or firing message.
// - Silences never change the state; they only mark the transitions `silenced`. A firing alert
//   whose firing was announced only under a silence is announced once the silence is over.
import { settingsFor } from '../config/alerts-schema.js';
import { levelOf, overrideNames, pastClear, thresholdOf } from './evaluate.js';
import { summarize } from './summary.js';
import type {
  AlertState,
  AlertStatus,
  AlertTransition,
  Observation,
  ResolveReason,
  TransitionEvent,
} from '../model/alert.js';
import type { AlertRule, RuleSettings, Severity, Thresholds } from '../model/alert-rule.js';

/** A value change is material when it moves by this share of the threshold (or of the value). */
export const MATERIAL_CHANGE = 0.05;

export interface StepResult {
  /** The state to keep; null when the alert is inactive (nothing to store). */
  state: AlertState | null;
  transitions: AlertTransition[];
}

export function isMaterialChange(previous: number, next: number, t: Thresholds): boolean {
  const scale = Math.max(Math.abs(t.warning ?? t.critical ?? 0), Math.abs(previous), Number.EPSILON);
  return Math.abs(next - previous) >= MATERIAL_CHANGE * scale;
}

/** Severity after this value, with hysteresis: up at once, down only past clearCritical. */
export function nextSeverity(current: Severity, value: number, t: Thresholds, eligible: boolean): Severity {
  if (t.warning === null) return 'critical';
  if (t.critical === null) return 'warning';
  if (current === 'critical') {
    return t.clearCritical !== null && pastClear(value, t.clearCritical, t) ? 'warning' : 'critical';
  }
  return eligible && levelOf(value, t) === 'critical' ? 'critical' : 'warning';
}

/**
 * Advances one alert by one round. `observation` is undefined when the rule observed nothing
 * for this target (the target is gone; for an event rule: nothing new happened). `silenced`
 * says whether a silence covers the alert now.
 */
export function step(
  state: AlertState | null,
  observation: Observation | undefined,
  rule: AlertRule,
  now: number,
  silenced: boolean,
): StepResult {
  if (!state && !observation) return { state: null, transitions: [] };
  if (rule.event) return stepEvent(state, observation, rule, now, silenced);
  if (!observation) return targetGone(state as AlertState, rule, now, silenced);

  const settings = observation.settings;
  const t = settings.thresholds;
  const value = observation.value;
  const status: AlertStatus = state?.status ?? 'inactive';
  const emitter = new Emitter(rule, settings, now, silenced);

  if (!state || status === 'resolved') {
    const level = observation.eligible ? levelOf(value, t) : null;
    if (level === null) return { state: null, transitions: [] };
    const fresh = newState(observation, level, now);
    if (settings.forMs === 0) {
      fresh.status = 'firing';
      fresh.firingSince = now;
      emitter.emit('firing', fresh, status);
    } else {
      emitter.emit('pending', fresh, status);
    }
    return emitter.result(fresh);
  }

  const next: AlertState = { ...state, target: observation.target, value, evidence: observation.evidence, updatedAt: now };

  if (state.status === 'pending') {
    if (pastClear(value, t.clear, t)) {
      emitter.emit('cancelled', next, 'pending', 'inactive', 'cleared');
      return emitter.result(null);
    }
    next.severity = nextSeverity(state.severity, value, t, observation.eligible);
    next.threshold = thresholdOf(next.severity, t);
    const atTrigger = observation.eligible && levelOf(value, t) !== null;
    if (now - state.startedAt >= settings.forMs && atTrigger) {
      next.status = 'firing';
      next.since = now;
      next.firingSince = now;
      emitter.emit('firing', next, 'pending');
    } else if (next.severity !== state.severity || isMaterialChange(state.reportedValue, value, t)) {
      emitter.emit('updated', next, 'pending');
    }
    return emitter.result(next);
  }

  // Firing.
  if (pastClear(value, t.clear, t)) {
    next.clearedAt = state.clearedAt ?? now;
    if (now - next.clearedAt >= settings.keepFiringForMs) {
      const resolved = resolvedState(next, now);
      emitter.emit('resolved', resolved, 'firing', 'resolved', 'cleared');
      return emitter.result(resolved);
    }
  } else {
    next.clearedAt = null;
    next.severity = nextSeverity(state.severity, value, t, observation.eligible);
    next.threshold = thresholdOf(next.severity, t);
  }
  if (!state.firingNotified && !silenced) {
    emitter.emit('firing', next, 'firing');
  } else if (next.severity !== state.severity) {
    emitter.emit('severity-changed', next, 'firing', 'firing', null, state.severity);
  } else if (isMaterialChange(state.reportedValue, value, t)) {
    emitter.emit('updated', next, 'firing');
  }
  return emitter.result(next);
}

/** Resolves (or cancels) the alert of a rule that no longer exists or is disabled. */
export function retireAlert(state: AlertState, now: number, silenced: boolean, settings?: RuleSettings): StepResult {
  if (state.status === 'resolved') return { state: null, transitions: [] };
  const fallback: RuleSettings = settings ?? {
    thresholds: { direction: 'above', warning: state.threshold, critical: null, clear: state.threshold, clearCritical: null },
    forMs: 0,
    keepFiringForMs: 0,
  };
  const emitter = new Emitter({ id: state.ruleId, kind: state.kind }, fallback, now, silenced);
  if (state.status === 'pending') {
    emitter.emit('cancelled', state, 'pending', 'inactive', 'rule-removed');
    return emitter.result(null);
  }
  const resolved = resolvedState(state, now);
  emitter.emit('resolved', resolved, 'firing', 'resolved', 'rule-removed');
  return emitter.result(resolved);
}

function targetGone(state: AlertState, rule: AlertRule, now: number, silenced: boolean): StepResult {
  if (state.status === 'resolved') return { state: null, transitions: [] };
  const settings = settingsFor(rule, overrideNames(state.target));
  const emitter = new Emitter(rule, settings, now, silenced);
  if (state.status === 'pending') {
    emitter.emit('cancelled', state, 'pending', 'inactive', 'target-gone');
    return emitter.result(null);
  }
  const resolved = resolvedState(state, now);
  emitter.emit('resolved', resolved, 'firing', 'resolved', 'target-gone');
  return emitter.result(resolved);
}

/**
 * Event rules (oom-kill): the observation's value is the number of new events this round. An
 * event fires at once (critical); more events while firing are `updated` and add to the value;
 * the alert resolves keepFiringFor after the last event.
 */
function stepEvent(state: AlertState | null, observation: Observation | undefined, rule: AlertRule, now: number, silenced: boolean): StepResult {
  const settings = observation?.settings ?? settingsFor(rule, overrideNames((state as AlertState).target));
  const emitter = new Emitter(rule, settings, now, silenced);
  const events = observation && observation.eligible ? Math.max(0, observation.value) : 0;
  if (!state || state.status === 'resolved') {
    if (events === 0 || !observation) return { state: null, transitions: [] };
    const fresh = newState(observation, 'critical', now);
    fresh.evidence = { ...observation.evidence, totalKills: events };
    fresh.status = 'firing';
    fresh.severity = 'critical';
    fresh.firingSince = now;
    fresh.clearedAt = now;
    emitter.emit('firing', fresh, state?.status ?? 'inactive');
    return emitter.result(fresh);
  }
  const next: AlertState = { ...state, updatedAt: now, status: 'firing' };
  if (events > 0 && observation) {
    next.value = state.value + events;
    next.clearedAt = now;
    next.target = observation.target;
    next.evidence = { ...observation.evidence, totalKills: next.value };
    emitter.emit(state.firingNotified || silenced ? 'updated' : 'firing', next, 'firing');
    return emitter.result(next);
  }
  const quietSince = state.clearedAt ?? state.since;
  if (now - quietSince >= settings.keepFiringForMs) {
    const resolved = resolvedState(next, now);
    emitter.emit('resolved', resolved, 'firing', 'resolved', 'cleared');
    return emitter.result(resolved);
  }
  if (!state.firingNotified && !silenced) emitter.emit('firing', next, 'firing');
  return emitter.result(next);
}

function newState(observation: Observation, severity: Severity, now: number): AlertState {
  return {
    fingerprint: observation.fingerprint,
    ruleId: observation.ruleId,
    kind: observation.kind,
    target: observation.target,
    status: 'pending',
    severity,
    value: observation.value,
    threshold: thresholdOf(severity, observation.settings.thresholds),
    unit: observation.unit,
    since: now,
    startedAt: now,
    firingSince: null,
    clearedAt: null,
    reportedValue: observation.value,
    lastNotifiedAt: null,
    firingNotified: false,
    evidence: observation.evidence,
    updatedAt: now,
  };
}

function resolvedState(state: AlertState, now: number): AlertState {
  return { ...state, status: 'resolved', since: now, clearedAt: null, updatedAt: now };
}

/** Builds transitions and keeps the bookkeeping fields of the state in step with them. */
class Emitter {
  private readonly transitions: AlertTransition[] = [];
  private notified = false;
  private firingAnnounced = false;
  private reported: number | null = null;

  constructor(
    private readonly rule: Pick<AlertRule, 'id' | 'kind'>,
    private readonly settings: RuleSettings,
    private readonly now: number,
    private readonly silenced: boolean,
  ) {}

  emit(
    event: TransitionEvent,
    state: AlertState,
    from: AlertStatus,
    to: AlertStatus = state.status,
    reason: ResolveReason | null = null,
    previousSeverity: Severity | null = null,
  ): void {
    const transition: AlertTransition = {
      event,
      fingerprint: state.fingerprint,
      ruleId: this.rule.id,
      kind: this.rule.kind,
      target: state.target,
      from,
      to,
      severity: state.severity,
      previousSeverity,
      value: state.value,
      threshold: state.threshold,
      unit: state.unit,
      startedAt: state.startedAt,
      at: this.now,
      silenced: this.silenced,
      reason,
      summary: summarize({
        event,
        kind: this.rule.kind,
        target: state.target,
        value: state.value,
        threshold: state.threshold,
        unit: state.unit,
        severity: state.severity,
        settings: this.settings,
        evidence: state.evidence,
        reason,
        ruleId: this.rule.id,
      }),
      evidence: state.evidence,
    };
    this.transitions.push(transition);
    this.reported = state.value;
    if (!this.silenced) {
      this.notified = true;
      if (event === 'firing') this.firingAnnounced = true;
    }
  }

  result(state: AlertState | null): StepResult {
    if (state) {
      if (this.reported !== null) state.reportedValue = this.reported;
      if (this.notified) state.lastNotifiedAt = this.now;
      if (this.firingAnnounced) state.firingNotified = true;
    }
    return { state, transitions: this.transitions };
  }
}
