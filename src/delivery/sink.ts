// Where the outbox dispatcher sends what it carries: Slack's Web API (slack/delivery/web-api-sink.ts)
// or the terminal in console mode (console/console-sink.ts). A sink renders the content for its
// platform, makes one attempt per call and never retries: the outbox owns retries, ordering and
// rate limits. Its errors say what kind of failure it was, so the dispatcher can tell "try again
// later" from "never".
import type { OutboxContent } from './outbox-content.js';

export interface PostResult {
  /** The message's ts: what chat.update and thread replies refer to. */
  ts: string;
  /** The channel id as Slack answered (a post may name the channel, chat.update needs the id). */
  channel: string;
}

export interface SendOptions {
  /** Post into the thread of this message (a reply; a chart always goes into a thread). */
  threadTs?: string;
  /** Send the content's one-line summary alone: the platform refused its full form once. */
  plain?: boolean;
}

export interface MessageSink {
  /** A new message, or a reply in a thread (options.threadTs). */
  post(channel: string, content: OutboxContent, options?: SendOptions): Promise<PostResult>;
  /** Replaces the message `ts` in `channel` (an id) with `content`. */
  update(channel: string, ts: string, content: OutboxContent, options?: Pick<SendOptions, 'plain'>): Promise<{ ts: string }>;
}

/**
 * - rate_limited: Slack answered 429; try again after `retryAfterMs`, exactly.
 * - server_error: HTTP 5xx or Slack's internal errors; back off and retry.
 * - network: no answer (DNS, reset, timeout); back off and retry.
 * - invalid_blocks: the platform refused the message's form (Slack: invalid_blocks, msg_blocks_too_long); resend as text.
 * - permanent: anything else (channel_not_found, not_in_channel, invalid_auth, ...); never retried.
 */
export type MessageSinkErrorCode = 'rate_limited' | 'server_error' | 'network' | 'invalid_blocks' | 'permanent';

export class MessageSinkError extends Error {
  override readonly name = 'MessageSinkError';
  readonly retryAfterMs: number | undefined;
  /** Slack's error string ("channel_not_found") or the HTTP status, when there was one. */
  readonly slackError: string | undefined;

  constructor(
    readonly code: MessageSinkErrorCode,
    message: string,
    options: { retryAfterMs?: number; slackError?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
    this.slackError = options.slackError;
  }
}

export function isMessageSinkError(err: unknown): err is MessageSinkError {
  return err instanceof MessageSinkError;
}
