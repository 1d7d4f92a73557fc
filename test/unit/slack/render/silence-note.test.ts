// The silence notes the channel sees (golden file: regenerate with UPDATE_GOLDEN=1 and review),
// within Slack's limits for hostile input, mentioning only the people memwarden names itself.
import { describe, expect, it } from 'vitest';
import type { SilenceRow } from '../../../../src/slack/render/command-rows.js';
import { renderSilenceEndedNote, renderSilenceNote } from './rendered-notices.js';
import { allTexts, expectConsoleGolden, expectGolden, expectWithinLimits } from './render-kit.js';
import { silenceEndedNotice, silenceNotice } from '../../../../src/alerts/silence-notices.js';

const T0 = Date.parse('2025-10-27T09:00:00.000Z');
const HOUR = 3_600_000;

const onAlert: SilenceRow = { id: 3, ruleId: 'container-near-limit', target: 'bizcard-celery-worker', until: T0 + 4 * HOUR, createdBy: 'U0BOB0001', reason: 'deploying the new worker image' };
const ruleWide: SilenceRow = { id: 4, ruleId: 'memory-leak-suspected', target: null, until: T0 + 48 * HOUR, createdBy: 'U0ADMIN01', reason: 'known leak, fixed in Monday’s release' };

describe('silence notes', () => {
  it('say who silenced what, until when and why, and who ended a silence early', () => {
    const messages = {
      silenced: renderSilenceNote({ silence: onAlert, duration: '4h' }),
      ruleWide: renderSilenceNote({ silence: ruleWide, duration: '2d' }),
      ended: renderSilenceEndedNote(onAlert, 'U0CAROL01'),
    };
    expectWithinLimits(...Object.values(messages));
    expectGolden('silence-notes', messages);
    expectConsoleGolden('silence-notes', {
      silenced: silenceNotice({ silence: onAlert, duration: '4h' }),
      ruleWide: silenceNotice({ silence: ruleWide, duration: '2d' }),
      ended: silenceEndedNotice(onAlert, 'U0CAROL01'),
    });
  });

  it('stay within limits for hostile names and reasons, and notify no one the text names', () => {
    const evil = '<!channel> <@U0EVIL001> \u001b[2J\u202e' + '😀'.repeat(2000);
    const row: SilenceRow = { id: 5, ruleId: evil, target: evil, until: T0 + HOUR, createdBy: '<!here>', reason: evil };
    for (const message of [renderSilenceNote({ silence: row, duration: '1h' }), renderSilenceEndedNote(row, evil)]) {
      expectWithinLimits(message);
      for (const text of allTexts(message)) for (const token of text.match(/<[^>]*>/g) ?? []) expect(token).toMatch(/^<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]*>$/);
    }
  });
});
