import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeDatabase, openDatabase, parseJsonOr, perDatabase, type Database } from '../../../src/store/database.js';
import { makeTempDir } from './make-snapshot.js';

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir();
});
afterEach(() => temp.remove());

describe('perDatabase', () => {
  it('builds once per database and hands each database its own value', () => {
    const first = openDatabase(join(temp.dir, 'first.db'));
    const second = openDatabase(join(temp.dir, 'second.db'));
    try {
      const build = vi.fn((db: Database) => ({ one: db.prepare('SELECT 1 AS n') }));
      const statementsFor = perDatabase(build);

      const a = statementsFor(first);
      expect(statementsFor(first)).toBe(a);
      expect(build).toHaveBeenCalledTimes(1);

      const b = statementsFor(second);
      expect(b).not.toBe(a);
      expect(build).toHaveBeenCalledTimes(2);
      expect(b.one.get()).toEqual({ n: 1 });
    } finally {
      closeDatabase(first);
      closeDatabase(second);
    }
  });
});

describe('parseJsonOr', () => {
  it('parses a JSON cell and falls back for one that does not parse', () => {
    expect(parseJsonOr('{"a":1}', null)).toEqual({ a: 1 });
    expect(parseJsonOr('{"a":', 'fallback')).toBe('fallback');
  });
});
