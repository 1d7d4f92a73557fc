// Where the outbox dispatcher sends messages: Slack's Web API (web-api-sink.ts) or the terminal in
// console mode (console-sink.ts). A sink makes one attempt per call and never retries: the
// outbox owns retries, ordering and rate limits. Its errors say what kind of failure it was, so
// the dispatcher can tell "try again later" from "never".
import type { SlackMessage } from '../render/block-kit-limits.js';

export interface PostResult {
  /** The message's ts: what chat.update and thread replies refer to. */
  ts: string;
  /** The channel id as Slack answered (a post may name the channel, chat.update needs the id). */
  channel: string;
}

export interface MessageSink {
  /** chat.postMessage; a thread reply when `threadTs` is given. A message without blocks is sent as text alone. */
  post(channel: string, message: SlackMessage, threadTs?: string): Promise<PostResult>;
  /** chat.update of the message `ts` in `channel` (an id). */
  update(channel: string, ts: string, message: SlackMessage): Promise<{ ts: string }>;
}

/**
 * - rate_limited: Slack answered 429; try again after `retryAfterMs`, exactly.
 * - server_error: HTTP 5xx or Slack's internal errors; back off and retry.
 * - network: no answer (DNS, reset, timeout); back off and retry.
 * - invalid_blocks: Slack refused the blocks (invalid_blocks, msg_blocks_too_long); resend as text.
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
