// What GET /healthz answers: pure, from facts run-bot already has (the last snapshot, the
// poller, the Slack connection, whether the database takes writes), so the endpoint itself never
// touches Docker, Slack or the database.
import type { StoreWriteState } from '../model/store-state.js';

export type SlackLink =
  | { mode: 'console' }
  | { mode: 'socket' | 'http'; connected: boolean; detail: string | null };

export interface HealthInputs {
  now: number;
  startedAt: number;
  /** Epoch ms of the last poll that finished, or null before the first one. */
  lastPollAt: number | null;
  staleAfterMs: number;
  /** From the last snapshot: null before the first one. */
  docker: { reachable: boolean; error?: string | null | undefined } | null;
  slack: SlackLink;
  /** From the last writes: a refused one fails the check at once. */
  store: StoreWriteState;
  stopping: boolean;
}

export interface HealthCheck {
  ok: boolean;
  detail: string;
}

export interface HealthReport {
  status: 'ok' | 'starting' | 'unhealthy' | 'stopping';
  /** 200 only when every check passes. */
  httpStatus: 200 | 503;
  checks: {
    poll: HealthCheck & { lastPollAt: string | null; ageSeconds: number | null };
    docker: HealthCheck;
    slack: HealthCheck & { mode: SlackLink['mode'] };
    store: HealthCheck;
  };
}

export function evaluateHealth(input: HealthInputs): HealthReport {
  const age = input.lastPollAt === null ? null : Math.max(0, input.now - input.lastPollAt);
  const poll = {
    ok: age !== null && age <= input.staleAfterMs,
    detail:
      age === null
        ? `no poll has finished yet (started ${seconds(input.now - input.startedAt)} ago)`
        : age <= input.staleAfterMs
          ? `last poll ${seconds(age)} ago`
          : `last poll ${seconds(age)} ago, more than ${seconds(input.staleAfterMs)}: polling is stuck`,
    lastPollAt: input.lastPollAt === null ? null : new Date(input.lastPollAt).toISOString(),
    ageSeconds: age === null ? null : Math.round(age / 100) / 10,
  };
  const docker: HealthCheck =
    input.docker === null
      ? { ok: false, detail: 'not polled yet' }
      : input.docker.reachable
        ? { ok: true, detail: 'reachable' }
        : { ok: false, detail: `unreachable: ${input.docker.error ?? 'no answer'}` };
  const slack =
    input.slack.mode === 'console'
      ? { ok: true, mode: input.slack.mode, detail: 'console mode (no SLACK_BOT_TOKEN): nothing to connect to' }
      : { ok: input.slack.connected, mode: input.slack.mode, detail: input.slack.detail ?? (input.slack.connected ? 'connected' : 'not connected') };

  const store: HealthCheck = input.store.writable
    ? { ok: true, detail: 'writable' }
    : { ok: false, detail: `cannot write the database: ${input.store.reason} (for ${seconds(Math.max(0, input.now - input.store.since))}); alerts are held in memory until it can` };

  const allOk = poll.ok && docker.ok && slack.ok && store.ok;
  const status: HealthReport['status'] = input.stopping ? 'stopping' : allOk ? 'ok' : input.lastPollAt === null ? 'starting' : 'unhealthy';
  return { status, httpStatus: allOk && !input.stopping ? 200 : 503, checks: { poll, docker, slack, store } };
}

/** The default staleness: three missed polls plus one slow source is clearly stuck. */
export function defaultStaleAfterMs(pollIntervalMs: number, sourceTimeoutMs: number): number {
  return 3 * pollIntervalMs + sourceTimeoutMs;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
