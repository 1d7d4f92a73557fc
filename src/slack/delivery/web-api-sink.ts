// The MessageSink over Slack's Web API: notices rendered to Block Kit (render/render-notice.ts),
// charts drawn and uploaded into their thread. Its WebClient is built so that it never retries, waits or
// queues by itself (retries: 0, rejectRateLimitedCalls): the outbox owns retries and honours
// Retry-After, and a client that slept on a 429 inside a call would hold the dispatcher and
// hide the rate limit from it. So use this client for the outbox only, not Bolt's app.client.
import { webApi } from '@slack/bolt';
import { renderChartPng } from '../../digest/chart.js';
import type { OutboxContent } from '../../delivery/outbox-content.js';
import type { ChartAttachment } from '../../model/chart.js';
import type { SlackMessage } from '../render/block-kit-limits.js';
import { renderNotice } from '../render/render-notice.js';
import { type MessageSink, MessageSinkError, type PostResult, type SendOptions } from '../../delivery/sink.js';

export interface OutboxWebClientOptions {
  token: string;
  /** config.slack.apiUrl (GovSlack, a proxy, tests); Slack's own when unset. */
  slackApiUrl?: string;
  /** Per request; a call that hangs longer counts as a network error. Default 15 s. */
  timeoutMs?: number;
  /** Where the client's own log lines go (e.g. createBoltLogger(logger)); default: nowhere,
   *  since every failure reaches the dispatcher, which logs it. */
  logger?: webApi.Logger;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export function createOutboxWebClient(options: OutboxWebClientOptions): webApi.WebClient {
  return new webApi.WebClient(options.token, {
    ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    logger: options.logger ?? silentLogger(),
  });
}

export interface WebApiSinkOptions {
  /** Told when a rendered notice breaks a Block Kit limit (Slack may then refuse it: the outbox resends its text). */
  onLimitProblems?: (problems: string[]) => void;
  /** Draws a chart as a PNG (digest/chart.ts renderChartPng); a fake in tests. */
  renderChart?: (chart: ChartAttachment['chart']) => Buffer;
}

/** A sink over `client`, which should come from createOutboxWebClient. */
export function createWebApiSink(client: webApi.WebClient, options: WebApiSinkOptions = {}): MessageSink {
  const renderChart = options.renderChart ?? renderChartPng;

  function message(content: OutboxContent, plain: boolean): SlackMessage {
    let rendered: SlackMessage;
    if ('notice' in content) {
      const { problems, ...slack } = renderNotice(content.notice);
      if (problems.length > 0 && !plain) options.onLimitProblems?.(problems);
      rendered = slack;
    } else if ('legacy' in content) {
      rendered = { text: content.legacy.text, blocks: content.legacy.blocks as SlackMessage['blocks'] };
    } else {
      rendered = { text: content.chart.title, blocks: [] };
    }
    return plain ? { text: rendered.text, blocks: [] } : rendered;
  }

  return {
    async post(channel: string, content: OutboxContent, send: SendOptions = {}): Promise<PostResult> {
      if ('chart' in content) return uploadChart(channel, content.chart, send.threadTs);
      const { text, blocks } = message(content, send.plain === true);
      try {
        const result = await client.chat.postMessage({
          channel,
          text,
          ...(blocks.length > 0 ? { blocks } : {}),
          ...(send.threadTs !== undefined ? { thread_ts: send.threadTs } : {}),
        });
        if (typeof result.ts !== 'string') throw new MessageSinkError('server_error', 'chat.postMessage answered without a ts', { slackError: 'no_ts' });
        return { ts: result.ts, channel: typeof result.channel === 'string' ? result.channel : channel };
      } catch (err) {
        throw toMessageSinkError(err, 'chat.postMessage');
      }
    },

    async update(channel: string, ts: string, content: OutboxContent, send: Pick<SendOptions, 'plain'> = {}): Promise<{ ts: string }> {
      if ('chart' in content) throw new MessageSinkError('permanent', 'a chart cannot replace a message');
      const { text, blocks } = message(content, send.plain === true);
      try {
        // Without `blocks`, chat.update with `text` removes the old blocks: the plain-text resend.
        const result = await client.chat.update({ channel, ts, text, ...(blocks.length > 0 ? { blocks } : {}) });
        return { ts: typeof result.ts === 'string' ? result.ts : ts };
      } catch (err) {
        throw toMessageSinkError(err, 'chat.update');
      }
    },
  };

  /**
   * files.uploadV2 (files.getUploadURLExternal, the upload, files.completeUploadExternal with
   * channel_id and thread_ts). It does not reliably answer with the ts of the message that shares
   * the file (platform-facts.md), so the thread's ts is what the outbox records.
   */
  async function uploadChart(channelId: string, chart: ChartAttachment, threadTs: string | undefined): Promise<PostResult> {
    if (threadTs === undefined) throw new MessageSinkError('permanent', 'a chart goes into the thread of a message, and none was given');
    let png: Buffer;
    try {
      png = renderChart(chart.chart);
    } catch (err) {
      throw new MessageSinkError('permanent', `the chart could not be drawn: ${err instanceof Error ? err.message : String(err)}`, { slackError: 'chart_render_failed', cause: err });
    }
    try {
      const result = await client.files.uploadV2({ channel_id: channelId, thread_ts: threadTs, file: png, filename: chart.filename, title: chart.title, alt_text: chart.altText });
      return { ts: fileIdOf(result) ?? threadTs, channel: channelId };
    } catch (err) {
      throw toMessageSinkError(err, 'files.uploadV2');
    }
  }
}

/** files.uploadV2 answers with one completeUploadExternal result per upload, each listing its files. */
function fileIdOf(result: unknown): string | null {
  const completions = (result as { files?: { files?: { id?: unknown }[] }[] }).files;
  const id = completions?.[0]?.files?.[0]?.id;
  return typeof id === 'string' ? id : null;
}

const BLOCK_ERRORS = new Set(['invalid_blocks', 'invalid_blocks_format', 'msg_blocks_too_long']);
// Slack's platform errors that mean "our side is down, try again", not "your request is wrong".
const SERVER_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Maps whatever the Web API client threw to a MessageSinkError (the original kept as `cause`). */
export function toMessageSinkError(err: unknown, method = 'Web API call'): MessageSinkError {
  if (err instanceof MessageSinkError) return err;
  if (err instanceof webApi.WebAPIRateLimitedError || hasCode(err, webApi.ErrorCode.RateLimitedError)) {
    const seconds = Number((err as { retryAfter?: unknown }).retryAfter);
    const retryAfterMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000;
    return new MessageSinkError('rate_limited', `${method}: rate limited, retry after ${retryAfterMs / 1000}s`, { retryAfterMs, slackError: 'ratelimited', cause: err });
  }
  if (err instanceof webApi.WebAPIHTTPError || hasCode(err, webApi.ErrorCode.HTTPError)) {
    const status = Number((err as { statusCode?: unknown }).statusCode);
    const code = status >= 500 || status === 408 ? 'server_error' : 'permanent';
    return new MessageSinkError(code, `${method}: HTTP ${status}`, { slackError: `http_${status}`, cause: err });
  }
  if (err instanceof webApi.WebAPIRequestError || hasCode(err, webApi.ErrorCode.RequestError)) {
    const original = (err as { original?: { message?: unknown } }).original;
    return new MessageSinkError('network', `${method}: request failed: ${String(original?.message ?? (err as Error).message)}`, { cause: err });
  }
  if (err instanceof webApi.WebAPIPlatformError || hasCode(err, webApi.ErrorCode.PlatformError)) {
    const data = (err as { data?: { error?: unknown; response_metadata?: { retryAfter?: unknown } } }).data;
    const slackError = typeof data?.error === 'string' ? data.error : 'unknown_error';
    if (BLOCK_ERRORS.has(slackError)) return new MessageSinkError('invalid_blocks', `${method}: ${slackError}`, { slackError, cause: err });
    if (SERVER_ERRORS.has(slackError)) return new MessageSinkError('server_error', `${method}: ${slackError}`, { slackError, cause: err });
    if (slackError === 'ratelimited' || slackError === 'rate_limited') {
      const seconds = Number(data?.response_metadata?.retryAfter);
      const retryAfterMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000;
      return new MessageSinkError('rate_limited', `${method}: ${slackError}`, { retryAfterMs, slackError, cause: err });
    }
    return new MessageSinkError('permanent', `${method}: ${slackError}`, { slackError, cause: err });
  }
  // Anything else (a bug, an unexpected throw): retried with backoff up to maxAttempts.
  const message = err instanceof Error ? err.message : String(err);
  return new MessageSinkError('network', `${method}: ${message}`, { cause: err });
}

function hasCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

function silentLogger(): webApi.Logger {
  let level = webApi.LogLevel.ERROR;
  return {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: () => {},
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
