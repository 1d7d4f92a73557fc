// What the Slack renderer tests share: golden files (regenerate with UPDATE_GOLDEN=1 and review
// the diff), the Block Kit limits check, and every text a person would read in a message.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { renderNoticeText } from '../../../../src/console/render-notice.js';
import type { Notice } from '../../../../src/model/notice.js';
import { checkBlockKitLimits, type SlackMessage } from '../../../../src/slack/render/block-kit-limits.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/golden/slack');
const CONSOLE_GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/golden/console');

/** `actual` equals test/fixtures/golden/slack/<name>.json (written instead with UPDATE_GOLDEN=1). */
export function expectGolden(name: string, actual: unknown): void {
  const file = join(GOLDEN_DIR, `${name}.json`);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, text);
  }
  expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}

/**
 * The same notices as console mode prints them equal test/fixtures/golden/console/<name>.txt
 * (written instead with UPDATE_GOLDEN=1): plain words, no Slack markup.
 */
export function expectConsoleGolden(name: string, notices: Record<string, Notice>): void {
  const file = join(CONSOLE_GOLDEN_DIR, `${name}.txt`);
  const text = `${Object.entries(notices)
    .map(([key, notice]) => `== ${key} ==\n${renderNoticeText(notice)}`)
    .join('\n\n')}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(CONSOLE_GOLDEN_DIR, { recursive: true });
    writeFileSync(file, text);
  }
  expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(text).toBe(readFileSync(file, 'utf8'));
  // Console text carries no Slack markup: no mrkdwn tokens, no entities.
  expect(text).not.toMatch(/<!|<@|&lt;|&gt;|&amp;|\*[^*\s][^*]*\*/);
}

export function expectWithinLimits(...messages: SlackMessage[]): void {
  for (const message of messages) expect(checkBlockKitLimits(message), message.text).toEqual([]);
}

/** Every mrkdwn and plain_text string of a message, and its fallback text. */
export function allTexts(message: SlackMessage): string[] {
  const out: string[] = [message.text];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      if ((record.type === 'mrkdwn' || record.type === 'plain_text') && typeof record.text === 'string') out.push(record.text);
      Object.values(record).forEach(walk);
    }
  };
  walk(message.blocks);
  return out;
}
