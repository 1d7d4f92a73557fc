// `/mem digest` through a real Bolt App (fake receiver): acked at once, today's digest answered
// ephemerally through the response_url (nock), inside the Block Kit limits; and a friendly
// answer where the bot has no digest to give.
import { afterEach, describe, expect, it } from 'vitest';
import { buildDigest } from '../../../../../src/digest/build-digest.js';
import { loadDigestData } from '../../../../../src/digest/load-digest.js';
import { parseMemCommand } from '../../../../../src/slack/commands/parse-mem-command.js';
import { DIGEST_UNAVAILABLE } from '../../../../../src/slack/commands/digest-command.js';
import { checkBlockKitLimits } from '../../../../../src/slack/render/block-kit-limits.js';
import { FIXTURE_LEAK, fixtureFindings, NOW, seedDigestFixture, TZ } from '../../../digest/digest-fixture.js';
import { buildTestApp, expectRespond, slashCommand, type TestApp, useNock } from '../../bolt-test-kit.js';

useNock();

let t: TestApp | undefined;
afterEach(() => {
  t?.services.close();
  t = undefined;
});

describe('/mem digest', () => {
  it('parses with no arguments, and refuses any', () => {
    expect(parseMemCommand('digest')).toEqual({ ok: true, command: { kind: 'digest' } });
    expect(parseMemCommand('DIGEST')).toEqual({ ok: true, command: { kind: 'digest' } });
    expect(parseMemCommand('digest now')).toMatchObject({ ok: false, error: { subcommand: 'digest' } });
  });

  it("answers with today's digest, only for the one who asked", async () => {
    t = buildTestApp({ now: NOW });
    const { db } = t.services;
    seedDigestFixture(db);
    t.services.digest = () => buildDigest(loadDigestData(db, { now: NOW, tz: TZ, hostname: 'box', findings: fixtureFindings(), leak: FIXTURE_LEAK }));
    const answered = expectRespond();
    const acks = await t.receiver.send(slashCommand('digest'));
    expect(acks).toEqual([undefined]);
    const body = await answered;
    expect(body.response_type).toBe('ephemeral');
    expect(String(body.text)).toContain('memwarden digest for box, 2025-10-27');
    const blocks = body.blocks as { type: string }[];
    expect(blocks[0]).toMatchObject({ type: 'header', text: { text: 'Daily memory digest: box, 2025-10-27' } });
    expect(checkBlockKitLimits({ text: String(body.text), blocks: body.blocks as never })).toEqual([]);
    // No chart in an ephemeral answer, so no word of one.
    expect(JSON.stringify(blocks)).not.toContain('in the thread');
  });

  it('says so when this memwarden has no digest', async () => {
    t = buildTestApp({ now: NOW });
    const answered = expectRespond();
    await t.receiver.send(slashCommand('digest'));
    const body = await answered;
    expect(body.response_type).toBe('ephemeral');
    expect(JSON.stringify(body.blocks)).toContain(DIGEST_UNAVAILABLE);
  });
});
