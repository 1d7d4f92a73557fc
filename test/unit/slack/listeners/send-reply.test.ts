// sendReply: what goes to the response_url, and the safety net for a message Slack would refuse.
import type { RespondArguments, RespondFn } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { sendReply } from '../../../../src/slack/listeners/send-reply.js';
import type { KnownBlock } from '../../../../src/slack/render/block-kit-limits.js';
import { captureLogger } from '../bolt-test-kit.js';

function recorder(): { respond: RespondFn; sent: (string | RespondArguments)[] } {
  const sent: (string | RespondArguments)[] = [];
  const respond = (async (message: string | RespondArguments) => {
    sent.push(message);
    return new Response('ok');
  }) as RespondFn;
  return { respond, sent };
}

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('sendReply', () => {
  it('sends text and blocks with the response type (and replace_original when given)', async () => {
    const { respond, sent } = recorder();
    const { logger } = captureLogger();
    expect(await sendReply(respond, { text: 'hi', blocks: [section('hi')] }, { responseType: 'in_channel' }, logger)).toBe(true);
    expect(await sendReply(respond, { text: 'hi', blocks: [] }, { responseType: 'ephemeral', replaceOriginal: false }, logger)).toBe(true);
    expect(sent).toEqual([
      { response_type: 'in_channel', text: 'hi', blocks: [section('hi')] },
      { response_type: 'ephemeral', replace_original: false, text: 'hi', blocks: [] },
    ]);
  });

  it('a message over a Block Kit limit goes out as its plain text, and the problems are logged', async () => {
    const { respond, sent } = recorder();
    const { logger, lines } = captureLogger();
    const blocks = Array.from({ length: 51 }, (_, i) => section(`line ${i}`));
    expect(await sendReply(respond, { text: 'fallback', blocks }, { responseType: 'ephemeral' }, logger)).toBe(true);
    expect(sent).toEqual([{ response_type: 'ephemeral', text: 'fallback' }]);
    expect(lines[0]).toMatchObject({ level: 50, msg: 'Rendered message breaks Block Kit limits: sending its text only', problems: ['blocks: 51 blocks, more than 50 in a message'] });
  });

  it('never throws: a failed respond is logged and reported as false', async () => {
    const { logger, lines } = captureLogger();
    const failing = (async () => {
      throw new Error('expired_url');
    }) as RespondFn;
    expect(await sendReply(failing, { text: 'x', blocks: [] }, { responseType: 'ephemeral' }, logger)).toBe(false);
    expect(lines[0]).toMatchObject({ level: 50, msg: 'Could not answer through the response_url', err: { message: 'expired_url' } });
  });
});
