// The data directory's lock (one `memwarden run` per data dir): held for the life of the process,
// refused to a second taker with the holder's pid, and free again once the holder is gone, even
// when it was SIGKILLed, whatever its stale memwarden.pid says.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, type DataDirLock, lockDataDir, OWNER_FILE, readOwner } from '../../../src/store/data-dir-lock.js';
import { spawnChild } from '../remediate/child-process.js';
import { makeTempDir } from './make-snapshot.js';

const CHILD = fileURLToPath(new URL('../../fixtures/data-dir-lock-child.ts', import.meta.url));
const me = (startedAt = '2026-12-04T10:00:00.000Z') => ({ pid: process.pid, hostname: 'test-host', startedAt });

describe('lockDataDir', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });
  const tempDir = () => {
    const dir = makeTempDir();
    cleanups.push(dir.remove);
    return dir.dir;
  };
  const lock = (dir: string, owner = me()): DataDirLock => {
    const held = lockDataDir(dir, owner);
    cleanups.push(() => held.release());
    return held;
  };

  it('refuses a second owner of the data dir, naming the pid, host and start of the one holding it', () => {
    const dir = tempDir();
    lock(dir, { pid: 4242, hostname: 'box-1', startedAt: '2026-12-04T10:00:00.000Z' });
    let refusal: unknown;
    try {
      lockDataDir(dir, me());
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(DataDirLockedError);
    expect((refusal as DataDirLockedError).code).toBe('data_dir_locked');
    expect((refusal as DataDirLockedError).message).toBe(
      `another memwarden run (pid 4242 on box-1, since 2026-12-04T10:00:00.000Z) holds the data directory ${dir}: only one may use it. Stop that one first, or give this one its own dataDir`,
    );
    // The refusal changed nothing: the holder's name is still there.
    expect(readOwner(dir)?.pid).toBe(4242);
  });

  it('is free again after release, and release removes the owner file', () => {
    const dir = tempDir();
    const first = lock(dir);
    expect(existsSync(join(dir, OWNER_FILE))).toBe(true);
    first.release();
    first.release();
    expect(existsSync(join(dir, OWNER_FILE))).toBe(false);
    lock(dir, { ...me(), pid: 777 });
    expect(readOwner(dir)?.pid).toBe(777);
  });

  it('is not held by a stale owner file: a dead pid, or a live pid that is not memwarden (pid reuse)', () => {
    const dir = tempDir();
    // Left by a crash; pid 1 is alive (init) but holds no lock.
    writeFileSync(join(dir, OWNER_FILE), JSON.stringify({ pid: 1, hostname: 'old', startedAt: '2026-01-01T00:00:00.000Z' }));
    lock(dir);
    expect(readOwner(dir)).toEqual(me());
  });

  it('says "pid unknown" when the holder\'s owner file is missing', () => {
    const dir = tempDir();
    lock(dir);
    rmSync(join(dir, OWNER_FILE));
    expect(() => lockDataDir(dir, me())).toThrow(/^another memwarden run \(pid unknown: .*memwarden\.pid is missing or unreadable\) holds the data directory/);
  });

  it('is held by another process until it is SIGKILLed, then free at once (the kernel drops the lock)', async () => {
    const dir = tempDir();
    const child = spawnChild([dir], CHILD);
    cleanups.push(() => child.process.kill('SIGKILL'));
    await child.line('locked');
    expect(() => lockDataDir(dir, me())).toThrow(`pid ${child.process.pid}`);

    child.process.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    // Its owner file is still there, naming a dead process; the lock is free all the same.
    expect(readOwner(dir)?.pid).toBe(child.process.pid);
    lock(dir);
    expect(readOwner(dir)?.pid).toBe(process.pid);
  });

  it('refuses another process while this one holds it', async () => {
    const dir = tempDir();
    lock(dir);
    const child = spawnChild([dir], CHILD);
    cleanups.push(() => child.process.kill('SIGKILL'));
    expect(await child.line('refused: ')).toContain(`pid ${process.pid} on test-host`);
    expect((await child.exited).code).toBe(0);
  });
});
