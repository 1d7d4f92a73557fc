// loadRunbooks on the good and hostile fixtures (test/fixtures/runbooks), on the runbooks we
// ship (commands/), and on what a file system can throw at it.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadRunbooks, MAX_RUNBOOK_BYTES, parseRunbookFile } from '../../../src/remediate/load-runbooks.js';
import { validateParams } from '../../../src/remediate/runbook-params.js';

const REPO = resolve(import.meta.dirname, '../../..');
const FIXTURES = join(REPO, 'test/fixtures/runbooks');
const MiB = 1024 * 1024;

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

function fixture(name: string): { ok: boolean; problems: string[] } {
  const result = parseRunbookFile(readFileSync(join(FIXTURES, `${name}.yml`)), `runbooks/${name}.yml`, name);
  return result.ok ? { ok: true, problems: [] } : { ok: false, problems: result.problems };
}

describe('the fixtures', () => {
  it('loads good.yml with every parameter type, and the sha256 of its bytes', () => {
    const bytes = readFileSync(join(FIXTURES, 'good.yml'));
    const result = parseRunbookFile(bytes, 'runbooks/good.yml', 'good');
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const rb = result.runbook;
    expect(rb.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(rb).toMatchObject({
      id: 'good',
      kind: 'docker.exec',
      target: { containers: ['mw-test-tmp-*', 'worker-?'], labels: { 'com.memwarden.remediate': 'true' } },
      argv: ['echo', '{{word}}', '--mode', '{{mode}}', '{{count}}', '{{limit}}', '{{wait}}'],
      approval: { approvers: { users: ['U0123ABCD'], groups: ['S0456EFGH', '@oncall'] }, required: 1, allowSelfApproval: true },
      cooldownMs: 300_000,
      maxRunsPerHour: 3,
      timeoutMs: 20_000,
      enabled: true,
      celery: null,
    });
    expect(rb.params.limit).toEqual({ type: 'size', min: 6 * MiB, max: 1024 * MiB, default: 64 * MiB });
    expect(rb.params.wait).toEqual({ type: 'duration', min: 1000, max: 300_000, default: 30_000 });
    expect(validateParams(rb, { word: 'a b; reboot' })).toEqual({ ok: true, params: { word: 'a b; reboot', mode: 'fast', count: 2, limit: 64 * MiB, wait: 30_000 } });
  });

  it('refuses evil.yml for every rule it breaks, at once', () => {
    expect(fixture('evil')).toEqual({
      ok: false,
      problems: [
        'runbooks/evil.yml: params.unused.max: must be at least min (5)',
        'runbooks/evil.yml: params.Bad-Name.values: must list at least 1',
        'runbooks/evil.yml: __proto__: unknown key',
        'runbooks/evil.yml: shell: unknown key',
        'runbooks/evil.yml: target.containers.0: "*" matches every container: name them, or use a label',
        'runbooks/evil.yml: target.containers.1: expected a container name or glob (letters, digits, "_", ".", "-", with "*" and "?" wildcards), got "web; rm -rf /"',
        'runbooks/evil.yml: target.containers.2: expected a container name or glob (letters, digits, "_", ".", "-", with "*" and "?" wildcards), got "[abc]"',
        'runbooks/evil.yml: enabled: a runbook cannot be enabled without approvers: list approval.approvers.users or .groups first',
        'runbooks/evil.yml: approval.allowSelfApproval: must be false for a high-risk runbook: someone other than the requester approves it',
        'runbooks/evil.yml: argv.0: the program is fixed: a parameter may not name it',
      ],
    });
    // The "__proto__" key stayed data: nothing was polluted.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses injection.yml: a placeholder only ever stands alone', () => {
    expect(fixture('injection').problems).toEqual([
      'runbooks/injection.yml: argv.2: embeds a placeholder inside other text ("echo {{word}}"): a parameter may only be a whole argument, written exactly "{{name}}"',
      'runbooks/injection.yml: argv.3: embeds a placeholder inside other text ("--output={{path}}"): a parameter may only be a whole argument, written exactly "{{name}}"',
      'runbooks/injection.yml: argv.4: embeds a placeholder inside other text ("{{ word }}"): a parameter may only be a whole argument, written exactly "{{name}}"',
      'runbooks/injection.yml: params.word: is declared but argv never uses it',
      'runbooks/injection.yml: params.path: is declared but argv never uses it',
    ]);
  });

  it('refuses proto-keys.yml: a __proto__ key under params or target.labels is refused, not silently dropped', () => {
    expect(fixture('proto-keys')).toEqual({
      ok: false,
      problems: [
        'runbooks/proto-keys.yml: params.__proto__: "__proto__" cannot be a parameter name (memwarden would lose it: no object can hold that key)',
        'runbooks/proto-keys.yml: target.labels.__proto__: "__proto__" cannot be a label key (memwarden would lose it: no object can hold that key)',
      ],
    });
  });

  it('refuses invisible-text.yml: a string parameter may not hold bidi overrides or zero-width characters', () => {
    expect(fixture('invisible-text').problems).toEqual([
      'runbooks/invisible-text.yml: params.cache.default: bidi controls and invisible characters (such as U+202E or a zero-width space) are not allowed, got "sessions\\u202e\\u200bsnoisses"',
    ]);
  });

  it('refuses malformed.yml with the line of each YAML error', () => {
    expect(fixture('malformed').problems).toEqual([
      'runbooks/malformed.yml: line 7, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
      'runbooks/malformed.yml: line 7, column 1: Map keys must be unique',
    ]);
  });

  it('refuses YAML tags, anchors and aliases in tags.yml, naming line and field', () => {
    expect(fixture('tags').problems).toEqual([
      'runbooks/tags.yml: line 3 (title): YAML tags are not allowed (!!str); write the plain value',
      'runbooks/tags.yml: line 4 (description): YAML anchors are not allowed (&desc); repeat the value',
      'runbooks/tags.yml: line 7 (target.containers.0): YAML tags are not allowed (!!binary); write the plain value',
      'runbooks/tags.yml: line 10 (notes): YAML aliases are not allowed (*desc); repeat the value',
    ]);
    const custom = parseRunbookFile(Buffer.from('id: x\ntitle: !!js/function "function () {}"\n'), 'x.yml', 'x');
    expect(custom).toEqual({ ok: false, problems: ['x.yml: line 2 (title): YAML tags are not allowed (!!js/function); write the plain value'] });
  });

  it('names the field and the wrong value for each type error in wrong-types.yml', () => {
    const { problems } = fixture('wrong-types');
    expect(problems).toContain('runbooks/wrong-types.yml: target.containers: expected a list, got "mw-x"');
    expect(problems).toContain('runbooks/wrong-types.yml: target.labels.com.memwarden.remediate: expected a string, got true');
    expect(problems).toContain('runbooks/wrong-types.yml: kind: expected one of "celery.pool-shrink", "celery.pool-grow", "celery.pool-restart", "celery.autoscale", "docker.restart", "docker.update-memory", "docker.exec", got "celery.pool-nuke"');
    expect(problems).toContain('runbooks/wrong-types.yml: approval.approvers.users.0: expected a Slack user id such as "U0123ABCD", got "alice"');
    expect(problems).toContain('runbooks/wrong-types.yml: params.concurrency.default: expected a whole number, got 1.5');
    expect(problems).toContain('runbooks/wrong-types.yml: celery.app: expected "auto" or a Celery app such as "proj" or "proj.celery:app", got "$(id)"');
    expect(problems).toContain('runbooks/wrong-types.yml: celery.node: expected "auto" or a node name such as "worker@host", got "-x"');
    expect(problems).toContain('runbooks/wrong-types.yml: timeout: must be between 1s and 30m, got 7200s');
    expect(problems).toHaveLength(20);
  });

  it('refuses mismatch.yml: the id must be the file name', () => {
    expect(fixture('mismatch').problems).toEqual(['runbooks/mismatch.yml: id: must equal the file name without .yml ("mismatch"), got "set-memory-limit"']);
  });

  it('loads the whole folder only when every file is valid, and lists every problem of every file', () => {
    const problems = problemsOf(() => loadRunbooks(FIXTURES, { displayRoot: REPO }));
    const files = new Set(problems.map((p) => p.split(':')[0]));
    expect([...files].sort()).toEqual(
      ['evil', 'injection', 'invisible-text', 'malformed', 'mismatch', 'proto-keys', 'tags', 'wrong-types'].map((n) => `test/fixtures/runbooks/${n}.yml`),
    );
    expect(problems.length).toBeGreaterThan(40);
  });
});

describe('the runbooks we ship in commands/', () => {
  const loaded = loadRunbooks(join(REPO, 'commands'), { displayRoot: REPO });

  it('all load, the ones diagnose() recommends among them, all disabled until approvers are set', () => {
    expect(loaded.runbooks.map((rb) => [rb.id, rb.kind, rb.risk])).toEqual([
      ['celery-pool-restart', 'celery.pool-restart', 'low'],
      ['grow-celery-pool', 'celery.pool-grow', 'low'],
      ['lower-celery-concurrency', 'celery.pool-shrink', 'low'],
      ['restart-celery-worker', 'docker.restart', 'high'],
      ['set-memory-limit', 'docker.update-memory', 'high'],
    ]);
    for (const rb of loaded.runbooks) {
      expect(rb.enabled, rb.id).toBe(false);
      expect(rb.file).toBe(`commands/${rb.id}.yml`);
      expect(rb.target, rb.id).toEqual({ containers: [], labels: { 'com.memwarden.remediate': 'true' } });
      expect(rb.approval.allowSelfApproval, rb.id).toBe(false);
    }
  });

  it('takes the parameters diagnose() puts in its recommendations (sizes in bytes)', () => {
    const byId = loaded.byId;
    const get = (id: string) => byId.get(id) ?? (() => { throw new Error(id); })();
    expect(validateParams(get('lower-celery-concurrency'), { concurrency: '3' })).toEqual({ ok: true, params: { concurrency: 3 } });
    expect(validateParams(get('grow-celery-pool'), { concurrency: '4' })).toEqual({ ok: true, params: { concurrency: 4 } });
    expect(validateParams(get('set-memory-limit'), { limit: String(768 * MiB) })).toEqual({ ok: true, params: { limit: 768 * MiB } });
    expect(validateParams(get('set-memory-limit'), { limit: '5MiB' })).toEqual({ ok: false, problems: ['limit: must be at least 6MiB, got 5MiB'] });
    expect(validateParams(get('restart-celery-worker'), {})).toEqual({ ok: true, params: { grace: 30_000 } });
    expect(validateParams(get('celery-pool-restart'), {})).toEqual({ ok: true, params: {} });
  });

  it('refuses to enable a shipped runbook before approvers are listed', () => {
    const text = readFileSync(join(REPO, 'commands/set-memory-limit.yml'), 'utf8').replace(/^enabled: false/m, 'enabled: true');
    expect(parseRunbookFile(Buffer.from(text), 'commands/set-memory-limit.yml', 'set-memory-limit')).toEqual({
      ok: false,
      problems: ['commands/set-memory-limit.yml: enabled: a runbook cannot be enabled without approvers: list approval.approvers.users or .groups first'],
    });
    const approved = text.replace('users: []', 'users: [U0123ABCD]');
    expect(parseRunbookFile(Buffer.from(approved), 'commands/set-memory-limit.yml', 'set-memory-limit')).toMatchObject({ ok: true, runbook: { enabled: true } });
  });
});

describe('loadRunbooks and the file system', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mw-runbooks-'));
  });
  const minimal = (id: string): string => `id: ${id}\ntitle: T\ndescription: D\nkind: celery.pool-restart\ntarget: { containers: [w-1] }\nrisk: low\napproval: { required: 1 }\n`;

  it('reads only *.yml, skipping hidden files, and sorts by id', () => {
    writeFileSync(join(dir, 'b.yml'), minimal('b'));
    writeFileSync(join(dir, 'a.yml'), minimal('a'));
    writeFileSync(join(dir, '.hidden.yml'), 'garbage: [');
    writeFileSync(join(dir, 'README.md'), '# not a runbook');
    writeFileSync(join(dir, 'a.yml.bak'), 'garbage: [');
    const { runbooks, byId } = loadRunbooks(dir, { displayRoot: dir });
    expect(runbooks.map((r) => r.id)).toEqual(['a', 'b']);
    expect(byId.get('a')?.file).toBe('a.yml');
  });

  it('refuses a file over 64 KiB without parsing it', () => {
    writeFileSync(join(dir, 'big.yml'), `${minimal('big')}# ${'x'.repeat(MAX_RUNBOOK_BYTES)}\n`);
    expect(problemsOf(() => loadRunbooks(dir, { displayRoot: dir }))).toEqual(['big.yml: file is 64.1 KiB; a runbook may be at most 64 KiB']);
  });

  it('refuses .yaml (it would silently not load), symlinks, bad file names, non-UTF-8 and duplicate keys', () => {
    writeFileSync(join(dir, 'a.yaml'), minimal('a'));
    writeFileSync(join(dir, 'real.yml'), minimal('real'));
    symlinkSync(join(dir, 'real.yml'), join(dir, 'link.yml'));
    writeFileSync(join(dir, 'Bad_Name.yml'), minimal('Bad_Name'));
    writeFileSync(join(dir, 'latin.yml'), Buffer.concat([Buffer.from(minimal('latin')), Buffer.from([0x23, 0x20, 0xe9, 0x0a])]));
    writeFileSync(join(dir, 'twice.yml'), `${minimal('twice')}risk: high\n`);
    expect(problemsOf(() => loadRunbooks(dir, { displayRoot: dir }))).toEqual([
      'a.yaml: runbook files end in .yml: rename it to a.yml',
      'Bad_Name.yml: file name: expected lowercase letters, digits and dashes before .yml (the file name is the runbook id)',
      'Bad_Name.yml: id: expected lowercase letters, digits and dashes (the file name without .yml), got "Bad_Name"',
      'latin.yml: is not valid UTF-8 text',
      'link.yml: is a symbolic link; a runbook must be a regular file in .',
      'twice.yml: line 8, column 1: Map keys must be unique',
    ]);
  });

  it('names a missing directory', () => {
    const err = (() => {
      try {
        loadRunbooks(join(dir, 'nope'), { displayRoot: dir });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected an error');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.source).toBe('nope');
    expect(err.problems).toEqual(['runbook directory not found']);
  });

  it('refuses a file that is not a mapping, or empty', () => {
    writeFileSync(join(dir, 'list.yml'), '- id: list\n');
    writeFileSync(join(dir, 'empty.yml'), '');
    expect(problemsOf(() => loadRunbooks(dir, { displayRoot: dir }))).toEqual([
      'empty.yml: (top level): expected a mapping with id, title, kind, target…, got null',
      'list.yml: (top level): expected a mapping with id, title, kind, target…, got a list',
    ]);
  });
});
