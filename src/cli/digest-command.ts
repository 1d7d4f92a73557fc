// `memwarden digest [--post] [--out FILE.png]`: the daily digest of the last 24 hours from the
// bot's database, printed; --out writes its chart; --post sends it (and the chart in its thread)
// to the digest's Slack channel now. --post talks to Slack directly rather than through the
// outbox: this process has no dispatcher, and a running bot's must not be disturbed. It is an
// extra digest: the scheduled one of the day still goes out.
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { takeConfiguredSnapshot } from '../collect/collect-snapshot.js';
import type { Snapshot } from '../model/snapshot.js';
import type { Config } from '../config/schema.js';
import { diagnose } from '../diagnose/diagnose.js';
import { loadDiagnosisHistory } from '../diagnose/load-history.js';
import { diagnoseOptions } from '../diagnose/options.js';
import type { Finding } from '../model/finding.js';
import { renderChartPng } from '../digest/chart.js';
import type { Digest } from '../digest/digest-data.js';
import { digestNotice } from '../digest/digest-notice.js';
import { chartAttachment } from '../digest/send-digest.js';
import { digestChannel, digestNow } from '../digest/start-digest.js';
import { createOutboxWebClient, createWebApiSink } from '../slack/delivery/web-api-sink.js';
import { renderNotice } from '../slack/render/render-notice.js';
import { openDatabase } from '../store/database.js';
import { type CliIo, EXIT } from './cli-io.js';
import { DATABASE_FILE } from './diagnose-command.js';
import { UsageError } from './parse-cli.js';
import { renderDigestText } from './render-digest.js';

export interface DigestCommandDeps {
  config: Config;
  docker: Dockerode;
  io: CliIo;
  color: boolean;
  /** Tests pass a snapshot (or a failing one); otherwise one is taken now, for the recommendations. */
  takeSnapshot?: () => Promise<Snapshot>;
  /** Epoch ms; default Date.now. */
  clock?: () => number;
}

export async function digestCommand(deps: DigestCommandDeps, values: Record<string, string | boolean | undefined>): Promise<number> {
  const { config, io } = deps;
  const post = values.post === true;
  const out = typeof values.out === 'string' ? values.out : null;
  if (out !== null && !/\.png$/i.test(out)) throw new UsageError(`--out expects a .png file, got "${out}"`);
  const channel = digestChannel(config);
  if (post && !config.slack.botToken) throw new UsageError('--post needs a Slack bot token (SLACK_BOT_TOKEN)');
  if (post && channel === null) throw new UsageError('--post needs a channel: set digest.channel or slack.channels.default (SLACK_CHANNEL)');

  const file = join(resolve(config.dataDir), DATABASE_FILE);
  if (!existsSync(file)) {
    io.out(`No digest yet: ${file} does not exist (memwarden has not run with this data directory).`);
    return post || out !== null ? EXIT.failure : EXIT.ok;
  }
  const db = openDatabase(file);
  let digest: Digest;
  try {
    const { findings, hostname, note } = await diagnosis(deps, (snapshot) => {
      const options = diagnoseOptions(config);
      return diagnose(snapshot, loadDiagnosisHistory(db, snapshot, options.leak?.windowMs ?? null), options);
    });
    if (note) io.err(`memwarden: ${note}`);
    digest = digestNow(db, config, { findings: () => findings, hostname: () => hostname }, (deps.clock ?? Date.now)());
  } finally {
    // A plain close: the digest only reads, so no checkpoint is forced on the bot's database.
    db.close();
  }

  let png: Buffer | null = null;
  let chartError: string | null = null;
  if (out !== null || post) {
    try {
      png = renderChartPng(digest.chart);
    } catch (err) {
      chartError = err instanceof Error ? err.message : String(err);
    }
  }
  let chartPath: string | null = null;
  if (out !== null && png !== null) {
    chartPath = resolve(out);
    writeFileSync(chartPath, png);
  }
  io.out(renderDigestText(digest, { color: deps.color, chartPath }));
  if (chartError !== null) io.err(`memwarden: the chart could not be rendered: ${chartError}`);

  if (post && channel !== null && config.slack.botToken) {
    const client = createOutboxWebClient({ token: config.slack.botToken, ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}) });
    const chart = png;
    const sink = createWebApiSink(client, chart === null ? {} : { renderChart: () => chart });
    const notice = digestNotice(digest, { chartInThread: chart !== null });
    // No outbox here to resend the text if Slack refuses the blocks: a notice over the limits goes as its text at once.
    const posted = await sink.post(channel, { notice }, { plain: renderNotice(notice).problems.length > 0 });
    io.out(`Posted the digest to ${channel} (ts ${posted.ts}).`);
    if (png !== null) {
      try {
        const where = await sink.post(posted.channel, { chart: chartAttachment(digest) }, { threadTs: posted.ts });
        io.out(`Uploaded the chart into its thread (${where.ts}).`);
      } catch (err) {
        io.err(`memwarden: the digest was posted, but its chart could not be uploaded: ${err instanceof Error ? err.message : String(err)}`);
        return EXIT.failure;
      }
    }
  }
  return chartError !== null && (out !== null || post) ? EXIT.failure : EXIT.ok;
}

/** The current diagnosis for the recommendations; none (with a note) when no snapshot can be taken. */
async function diagnosis(
  deps: DigestCommandDeps,
  findingsOf: (snapshot: Snapshot) => Finding[],
): Promise<{ findings: Finding[] | null; hostname: string | null; note: string | null }> {
  const { config } = deps;
  try {
    const snapshot = await (deps.takeSnapshot ?? (() => takeConfiguredSnapshot(deps.docker, config)))();
    return { findings: findingsOf(snapshot), hostname: snapshot.hostname, note: null };
  } catch (err) {
    return { findings: null, hostname: null, note: `no snapshot for the open recommendations (${err instanceof Error ? err.message : String(err)})` };
  }
}
