// `memwarden digest [--post] [--out FILE.png]`: the digest from the bot's database in the
// terminal, the chart to a file, and --post to Slack (nock: the post, then the chart in its
// thread), each mock used and no request without one.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestCommand, type DigestCommandDeps } from '../../../src/cli/digest-command.js';
import { parseCli, UsageError, usage } from '../../../src/cli/parse-cli.js';
import { configSchema } from '../../../src/config/schema.js';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { fixtureSnapshot, NOW, seedDigestFixture } from '../digest/digest-fixture.js';
import { pngSize } from '../digest/png.js';
import { BOT_TOKEN, parseSlackBody, SLACK_API_URL, SLACK_ORIGIN, useSlackNock } from '../slack/delivery/helpers.js';
import { makeTempDir } from '../store/make-snapshot.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('memwarden digest', () => {
  const calls = useSlackNock();
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.remove());

  function deps(slack: Record<string, unknown> = {}, io = capture().io): DigestCommandDeps {
    return {
      config: configSchema.parse({ dataDir: temp.dir, slack, digest: { timezone: 'Europe/Berlin' } }),
      docker: {} as Dockerode,
      io,
      color: false,
      takeSnapshot: () => Promise.resolve(fixtureSnapshot(NOW)),
      clock: () => NOW,
    };
  }

  function seed(): void {
    const db = openDatabase(join(temp.dir, 'memwarden.db'));
    seedDigestFixture(db);
    closeDatabase(db);
  }

  it('is a command with --post and --out', () => {
    expect(parseCli(['digest', '--post', '--out', 'chart.png'])).toMatchObject({ command: 'digest', values: { post: true, out: 'chart.png' } });
    expect(() => parseCli(['digest', '--json'])).toThrow(UsageError);
    expect(usage()).toContain('digest');
  });

  it('prints the digest and writes the chart with --out', async () => {
    seed();
    const { io, out } = capture();
    const file = join(temp.dir, 'chart.png');
    expect(await digestCommand(deps({}, io), { out: file })).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('memwarden daily digest — box — 2025-10-27');
    expect(text).toContain('Leak suspects: celery-worker');
    expect(text).toContain(`Chart: ${file}`);
    expect(pngSize(readFileSync(file))).toEqual({ width: 1200, height: 600 });
  });

  it('says there is nothing yet without a database', async () => {
    const { io, out } = capture();
    expect(await digestCommand(deps({}, io), {})).toBe(0);
    expect(out.join('\n')).toContain('No digest yet');
    expect(existsSync(join(temp.dir, 'memwarden.db'))).toBe(false);
  });

  it('refuses --post without a token or a channel, and --out that is not a PNG', async () => {
    await expect(digestCommand(deps(), { post: true })).rejects.toThrow('--post needs a Slack bot token');
    await expect(digestCommand(deps({ botToken: BOT_TOKEN }), { post: true })).rejects.toThrow('--post needs a channel');
    await expect(digestCommand(deps(), { out: 'chart.svg' })).rejects.toThrow('--out expects a .png file');
  });

  it('posts the digest with --post, then its chart into the thread', async () => {
    seed();
    const steps: { step: string; body: Record<string, unknown> }[] = [];
    const record = (step: string) => (body: unknown) => {
      steps.push({ step, body: parseSlackBody(body) });
      return true;
    };
    const json = { 'content-type': 'application/json' };
    nock(SLACK_ORIGIN, { reqheaders: { authorization: `Bearer ${BOT_TOKEN}` } })
      .post('/api/chat.postMessage', record('chat.postMessage'))
      .reply(200, { ok: true, channel: 'C0OPS', ts: '1761552000.000200' }, json)
      .post('/api/files.getUploadURLExternal', record('files.getUploadURLExternal'))
      .reply(200, { ok: true, upload_url: 'https://files.slack.test/upload/v1/CLI', file_id: 'F0CLI0001' }, json)
      .post('/api/files.completeUploadExternal', record('files.completeUploadExternal'))
      .reply(200, { ok: true, files: [{ id: 'F0CLI0001' }] }, json);
    nock('https://files.slack.test').post('/upload/v1/CLI').reply(200, 'OK');

    const { io, out } = capture();
    const code = await digestCommand(deps({ botToken: BOT_TOKEN, apiUrl: SLACK_API_URL, channels: { default: '#ops-memory' } }, io), { post: true });
    expect(code).toBe(0);
    expect(steps.map((s) => s.step)).toEqual(['chat.postMessage', 'files.getUploadURLExternal', 'files.completeUploadExternal']);
    expect(steps[0]?.body).toMatchObject({ channel: '#ops-memory' });
    expect(steps[2]?.body).toMatchObject({ channel_id: 'C0OPS', thread_ts: '1761552000.000200' });
    expect(out.join('\n')).toContain('Posted the digest to #ops-memory (ts 1761552000.000200).');
    expect(out.join('\n')).toContain('Uploaded the chart into its thread (F0CLI0001).');
    expect(calls.unmatched).toEqual([]);
  });
});
