// The digest schedule under vitest's fake timers (Date and setTimeout; node-schedule and its cron
// parser read both), so the hours pass without waiting: DST days in Europe/Berlin, one digest a
// day per channel across restarts, a missed digest caught up or skipped, stop().
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatClock } from '../../../src/digest/format-digest.js';
import { type DigestSchedule, type DigestScheduleOptions, startDigestSchedule } from '../../../src/digest/schedule.js';
import { closeDatabase, type Database, openDatabase } from '../../../src/store/database.js';
import { getDigestMarker } from '../../../src/store/digest.js';
import { captureLog } from '../slack/delivery/helpers.js';
import { makeTempDir } from '../store/make-snapshot.js';

const TZ = 'Europe/Berlin';
const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('digest schedule', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Database;
  let schedules: DigestSchedule[];
  let log: ReturnType<typeof captureLog>;
  let sent: { day: string; at: number }[];

  beforeEach(() => {
    temp = makeTempDir();
    db = openDatabase(join(temp.dir, 'memwarden.db'));
    schedules = [];
    log = captureLog();
    sent = [];
  });
  afterEach(async () => {
    for (const s of schedules) await s.stop();
    vi.useRealTimers();
    closeDatabase(db);
    temp.remove();
  });

  function at(iso: string): void {
    vi.useFakeTimers({ now: Date.parse(iso), toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  }

  function start(overrides: Partial<DigestScheduleOptions> = {}): DigestSchedule {
    const schedule = startDigestSchedule({
      db,
      rule: '0 9 * * *',
      tz: TZ,
      channel: 'C0MEMWARD',
      catchUpWithinMs: 6 * HOUR,
      clock: Date.now,
      send: (day) => {
        sent.push({ day, at: Date.now() });
        return Promise.resolve();
      },
      logger: log.logger,
      ...overrides,
    });
    schedules.push(schedule);
    return schedule;
  }

  /** A restart: the old schedule stops, the database is closed and opened again. */
  async function restart(iso: string, overrides: Partial<DigestScheduleOptions> = {}): Promise<DigestSchedule> {
    for (const s of schedules.splice(0)) await s.stop();
    closeDatabase(db);
    vi.setSystemTime(Date.parse(iso));
    db = openDatabase(join(temp.dir, 'memwarden.db'));
    const schedule = start(overrides);
    await schedule.started;
    return schedule;
  }

  it('on the spring-forward day a 02:30 digest runs at 03:30 local time', async () => {
    at('2026-03-28T12:00:00Z');
    const schedule = start({ rule: '30 2 * * *' });
    await schedule.started;
    expect(schedule.nextRun()).toBe(Date.parse('2026-03-29T01:30:00Z'));
    await vi.advanceTimersByTimeAsync(Date.parse('2026-03-29T01:29:59Z') - Date.now());
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toEqual([{ day: '2026-03-29', at: Date.parse('2026-03-29T01:30:00Z') }]);
    expect(formatClock(sent[0]?.at as number, TZ)).toBe('03:30');
    // The next one is 02:30 again, now in CEST.
    expect(schedule.nextRun()).toBe(Date.parse('2026-03-30T00:30:00Z'));
  });

  it('on the fall-back day a 02:30 digest runs once', async () => {
    at('2026-10-24T12:00:00Z');
    const schedule = start({ rule: '30 2 * * *' });
    await schedule.started;
    // 02:30 happens twice (CEST, then CET): the first one.
    expect(schedule.nextRun()).toBe(Date.parse('2026-10-25T00:30:00Z'));
    await vi.advanceTimersByTimeAsync(24 * HOUR);
    expect(sent).toEqual([{ day: '2026-10-25', at: Date.parse('2026-10-25T00:30:00Z') }]);
    expect(schedule.nextRun()).toBe(Date.parse('2026-10-26T01:30:00Z'));
  });

  it('sends one digest a day per channel, however often the rule fires', async () => {
    at('2026-11-10T00:30:00Z');
    const schedule = start({ rule: '0 */6 * * *' });
    await schedule.started;
    await vi.advanceTimersByTimeAsync(48 * HOUR);
    expect(sent.map((s) => s.day)).toEqual(['2026-11-10', '2026-11-11', '2026-11-12']);
    expect(log.entries.filter((e) => e.msg === 'Digest already sent for this day; not sending it again').length).toBeGreaterThan(0);
  });

  it('does not send again after a restart on the day it was sent', async () => {
    at('2026-11-10T07:30:00Z');
    await start().started;
    // Another channel has its own digest of the same day.
    await start({ channel: 'C0OTHER00' }).started;
    await vi.advanceTimersByTimeAsync(31 * MINUTE);
    expect(sent.map((s) => s.day)).toEqual(['2026-11-10', '2026-11-10']);
    expect(getDigestMarker(db, '2026-11-10', 'C0MEMWARD')).toMatchObject({ reason: 'schedule', scheduledAt: Date.parse('2026-11-10T08:00:00Z') });
    expect(getDigestMarker(db, '2026-11-10', 'C0OTHER00')).not.toBeNull();

    await restart('2026-11-10T08:10:00Z');
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(sent).toHaveLength(2);
  });

  it('catches up a digest missed while memwarden was down, when less than catchUpWithin late', async () => {
    at('2026-11-09T10:00:00Z');
    await start().started;
    await restart('2026-11-10T10:00:00Z'); // down from before 09:00 local until 11:00 local: 2 h late
    expect(sent).toEqual([{ day: '2026-11-10', at: Date.parse('2026-11-10T10:00:00Z') }]);
    expect(getDigestMarker(db, '2026-11-10', 'C0MEMWARD')).toMatchObject({ reason: 'catch-up', scheduledAt: Date.parse('2026-11-10T08:00:00Z') });
    expect(log.at('info').some((e) => e.msg === 'Digest missed while memwarden was down: sending it now' && e.lateMs === 2 * HOUR)).toBe(true);
  });

  it('skips a missed digest that is too late, with a log line', async () => {
    at('2026-11-09T10:00:00Z');
    await start().started;
    await restart('2026-11-10T16:00:00Z'); // 8 h late
    expect(sent).toEqual([]);
    expect(log.at('warn')).toEqual([
      expect.objectContaining({ msg: 'Digest missed while memwarden was down: too late to catch up, skipped', day: '2026-11-10', lateMs: 8 * HOUR, catchUpWithinMs: 6 * HOUR }),
    ]);
    expect(getDigestMarker(db, '2026-11-10', 'C0MEMWARD')).toBeNull();
  });

  it('does not treat its very first start as a catch-up', async () => {
    at('2026-11-10T10:00:00Z');
    await start().started;
    expect(sent).toEqual([]);
  });

  it('gives the day back when sending fails, so the next start within the window sends it', async () => {
    at('2026-11-10T07:59:00Z');
    await start({ send: () => Promise.reject(new Error('disk full')) }).started;
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    expect(getDigestMarker(db, '2026-11-10', 'C0MEMWARD')).toBeNull();
    expect(log.at('error').map((e) => e.msg)).toContain('Digest could not be sent; it will be tried again at the next start if still in time');

    await restart('2026-11-10T09:00:00Z');
    expect(sent.map((s) => s.day)).toEqual(['2026-11-10']);
  });

  it('stop() waits for the digest being sent and cancels the job', async () => {
    at('2026-11-10T07:59:00Z');
    let finish: () => void = () => undefined;
    let finished = false;
    const schedule = start({
      send: () =>
        new Promise<void>((resolve) => {
          finish = () => {
            finished = true;
            resolve();
          };
        }),
    });
    await schedule.started;
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    let stopped = false;
    const stopping = schedule.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect([finished, stopped]).toEqual([true, true]);
    expect(schedule.nextRun()).toBeNull();
    await vi.advanceTimersByTimeAsync(48 * HOUR);
    expect(getDigestMarker(db, '2026-11-11', 'C0MEMWARD')).toBeNull();
  });
});
