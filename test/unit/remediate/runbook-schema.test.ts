// The runbook schema's rules and its parameter checks (validateParams, checkParamValues,
// renderArgv), with the injection attempts a Slack user could type next to the values that must pass.
import { describe, expect, it } from 'vitest';
import { parseRunbookFile } from '../../../src/remediate/load-runbooks.js';
import { checkParamValues, type ParamSpec, renderArgv, validateParams } from '../../../src/remediate/runbook-params.js';
import type { Runbook } from '../../../src/remediate/runbook-schema.js';

const MiB = 1024 * 1024;

/** A runbook from YAML text, or the problems loading it gives (file named x.yml). */
function load(yaml: string): { runbook?: Runbook; problems: string[] } {
  const result = parseRunbookFile(Buffer.from(yaml), 'commands/x.yml', 'x');
  return result.ok ? { runbook: result.runbook, problems: [] } : { problems: result.problems };
}

function runbook(yaml: string): Runbook {
  const { runbook: rb, problems } = load(yaml);
  if (!rb) throw new Error(problems.join('\n'));
  return rb;
}

const BASE = `id: x
title: T
description: D
target: { labels: { com.memwarden.remediate: "true" } }
risk: low
approval: { required: 1 }
`;

function withParams(params: Record<string, ParamSpec>): Pick<Runbook, 'id' | 'params'> {
  return { id: 'x', params };
}

describe('validateParams', () => {
  const shrink = withParams({ concurrency: { type: 'integer', min: 1, max: 64 } });

  it('accepts a plain whole number and returns it as a number', () => {
    expect(validateParams(shrink, { concurrency: '3' })).toEqual({ ok: true, params: { concurrency: 3 } });
  });

  it.each([
    ['1; reboot'],
    ['$(id)'],
    ['`id`'],
    ['--help'],
    ['-1'],
    ['１'], // FULLWIDTH DIGIT ONE: \d in some engines, never here
    ['1e3'],
    ['0x10'],
    ['3.0'],
    [' 3'],
    ['3\n'],
    ['+3'],
    ['1_000'],
  ])('refuses the integer %j with a message naming the parameter and the value', (raw) => {
    const result = validateParams(shrink, { concurrency: raw });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^concurrency: expected a whole number written with the digits 0-9 only \(such as 3\), got "/);
    expect(result.problems[0]).toContain(JSON.stringify(raw).slice(1, -1));
  });

  it('refuses a number out of range, and one too long to be exact', () => {
    expect(validateParams(shrink, { concurrency: '0' })).toEqual({ ok: false, problems: ['concurrency: must be at least 1, got 0'] });
    expect(validateParams(shrink, { concurrency: '65' })).toEqual({ ok: false, problems: ['concurrency: must be at most 64, got 65'] });
    expect(validateParams(shrink, { concurrency: '9'.repeat(20) })).toMatchObject({ ok: false });
  });

  it('reports unknown and missing parameters, all at once, and ignores no prototype tricks', () => {
    const raw = JSON.parse('{"__proto__": "x", "constructor": "1", "concurrency": "abc"}') as Record<string, string>;
    const result = validateParams(shrink, raw);
    expect(result).toEqual({
      ok: false,
      problems: [
        '__proto__: unknown parameter (x takes concurrency)',
        'constructor: unknown parameter (x takes concurrency)',
        'concurrency: expected a whole number written with the digits 0-9 only (such as 3), got "abc"',
      ],
    });
    expect(validateParams(shrink, {})).toEqual({ ok: false, problems: ['concurrency: is required (integer)'] });
  });

  it('parses sizes to bytes and durations to ms, strictly, with defaults for what is left out', () => {
    const spec = withParams({
      limit: { type: 'size', min: 6 * MiB, max: 1024 * MiB },
      grace: { type: 'duration', min: 1000, max: 120_000, default: 30_000 },
    });
    expect(validateParams(spec, { limit: '512MiB' })).toEqual({ ok: true, params: { limit: 512 * MiB, grace: 30_000 } });
    expect(validateParams(spec, { limit: '64m', grace: '45s' })).toEqual({ ok: true, params: { limit: 64 * MiB, grace: 45_000 } });
    // Recommendation.params carries bytes: a bare number is bytes.
    expect(validateParams(spec, { limit: String(100 * MiB), grace: '2m' })).toEqual({ ok: true, params: { limit: 100 * MiB, grace: 120_000 } });
    expect(validateParams(spec, { limit: '4MiB' })).toEqual({ ok: false, problems: ['limit: must be at least 6MiB, got 4MiB'] });
    expect(validateParams(spec, { limit: '2GiB' })).toEqual({ ok: false, problems: ['limit: must be at most 1GiB, got 2GiB'] });
    for (const bad of ['512 MiB; rm -rf /', '$(id)', '-512MiB', '1e9', '512MiBs']) {
      expect(validateParams(spec, { limit: bad })).toMatchObject({ ok: false, problems: [expect.stringMatching(/^limit: expected a size such as 512MiB/)] });
    }
    expect(validateParams(spec, { limit: '64MiB', grace: '5 minutes' })).toMatchObject({ ok: false, problems: [expect.stringMatching(/^grace: expected a duration/)] });
    expect(validateParams(spec, { limit: '64MiB', grace: '0.5s' })).toEqual({ ok: false, problems: ['grace: must be at least 1s, got 0.5s'] });
  });

  it('takes an enum value only as listed, and a string only when the anchored pattern matches all of it', () => {
    const spec = withParams({
      mode: { type: 'enum', values: ['fast', 'slow'] },
      word: { type: 'string', pattern: '[a-z ;]+' },
    });
    expect(validateParams(spec, { mode: 'fast', word: 'a b; reboot' })).toEqual({ ok: true, params: { mode: 'fast', word: 'a b; reboot' } });
    expect(validateParams(spec, { mode: 'FAST', word: 'ok' })).toEqual({ ok: false, problems: ['mode: expected one of "fast", "slow", got "FAST"'] });
    // Anchored: a match in the middle is not enough.
    expect(validateParams(spec, { mode: 'slow', word: 'ok$(id)' })).toEqual({ ok: false, problems: ['word: must match [a-z ;]+, got "ok$(id)"'] });
    // Whatever the pattern says: no leading "-" (an option to the program), no control characters.
    const loose = withParams({ word: { type: 'string', pattern: '.+' } });
    expect(validateParams(loose, { word: '--help' })).toEqual({ ok: false, problems: ['word: may not start with "-" (the program would read it as an option), got "--help"'] });
    expect(validateParams(loose, { word: 'a\nb' })).toMatchObject({ ok: false, problems: [expect.stringMatching(/^word: control characters/)] });
    expect(validateParams(loose, { word: 'x'.repeat(257) })).toEqual({ ok: false, problems: ['word: at most 256 characters, got 257'] });
  });

  it('refuses string values with bidi overrides or zero-width characters typed in Slack, whatever the pattern allows', () => {
    const loose = withParams({ word: { type: 'string', pattern: '.+' } });
    for (const hidden of ['\u202e', '\u202d', '\u2066', '\u200f', '\u200b', '\u200d', '\u2060', '\ufeff', '\u{e0041}']) {
      const result = validateParams(loose, { word: `clear${hidden}all` });
      expect(result, JSON.stringify(hidden)).toMatchObject({ ok: false, problems: [expect.stringMatching(/^word: bidi controls and invisible characters \(such as U\+202E or a zero-width space\) are not allowed, got "clear\\u/)] });
    }
    expect(validateParams(loose, { word: 'Größe ワーカー' })).toEqual({ ok: true, params: { word: 'Größe ワーカー' } });
    expect(checkParamValues(loose, { word: 'a\u202eb' })).toMatchObject({ ok: false });
  });

  it('refuses values that are not text', () => {
    expect(validateParams(shrink, { concurrency: 3 as unknown as string })).toEqual({ ok: false, problems: ['concurrency: expected text, got 3'] });
  });
});

describe('checkParamValues (typed values, e.g. read back from the store)', () => {
  it('re-checks types and ranges and fills defaults', () => {
    const spec = withParams({ concurrency: { type: 'integer', min: 1, max: 8 }, grace: { type: 'duration', default: 30_000 } });
    expect(checkParamValues(spec, { concurrency: 2 })).toEqual({ ok: true, params: { concurrency: 2, grace: 30_000 } });
    expect(checkParamValues(spec, { concurrency: 0 })).toMatchObject({ ok: false, problems: ['concurrency: must be at least 1, got 0'] });
    expect(checkParamValues(spec, { concurrency: '2' })).toMatchObject({ ok: false, problems: ['concurrency: expected a whole number, got "2"'] });
    expect(checkParamValues(spec, { concurrency: 2.5 })).toMatchObject({ ok: false });
    expect(checkParamValues(spec, { concurrency: 2, extra: 1 })).toMatchObject({ ok: false, problems: ['extra: unknown parameter for x'] });
  });
});

describe('renderArgv', () => {
  it('substitutes each placeholder as exactly one argument, whatever the value holds', () => {
    expect(renderArgv(['echo', '{{word}}', '--', '{{n}}'], { word: 'a b; reboot $(id)', n: 3 })).toEqual(['echo', 'a b; reboot $(id)', '--', '3']);
  });
});

describe('runbook rules across fields', () => {
  it('loads a minimal celery runbook with the safe defaults', () => {
    const rb = runbook(`${BASE}kind: celery.pool-restart\n`);
    expect(rb).toMatchObject({
      enabled: false,
      cooldownMs: 15 * 60_000,
      maxRunsPerHour: 2,
      timeoutMs: 60_000,
      celery: { app: 'auto', node: 'auto' },
      argv: null,
      verify: null,
      approval: { approvers: { users: [], groups: [] }, required: 1, allowSelfApproval: false },
      file: 'commands/x.yml',
    });
    expect(rb.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses enabling without approvers, self-approval on high risk, and more approvals than approvers', () => {
    const { problems } = load(`id: x
title: T
description: D
kind: docker.restart
target: { containers: [web-1] }
risk: high
approval: { required: 1, allowSelfApproval: true }
enabled: true
`);
    expect(problems).toEqual([
      'commands/x.yml: enabled: a runbook cannot be enabled without approvers: list approval.approvers.users or .groups first',
      'commands/x.yml: approval.allowSelfApproval: must be false for a high-risk runbook: someone other than the requester approves it',
    ]);
    expect(load(`${BASE.replace('approval: { required: 1 }', 'approval: { approvers: { users: [U1AAA] }, required: 2 }')}kind: celery.pool-restart\n`).problems).toEqual([
      'commands/x.yml: approval.required: needs 2 approvals but only 1 approver is listed',
    ]);
  });

  it('refuses an empty allowlist, whatever form it takes', () => {
    for (const target of ['target: {}', 'target: { containers: [] }', 'target: { labels: {} }']) {
      expect(load(`${BASE.replace(/^target: .*$/m, target)}kind: celery.pool-restart\n`).problems).toEqual([
        'commands/x.yml: target: the allowlist is empty: list containers (names or globs) and/or labels; nothing outside it can ever be touched',
      ]);
    }
    expect(load(`${BASE.replace(/^target: .*$/m, '')}kind: celery.pool-restart\n`).problems).toEqual(['commands/x.yml: target: is required']);
  });

  it('holds each kind to its parameters', () => {
    expect(load(`${BASE}kind: celery.pool-shrink\n`).problems).toEqual(['commands/x.yml: params.concurrency: is required for kind celery.pool-shrink (type integer)']);
    expect(load(`${BASE}kind: celery.pool-shrink\nparams: { concurrency: { type: integer, min: 0 } }\n`).problems).toEqual([
      'commands/x.yml: params.concurrency.min: must be at least 1: a pool of 0 runs no task',
    ]);
    expect(load(`${BASE}kind: celery.pool-grow\nparams: { concurrency: { type: integer, min: 1 } }\n`).problems).toEqual([
      'commands/x.yml: params.concurrency.max: is required for kind celery.pool-grow: cap the pool size',
    ]);
    expect(load(`${BASE}kind: celery.pool-shrink\nparams: { concurrency: { type: size, min: 1 } }\n`).problems).toEqual([
      'commands/x.yml: params.concurrency.type: must be integer for kind celery.pool-shrink',
    ]);
    expect(load(`${BASE}kind: celery.pool-restart\nparams: { n: { type: integer } }\n`).problems).toEqual(['commands/x.yml: params.n: kind celery.pool-restart takes no parameters']);
    expect(load(`${BASE}kind: docker.update-memory\nparams: { limit: { type: size, min: 1MiB } }\n`).problems).toEqual([
      'commands/x.yml: params.limit.min: must be at least 6MiB (Docker refuses anything smaller)',
    ]);
    expect(load(`${BASE}kind: docker.restart\nparams: { grace: { type: duration, max: 2m } }\ntimeout: 60s\n`).problems).toEqual([
      'commands/x.yml: timeout: must exceed the longest grace period (120s) by at least 5s: Docker waits that long before it kills',
    ]);
  });

  it('keeps celery settings to celery kinds and argv to docker.exec', () => {
    expect(load(`${BASE}kind: docker.restart\ncelery: { app: proj }\nargv: [ls]\n`).problems).toEqual([
      'commands/x.yml: celery: only for celery.* kinds, not docker.restart',
      'commands/x.yml: argv: only for kind docker.exec, not docker.restart',
    ]);
    expect(load(`${BASE}kind: docker.exec\n`).problems).toEqual(['commands/x.yml: argv: is required for kind docker.exec: the fixed command, one argument per element']);
    expect(load(`${BASE}kind: docker.exec\nargv: []\n`).problems).toEqual(['commands/x.yml: argv: must list at least 1']);
    expect(load(`${BASE}kind: docker.exec\nargv: [echo, '{{nope}}']\n`).problems).toEqual([
      'commands/x.yml: argv.1: uses the parameter "nope", which params does not declare',
    ]);
  });

  it('checks that verify names a parameter of the right type', () => {
    expect(
      load(`${BASE}kind: celery.pool-shrink\nparams: { concurrency: { type: integer, min: 1 } }\nverify: { after: 30s, metric: group-pss, expect: "pool-size-equals-param: concurrency" }\n`).problems,
    ).toEqual(['commands/x.yml: verify.expect: pool-size-equals-param needs metric pool-size and an integer parameter']);
    expect(load(`${BASE}kind: celery.pool-restart\nverify: { after: 30s, metric: pool-size, expect: "pool-size-equals-param: n" }\n`).problems).toEqual([
      'commands/x.yml: verify.expect: names the parameter "n", which this runbook does not declare',
    ]);
  });

  it('suggests the key that was meant', () => {
    expect(load(`${BASE}kind: celery.pool-restart\ncooldwn: 5m\n`).problems).toEqual(['commands/x.yml: cooldwn: unknown key (did you mean "cooldown"?)']);
    expect(load(`${BASE}kind: celery.pool-restart\nparams: {}\ncelery: { nodes: auto }\n`).problems).toEqual(['commands/x.yml: celery.nodes: unknown key (did you mean "node"?)']);
  });
});
