// What an outbox row carries, read back the way the sinks read it: its one line of text, or the
// Slack message the Web API sink would send.
import { contentOf, contentText } from '../../../src/delivery/outbox-content.js';
import type { SlackMessage } from '../../../src/slack/render/block-kit-limits.js';
import { renderNotice } from '../../../src/slack/render/render-notice.js';

export function payloadText(payload: unknown): string {
  const content = contentOf(payload);
  if (content === null) throw new Error(`not an outbox payload: ${JSON.stringify(payload)}`);
  return contentText(content);
}

export function payloadSlackMessage(payload: unknown): SlackMessage {
  const content = contentOf(payload);
  if (content === null) throw new Error(`not an outbox payload: ${JSON.stringify(payload)}`);
  if ('notice' in content) {
    const { text, blocks } = renderNotice(content.notice);
    return { text, blocks };
  }
  if ('legacy' in content) return { text: content.legacy.text, blocks: content.legacy.blocks as SlackMessage['blocks'] };
  throw new Error('a chart is not a message');
}
