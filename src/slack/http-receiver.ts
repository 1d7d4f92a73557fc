// Slack's HTTP mode: Bolt's HTTPReceiver (body parsing, ssl_check and url_verification, acks,
// routing to the app) behind a guard at /slack/events that refuses, before Bolt reads anything:
//
// - a body over MAX_BODY_BYTES: 413 from its content-length alone, or once that much has arrived
//   (Bolt's own limit is 4 MB, buffered for anyone before the signature is looked at);
// - a timestamp more than 5 minutes away from our clock in either direction: 401 from the header
//   alone (Bolt refuses only old ones, so a request signed for the future stayed replayable);
// - a body whose signature does not verify: 401.
//
// The signature check is Bolt's own (HTTPModuleFunctions.parseAndVerifyHTTPRequest, what
// HTTPReceiver calls itself, ssl_check exemption included): the guard runs it first so that the
// refusal is answered and logged here, then hands the buffered request to Bolt, which verifies
// it once more. Refusals are logged through one throttled warning, never with the signature.
import type { IncomingMessage } from 'node:http';
import { HTTPModuleFunctions, HTTPReceiver, type Logger as BoltLogger } from '@slack/bolt';
import { createThrottledWarn } from '../log/throttled-warn.js';
import type { Logger } from '../log/logger.js';

/**
 * Slack sends a slash command in about 1 KB and a button click with the message it is on: at
 * most 12k characters of blocks JSON (block-kit-limits.ts' budget for every message memwarden
 * posts), about 70 KiB URL-encoded when it is all emoji. A quarter of a MiB leaves room for
 * whatever Slack adds.
 */
export const MAX_BODY_BYTES = 256 * 1024;
/** Slack's rule for request timestamps, held in both directions. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
/** Refusals logged at warn at most this often; the others at debug. */
export const REFUSAL_WARN_INTERVAL_MS = 60_000;

export interface HttpReceiverOptions {
  signingSecret: string;
  port: number;
  /** The one path Slack posts to (HTTP_EVENTS_PATH). */
  path: string;
  logger: Logger;
  boltLogger: BoltLogger;
  /** Epoch milliseconds; a fake in tests. */
  clock?: () => number;
}

interface Refusal {
  status: 400 | 401 | 413;
  reason: 'body too large' | 'timestamp in the future' | 'timestamp too old' | 'bad signature' | 'unreadable body';
  detail: string;
}

export function createHttpReceiver(options: HttpReceiverOptions): HTTPReceiver {
  const clock = options.clock ?? Date.now;
  const receiver = new HTTPReceiver({
    signingSecret: options.signingSecret,
    port: options.port,
    endpoints: options.path,
    bodyLimit: MAX_BODY_BYTES,
    logger: options.boltLogger,
    logLevel: options.boltLogger.getLevel(),
  });
  const bolt = receiver.requestListener;
  const warn = createThrottledWarn(options.logger, { intervalMs: REFUSAL_WARN_INTERVAL_MS, clock });

  receiver.requestListener = (req, res) => {
    // Anything else is Bolt's to answer (404), synchronously as its server expects.
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://localhost').pathname !== options.path) {
      bolt(req, res);
      return;
    }
    void admit(req, options.signingSecret, clock).then(
      (refusal) => {
        if (refusal === null) {
          bolt(req, res);
          return;
        }
        warn({ status: refusal.status, reason: refusal.reason, detail: refusal.detail, remoteAddress: req.socket.remoteAddress }, 'Slack HTTP request refused');
        HTTPModuleFunctions.buildNoBodyResponse(res, refusal.status);
      },
      (err: unknown) => {
        options.logger.error({ err }, 'Slack HTTP request could not be checked');
        if (!res.headersSent) HTTPModuleFunctions.buildNoBodyResponse(res, 500);
      },
    );
  };
  return receiver;
}

/** null: let Bolt have it (its body is buffered and its signature verified). */
async function admit(req: IncomingMessage, signingSecret: string, clock: () => number): Promise<Refusal | null> {
  const length = Number(req.headers['content-length']);
  if (Number.isFinite(length) && length > MAX_BODY_BYTES) return { status: 413, reason: 'body too large', detail: `content-length ${length}, at most ${MAX_BODY_BYTES}` };

  const stamp = req.headers['x-slack-request-timestamp'];
  // A missing or malformed timestamp is the signature check's to refuse (ssl_check has none).
  if (typeof stamp === 'string' && /^\d{1,12}$/.test(stamp)) {
    const ahead = Number(stamp) - Math.floor(clock() / 1000);
    if (ahead > MAX_CLOCK_SKEW_SECONDS) return { status: 401, reason: 'timestamp in the future', detail: `${ahead} s ahead of this host's clock` };
    if (ahead < -MAX_CLOCK_SKEW_SECONDS) return { status: 401, reason: 'timestamp too old', detail: `${-ahead} s behind this host's clock` };
  }

  try {
    await HTTPModuleFunctions.parseAndVerifyHTTPRequest({ signingSecret, bodyLimit: MAX_BODY_BYTES }, req);
  } catch (err) {
    if (HTTPModuleFunctions.isRawBodyError(err)) {
      if (err.type === 'entity.too.large' || err.statusCode === 413) return { status: 413, reason: 'body too large', detail: `more than ${MAX_BODY_BYTES} bytes` };
      return { status: 400, reason: 'unreadable body', detail: err.message };
    }
    return { status: 401, reason: 'bad signature', detail: err instanceof Error ? err.message : String(err) };
  }
  return null;
}
