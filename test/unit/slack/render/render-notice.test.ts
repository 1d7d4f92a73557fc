// The Slack renderer of notices: outside text is escaped and can never mention or format, only
// validated ids become mentions and links, dates carry their UTC fallback, and whatever a notice
// holds, the message stays within Block Kit's limits.
import { describe, expect, it } from 'vitest';
import type { Notice } from '../../../../src/model/notice.js';
import { checkBlockKitLimits } from '../../../../src/slack/render/block-kit-limits.js';
import { mrkdwn, renderNotice } from '../../../../src/slack/render/render-notice.js';

describe('renderNotice', () => {
  it('escapes outside text, so a name cannot notify, link or hide anything', () => {
    expect(mrkdwn(['<!channel> & <@U1> <https://x.test|y>'])).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://x.test|y&gt;');
    expect(mrkdwn(['evil\u202egnp.exe'])).toBe('evil\\u202egnp.exe');
  });

  it('writes memwarden’s own emphasis, code, blocks, mentions of valid ids, channels and dates', () => {
    expect(mrkdwn([{ strong: 'Diagnosis:' }, ' ', { em: ['high · ', { code: 'set-memory-limit' }] }])).toBe('*Diagnosis:* _high · `set-memory-limit`_');
    expect(mrkdwn([{ pre: 'a ``` b\n<c>' }])).toBe('```a ˋˋˋ b\n&lt;c&gt;```');
    expect(mrkdwn([{ user: 'U0123ABCD' }, ' ', { user: 'not-an-id<!here>' }])).toBe('<@U0123ABCD> @not-an-id&lt;!here&gt;');
    expect(mrkdwn([{ group: 'S0ONCALL1' }, ' ', { group: '@oncall' }])).toBe('<!subteam^S0ONCALL1> @oncall');
    expect(mrkdwn([{ channel: 'C0MEMWARD' }, ' ', { channel: '#ops-memory' }])).toBe('<#C0MEMWARD> #ops-memory');
    expect(mrkdwn([{ time: Date.parse('2025-10-27T09:05:30Z') }])).toBe('<!date^1761555930^{date_short_pretty} {time}|2025-10-27 09:05 UTC>');
  });

  it('renders every block kind, buttons by kind with their row and confirm', () => {
    const notice: Notice = {
      summary: ['🔴 FIRING: x'],
      blocks: [
        { type: 'heading', text: '🔴 FIRING · <x>' },
        { type: 'text', text: ['hello'], fields: [{ label: 'Value', value: ['1'] }, { label: '', value: ['…and 2 more'] }] },
        { type: 'note', lines: [['a'], ['b']] },
        { type: 'divider' },
        {
          type: 'buttons',
          row: 'approval',
          buttons: [
            { kind: 'approve-remediation', value: 'id1', label: 'Approve', style: 'primary', confirm: { title: 'Sure?', text: ['Runs ', { strong: 'it' }], confirm: 'Run', deny: 'Cancel', danger: true } },
            { kind: 'silence-alert', value: 'f|1h', label: 'Silence 1h', variant: '1h' },
          ],
        },
      ],
    };
    const { text, blocks, problems } = renderNotice(notice);
    expect(problems).toEqual([]);
    expect(text).toBe('🔴 FIRING: x');
    expect(blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: '🔴 FIRING · &lt;x&gt;', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: 'hello' }, fields: [{ type: 'mrkdwn', text: '*Value*\n1' }, { type: 'mrkdwn', text: '…and 2 more' }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'a' }, { type: 'mrkdwn', text: 'b' }] },
      { type: 'divider' },
      {
        type: 'actions',
        block_id: 'approval_actions',
        elements: [
          {
            type: 'button',
            action_id: 'remediation_approve',
            text: { type: 'plain_text', text: 'Approve', emoji: true },
            value: 'id1',
            style: 'primary',
            confirm: {
              title: { type: 'plain_text', text: 'Sure?' },
              text: { type: 'mrkdwn', text: 'Runs *it*' },
              confirm: { type: 'plain_text', text: 'Run' },
              deny: { type: 'plain_text', text: 'Cancel' },
              style: 'danger',
            },
          },
          { type: 'button', action_id: 'alert_silence:1h', text: { type: 'plain_text', text: 'Silence 1h', emoji: true }, value: 'f|1h' },
        ],
      },
    ]);
  });

  it('cuts a long list to what fits and says how many it left out', () => {
    const items = Array.from({ length: 80 }, (_, i) => ({ type: 'text' as const, text: [`recommendation ${i} `.repeat(40)] }));
    const { blocks, problems } = renderNotice({ summary: ['x'], blocks: [{ type: 'text', text: ['head'] }, { type: 'list', noun: 'recommendation', hint: [{ code: '/mem diagnose' }, ' lists them all'], blocks: items }] });
    expect(problems).toEqual([]);
    const last = blocks.at(-1);
    expect(last?.type).toBe('context');
    expect(JSON.stringify(last)).toMatch(/…and \d+ more recommendations: `\/mem diagnose` lists them all/);
  });

  it('stays within the JSON budget when outside text escapes to much more than it counts', () => {
    const hostile = '<&>\u001b'.repeat(1000);
    const notice: Notice = {
      summary: [hostile],
      blocks: [
        { type: 'heading', text: hostile },
        ...Array.from({ length: 6 }, () => ({ type: 'text' as const, text: [hostile], fields: Array.from({ length: 10 }, () => ({ label: hostile, value: [hostile] })) })),
        { type: 'note', lines: Array.from({ length: 10 }, () => [hostile]) },
      ],
    };
    const message = renderNotice(notice);
    expect(message.problems).toEqual([]);
    expect(checkBlockKitLimits(message)).toEqual([]);
  });
});
