// /healthz's verdict from the facts run-bot has: each check fails on its own, with the reason.
import { describe, expect, it } from 'vitest';
import { defaultStaleAfterMs, evaluateHealth, type HealthInputs } from '../../../src/ops/health.js';

const T0 = Date.parse('2026-11-28T09:00:00Z');
const healthy: HealthInputs = {
  now: T0 + 60_000,
  startedAt: T0,
  lastPollAt: T0 + 55_000,
  staleAfterMs: 50_000,
  docker: { reachable: true, error: null },
  slack: { mode: 'socket', connected: true, detail: 'Socket Mode connected' },
  store: { writable: true },
  stopping: false,
};

describe('evaluateHealth', () => {
  it('is 200 "ok" when the last poll is recent, Docker answered and Slack is connected', () => {
    const report = evaluateHealth(healthy);
    expect(report.httpStatus).toBe(200);
    expect(report.status).toBe('ok');
    expect(report.checks.poll).toEqual({ ok: true, detail: 'last poll 5.0 s ago', lastPollAt: '2026-11-28T09:00:55.000Z', ageSeconds: 5 });
  });

  it('fails when Docker did not answer the last poll, naming the reason', () => {
    const report = evaluateHealth({ ...healthy, docker: { reachable: false, error: 'connect ENOENT /var/run/docker.sock' } });
    expect(report.httpStatus).toBe(503);
    expect(report.status).toBe('unhealthy');
    expect(report.checks.docker).toEqual({ ok: false, detail: 'unreachable: connect ENOENT /var/run/docker.sock' });
    expect(report.checks.poll.ok).toBe(true);
  });

  it('fails at once when the database refuses writes, with SQLite\'s reason, and passes again when it takes them', () => {
    const full = evaluateHealth({ ...healthy, store: { writable: false, reason: 'SQLITE_FULL: database or disk is full', since: healthy.now - 2_000 } });
    expect([full.status, full.httpStatus]).toEqual(['unhealthy', 503]);
    expect(full.checks.store).toEqual({ ok: false, detail: 'cannot write the database: SQLITE_FULL: database or disk is full (for 2.0 s); alerts are held in memory until it can' });
    // Polling goes on: only the store check fails.
    expect([full.checks.poll.ok, full.checks.docker.ok, full.checks.slack.ok]).toEqual([true, true, true]);
    expect(evaluateHealth(healthy).checks.store).toEqual({ ok: true, detail: 'writable' });
  });

  it('fails when polling is stuck (last poll older than staleAfter), at the boundary exactly', () => {
    expect(evaluateHealth({ ...healthy, lastPollAt: healthy.now - 50_000 }).httpStatus).toBe(200);
    const stale = evaluateHealth({ ...healthy, lastPollAt: healthy.now - 50_001 });
    expect(stale.httpStatus).toBe(503);
    expect(stale.checks.poll.detail).toBe('last poll 50 s ago, more than 50 s: polling is stuck');
  });

  it('fails while Socket Mode is reconnecting; console mode has nothing to connect and passes', () => {
    const down = evaluateHealth({ ...healthy, slack: { mode: 'socket', connected: false, detail: 'Socket Mode reconnecting' } });
    expect(down.httpStatus).toBe(503);
    expect(down.checks.slack).toEqual({ ok: false, mode: 'socket', detail: 'Socket Mode reconnecting' });
    const consoleMode = evaluateHealth({ ...healthy, slack: { mode: 'console' } });
    expect(consoleMode.httpStatus).toBe(200);
    expect(consoleMode.checks.slack.mode).toBe('console');
  });

  it('is "starting" (503) before the first poll and "stopping" (503) during shutdown', () => {
    const starting = evaluateHealth({ ...healthy, lastPollAt: null, docker: null });
    expect([starting.status, starting.httpStatus]).toEqual(['starting', 503]);
    expect(starting.checks.poll.detail).toBe('no poll has finished yet (started 60 s ago)');
    const stopping = evaluateHealth({ ...healthy, stopping: true });
    expect([stopping.status, stopping.httpStatus]).toEqual(['stopping', 503]);
  });

  it('defaults staleness to three poll intervals plus one source timeout', () => {
    expect(defaultStaleAfterMs(15_000, 5_000)).toBe(50_000);
  });
});
