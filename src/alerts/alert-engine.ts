// The alert engine: evaluates the rules on each snapshot, steps every alert's state machine
// (also those that saw no observation this round) and persists state and transitions in one
// transaction. State lives in the database, read at every round, so a restarted memwarden
// carries on where it stopped: no repeated `firing`, no lost alert.
//
// When the database refuses a round (a full disk, a read-only file), the rounds go on from the
// state in memory, so alerts are still evaluated and no transition is announced twice; the next
// round the database takes stores everything since: the whole state and every transition.
import type { Snapshot } from '../model/snapshot.js';
import type { Database } from '../store/database.js';
import { StoreError } from '../store/store-error.js';
import {
  deleteSilence,
  insertSilence,
  listActiveSilences,
  loadAlertStates,
  saveAlertRound,
} from '../store/alert-state.js';
import { evaluateRules, isObservable } from './evaluate.js';
import { retireAlert, step, type StepResult } from './state-machine.js';
import { isSilenced } from './targets.js';
import type { AlertState, AlertTransition, HistoryReader, NewSilence, Silence } from '../model/alert.js';
import type { AlertRule } from '../model/alert-rule.js';

export interface AlertEngineOptions {
  db: Database;
  rules: readonly AlertRule[];
  /** Epoch milliseconds; a fake in tests. */
  clock: () => number;
  /** The database refused a round; it is kept in memory and stored with a later one. */
  onSaveRefused?: (err: StoreError) => void;
}

export interface AlertEngine {
  /** One round: the transitions it produced (already stored), in fingerprint order. */
  evaluate(snapshot: Snapshot, previous: Snapshot | null, history: HistoryReader): AlertTransition[];
  /** Throws RangeError for a silence without a rule or target, an empty author or reason, or an end in the past. */
  addSilence(silence: NewSilence): Silence;
  removeSilence(id: number): boolean;
  /** Silences in force at `now` (default: the clock). */
  listSilences(now?: number): Silence[];
  /** Pending and firing alerts. */
  activeAlerts(): AlertState[];
}

const MAX_TEXT = 500;

export function createAlertEngine(options: AlertEngineOptions): AlertEngine {
  const { db, clock } = options;
  const rules = options.rules.filter((rule) => rule.enabled);
  const rulesById = new Map(rules.map((rule) => [rule.id, rule]));
  /** Rounds the database refused: the state they left, what they removed and their transitions. */
  let unsaved: { states: Map<string, AlertState>; deleted: Set<string>; transitions: AlertTransition[] } | null = null;

  const currentStates = (): AlertState[] => (unsaved ? [...unsaved.states.values()].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)) : loadAlertStates(db));

  return {
    evaluate(snapshot, previous, history) {
      const now = clock();
      const observations = evaluateRules(rules, snapshot, previous, history, now);
      const states = new Map(currentStates().map((state) => [state.fingerprint, state]));
      const silences = listActiveSilences(db, now);
      const results = new Map<string, { before: AlertState | null; result: StepResult }>();

      for (const observation of observations) {
        const rule = rulesById.get(observation.ruleId);
        if (!rule) continue;
        const before = states.get(observation.fingerprint) ?? null;
        const silenced = isSilenced(silences, rule.id, observation.target, now);
        results.set(observation.fingerprint, { before, result: step(before, observation, rule, now, silenced) });
      }
      for (const state of states.values()) {
        if (results.has(state.fingerprint)) continue;
        const silenced = isSilenced(silences, state.ruleId, state.target, now);
        const rule = rulesById.get(state.ruleId);
        let result: StepResult;
        if (!rule) result = retireAlert(state, now, silenced);
        // Not seen because it could not be looked at (Docker down, process scan failed): hold.
        else if (!rule.event && !isObservable(rule, state.target, snapshot)) continue;
        else result = step(state, undefined, rule, now, silenced);
        results.set(state.fingerprint, { before: state, result });
      }

      const upserts: AlertState[] = [];
      const deletes: string[] = [];
      const transitions: AlertTransition[] = [];
      const after = new Map(states);
      for (const [fingerprint, { before, result }] of [...results.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        if (result.state === null) {
          if (before !== null) deletes.push(fingerprint);
          after.delete(fingerprint);
        } else {
          upserts.push(result.state);
          after.set(fingerprint, result.state);
        }
        transitions.push(...result.transitions);
      }
      // After refused rounds the database is behind by all of them: store the whole state.
      const deleted = new Set([...(unsaved?.deleted ?? []), ...deletes].filter((fingerprint) => !after.has(fingerprint)));
      const round = unsaved
        ? { upserts: [...after.values()], deletes: [...deleted], transitions: [...unsaved.transitions, ...transitions] }
        : { upserts, deletes, transitions };
      try {
        saveAlertRound(db, round);
        unsaved = null;
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        unsaved = { states: after, deleted, transitions: round.transitions };
        options.onSaveRefused?.(err);
      }
      return transitions;
    },

    addSilence(silence) {
      const now = clock();
      const ruleId = silence.ruleId ?? null;
      const target = silence.target ?? null;
      if (ruleId === null && target === null) throw new RangeError('a silence needs a rule id or a target (use target "*" for every target)');
      if (ruleId !== null && (ruleId.length === 0 || ruleId.length > 64)) throw new RangeError('a silence rule id must be 1 to 64 characters long');
      if (target !== null && (target.length === 0 || target.length > 200)) throw new RangeError('a silence target must be 1 to 200 characters long');
      if (!Number.isFinite(silence.until) || silence.until <= now) throw new RangeError('a silence must end in the future');
      if (silence.createdBy.trim() === '') throw new RangeError('a silence needs the name of who created it');
      if (silence.reason.trim() === '') throw new RangeError('a silence needs a reason');
      return insertSilence(
        db,
        { ruleId, target, until: silence.until, createdBy: silence.createdBy.slice(0, MAX_TEXT), reason: silence.reason.slice(0, MAX_TEXT) },
        now,
      );
    },

    removeSilence(id) {
      return deleteSilence(db, id);
    },

    listSilences(now = clock()) {
      return listActiveSilences(db, now);
    },

    activeAlerts() {
      return currentStates().filter((state) => state.status === 'pending' || state.status === 'firing');
    },
  };
}
