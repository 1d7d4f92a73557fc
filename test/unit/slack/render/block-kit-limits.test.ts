import { describe, expect, it } from 'vitest';
import {
  BLOCK_KIT_LIMITS,
  checkBlockKitLimits,
  escapeMrkdwn,
  fitBlocks,
  fitList,
  type KnownBlock,
  type SlackMessage,
  truncateMrkdwn,
} from '../../../../src/slack/render/block-kit-limits.js';
import { truncate } from '../../../../src/format/truncate.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function section(text: string, extra: Partial<KnownBlock> = {}): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text }, ...extra } as KnownBlock;
}

function button(text: string, actionId: string, value = 'v'): { type: 'button'; text: { type: 'plain_text'; text: string }; action_id: string; value: string } {
  return { type: 'button', text: { type: 'plain_text', text }, action_id: actionId, value };
}

function msg(blocks: KnownBlock[], text = 'fallback'): SlackMessage {
  return { text, blocks };
}

describe('checkBlockKitLimits', () => {
  it('accepts a message inside every limit', () => {
    const message = msg([
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
      section('s'.repeat(3000)),
      { type: 'section', fields: Array.from({ length: 10 }, () => ({ type: 'mrkdwn' as const, text: 'f'.repeat(200) })) },
      { type: 'context', elements: Array.from({ length: 10 }, (_, i) => ({ type: 'mrkdwn' as const, text: `c${i}` })) },
      {
        type: 'actions',
        block_id: 'b'.repeat(255),
        elements: [
          {
            ...button('x'.repeat(75), 'a'.repeat(255), 'v'.repeat(2000)),
            confirm: { title: { type: 'plain_text', text: 't'.repeat(100) }, text: { type: 'mrkdwn', text: 'y'.repeat(300) }, confirm: { type: 'plain_text', text: 'c'.repeat(30) }, deny: { type: 'plain_text', text: 'd'.repeat(30) } },
          },
        ],
      },
    ]);
    expect(checkBlockKitLimits(message)).toEqual([]);
  });

  it('names each limit one character over', () => {
    const problems = checkBlockKitLimits(
      msg([
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        section('s'.repeat(3001)),
        { type: 'section', fields: Array.from({ length: 11 }, (_, i) => ({ type: 'mrkdwn' as const, text: i === 0 ? 'f'.repeat(2001) : 'f' })) },
        { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn' as const, text: 'c' })) },
        {
          type: 'actions',
          block_id: 'b'.repeat(256),
          elements: [
            {
              ...button('x'.repeat(76), 'a'.repeat(256), 'v'.repeat(2001)),
              confirm: { title: { type: 'plain_text', text: 't'.repeat(101) }, text: { type: 'mrkdwn', text: 'y'.repeat(301) }, confirm: { type: 'plain_text', text: 'c'.repeat(31) }, deny: { type: 'plain_text', text: 'd'.repeat(31) } },
            },
          ],
        },
      ]),
    );
    expect(problems).toEqual([
      'blocks[0] (header): text has 151 characters, more than 150',
      'blocks[1] (section): text has 3001 characters, more than 3000',
      'blocks[2] (section): 11 fields, more than 10',
      'blocks[2] (section): fields[0] has 2001 characters, more than 2000',
      'blocks[3] (context): 11 elements, more than 10',
      'blocks[4] (actions): block_id has 256 characters, more than 255',
      'blocks[4] (actions): elements[0]: action_id has 256 characters, more than 255',
      'blocks[4] (actions): elements[0].text has 76 characters, more than 75',
      'blocks[4] (actions): elements[0]: value has 2001 characters, more than 2000',
      'blocks[4] (actions): elements[0].confirm.title has 101 characters, more than 100',
      'blocks[4] (actions): elements[0].confirm.text has 301 characters, more than 300',
      'blocks[4] (actions): elements[0].confirm.confirm has 31 characters, more than 30',
      'blocks[4] (actions): elements[0].confirm.deny has 31 characters, more than 30',
    ]);
  });

  it('limits blocks per surface: 50 in a message, 100 in a modal', () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' as const }));
    expect(checkBlockKitLimits(msg(blocks))).toEqual(['blocks: 51 blocks, more than 50 in a message']);
    expect(checkBlockKitLimits(msg(blocks), 'modal')).toEqual([]);
    const many = Array.from({ length: 101 }, () => ({ type: 'divider' as const }));
    expect(checkBlockKitLimits(msg(many), 'modal')).toEqual(['blocks: 101 blocks, more than 100 in a modal']);
  });

  it('limits actions to 25 elements and wants action_ids unique within a block', () => {
    const elements = Array.from({ length: 26 }, (_, i) => button(`b${i}`, `a${i}`));
    expect(checkBlockKitLimits(msg([{ type: 'actions', elements }]))).toEqual(['blocks[0] (actions): 26 elements, more than 25']);
    const dup = checkBlockKitLimits(msg([{ type: 'actions', elements: [button('one', 'same'), button('two', 'same')] }]));
    expect(dup).toEqual(['blocks[0] (actions): elements[1]: action_id "same" is also used by elements[0]']);
  });

  it('catches msg_blocks_too_long well below the per-block limits (JSON over 12000)', () => {
    const blocks = Array.from({ length: 5 }, () => section('x'.repeat(2500)));
    const problems = checkBlockKitLimits(msg(blocks));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^blocks: \d+ characters of JSON, more than 12000 \(msg_blocks_too_long\)$/);
    // A modal has no such limit.
    expect(checkBlockKitLimits(msg(blocks), 'modal')).toEqual([]);
  });

  it('wants unique block_ids, non-empty texts and a fallback text of at most 40000', () => {
    const problems = checkBlockKitLimits({
      text: ' ',
      blocks: [
        section('a', { block_id: 'x' }),
        section('', { block_id: 'x' }),
        { type: 'header', text: { type: 'mrkdwn', text: 'h' } } as unknown as KnownBlock,
        { type: 'section' } as KnownBlock,
        { type: 'context', elements: [{ type: 'plain_text', text: '' }] },
        { type: 'actions', elements: [button('', 'a')] },
      ],
    });
    expect(problems).toEqual([
      'text: the plain-text fallback is empty',
      'blocks[1] (section): block_id "x" is also used by blocks[0]',
      'blocks[1] (section): text is empty',
      'blocks[2] (header): text must be plain_text, not mrkdwn',
      'blocks[3] (section): needs text or fields',
      'blocks[4] (context): elements[0] is empty',
      'blocks[5] (actions): elements[0].text is empty',
    ]);
    expect(checkBlockKitLimits(msg([], 'x'.repeat(40_001)))).toEqual(['text: 40001 characters, more than 40000']);
  });

  it('checks a section accessory button like any other', () => {
    const problems = checkBlockKitLimits(msg([section('s', { accessory: button('x'.repeat(80), 'a') } as Partial<KnownBlock>)]));
    expect(problems).toEqual(['blocks[0] (section): accessory[0].text has 80 characters, more than 75']);
  });
});

describe('truncate', () => {
  it('leaves text within the limit alone and cuts longer text to exactly the limit with an ellipsis', () => {
    expect(truncate('hello', 5)).toBe('hello');
    expect(truncate('hello world', 8)).toBe('hello w…');
    const long = truncate('x'.repeat(10_000), 3000);
    expect(long).toHaveLength(3000);
    expect(long.endsWith('…')).toBe(true);
    expect(truncate('anything', 0)).toBe('');
    expect(truncate('ab', 1)).toBe('…');
  });

  it('never splits a surrogate pair (emoji outside the BMP)', () => {
    const emoji = '😀'.repeat(100); // 200 UTF-16 units
    for (let max = 1; max <= 20; max++) {
      const cut = truncate(emoji, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(LONE_SURROGATE.test(cut)).toBe(false);
    }
    // 4 units: one emoji (2) + ellipsis (1) fits, a second would not.
    expect(truncate(emoji, 4)).toBe('😀…');
  });

  it('keeps grapheme clusters whole: a ZWJ family and a flag are cut before, not inside', () => {
    const family = '👩‍👩‍👧'; // 8 units
    expect(truncate(`ab${family}cd`, 9)).toBe('ab…');
    expect(truncate(`ab${family}cd`, 11)).toBe(`ab${family}…`);
    const flag = '🇩🇪';
    expect(truncate(`${flag}${flag}`, 4)).toBe('…');
    // 7 units: the first flag (4) fits, half of the second (one regional indicator) would too.
    expect(truncate(`${flag}${flag}`, 7)).toBe(`${flag}…`);
  });

  it('counts UTF-16 units, so a name of accented and CJK characters stays within the limit', () => {
    const name = 'ÜberGrößeワーカー'.repeat(20);
    const cut = truncate(name, 75);
    expect(cut.length).toBeLessThanOrEqual(75);
    expect(cut.endsWith('…')).toBe(true);
  });
});

describe('escapeMrkdwn', () => {
  it('escapes &, < and > so a container name cannot mention the channel', () => {
    expect(escapeMrkdwn('<!channel> & <@U123> > x')).toBe('&lt;!channel&gt; &amp; &lt;@U123&gt; &gt; x');
    expect(escapeMrkdwn('*bold* _it_ `code` :smile:')).toBe('*bold* _it_ `code` :smile:');
    expect(escapeMrkdwn('&lt;')).toBe('&amp;lt;');
  });
});

describe('truncateMrkdwn', () => {
  it('never leaves half an entity or an unclosed <...> token', () => {
    const escaped = escapeMrkdwn('<'.repeat(50));
    for (let max = 2; max < 40; max++) {
      const cut = truncateMrkdwn(escaped, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut).toMatch(/^(&lt;)*…$/);
    }
    const dated = `since <!date^1761555600^{date_short_pretty} {time}|2025-10-27 09:00 UTC> and more`;
    expect(truncateMrkdwn(dated, 30)).toBe('since …');
  });
});

describe('fitList', () => {
  it('shows everything that fits, else max-1 items and "…and N more"', () => {
    const render = (n: number) => `item ${n}`;
    expect(fitList([1, 2, 3], 3, render)).toEqual(['item 1', 'item 2', 'item 3']);
    expect(fitList([1, 2, 3, 4], 3, render)).toEqual(['item 1', 'item 2', '…and 2 more']);
    const many = fitList(Array.from({ length: 200 }, (_, i) => i), 10, render);
    expect(many).toHaveLength(10);
    expect(many[9]).toBe('…and 191 more');
    expect(fitList([], 5, render)).toEqual([]);
  });
});

describe('fitBlocks', () => {
  it('keeps head and tail, adds items while the block count and JSON size allow, and says how many are left', () => {
    const items = Array.from({ length: 200 }, (_, i) => section(`recommendation ${i} ${'x'.repeat(200)}`));
    const head = [section('head')];
    const tail = [section('tail')];
    const blocks = fitBlocks(head, items, tail, (n) => ({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${n} more` }] }));
    expect(blocks[0]).toEqual(head[0]);
    expect(blocks.at(-1)).toEqual(tail[0]);
    const more = blocks.at(-2) as { elements: { text: string }[] };
    const shown = blocks.length - 3;
    expect(more.elements[0]?.text).toBe(`…and ${200 - shown} more`);
    expect(checkBlockKitLimits(msg(blocks))).toEqual([]);
    expect(JSON.stringify(blocks).length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.messageBlocksJson);

    const few = fitBlocks(head, items.slice(0, 3), [], () => section('more'));
    expect(few).toEqual([head[0], ...items.slice(0, 3)]);
    const byCount = fitBlocks([], Array.from({ length: 80 }, () => ({ type: 'divider' as const })), [], () => section('more'));
    expect(byCount).toHaveLength(50);
  });
});
