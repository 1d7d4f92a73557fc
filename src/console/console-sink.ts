// Console mode (no Slack token): the outbox delivers to the terminal instead. Each notice is
// printed as text (render-notice.ts) under a line that says where it would have gone, thread
// replies indented, so an operator sees exactly what memwarden would have posted, in the same
// order. A chart is written as a PNG under the data directory and its path printed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OutboxContent } from '../delivery/outbox-content.js';
import type { MessageSink, PostResult, SendOptions } from '../delivery/sink.js';
import { CHART_HEIGHT, CHART_WIDTH, renderChartPng } from '../digest/chart.js';
import type { DigestChartData } from '../model/chart.js';
import { plainText, renderNoticeText } from './render-notice.js';

export interface ConsoleSinkOptions {
  /** Where charts are written (the data directory). */
  chartDir: string;
  /** Draws a chart as a PNG; a fake in tests. */
  renderChart?: (chart: DigestChartData) => Buffer;
}

export function createConsoleSink(out: (text: string) => void, options: ConsoleSinkOptions): MessageSink {
  const renderChart = options.renderChart ?? renderChartPng;
  let next = 0;
  const text = (content: OutboxContent, plain: boolean): string => {
    if ('notice' in content) return plain ? plainText(content.notice.summary) : renderNoticeText(content.notice);
    if ('legacy' in content) return content.legacy.text;
    return content.chart.title;
  };
  return {
    post(channel: string, content: OutboxContent, send: SendOptions = {}): Promise<PostResult> {
      next += 1;
      const ts = `console-${next}`;
      if ('chart' in content) {
        const folder = resolve(options.chartDir);
        mkdirSync(folder, { recursive: true });
        const path = join(folder, content.chart.filename);
        writeFileSync(path, renderChart(content.chart.chart));
        out(`    ↳ chart in ${channel}, thread ${send.threadTs ?? '?'}: ${path} (${CHART_WIDTH}×${CHART_HEIGHT} PNG)`);
        return Promise.resolve({ ts, channel });
      }
      const reply = send.threadTs !== undefined;
      const heading = reply ? `↳ reply in ${channel}, thread ${send.threadTs} (${ts})` : `── ${channel} (${ts}) ──`;
      out(indented([heading, text(content, send.plain === true)].join('\n'), reply ? '    ' : ''));
      return Promise.resolve({ ts, channel });
    },
    update(channel: string, ts: string, content: OutboxContent, send: Pick<SendOptions, 'plain'> = {}): Promise<{ ts: string }> {
      out([`── ${channel} (${ts}, updated) ──`, text(content, send.plain === true)].join('\n'));
      return Promise.resolve({ ts });
    },
  };
}

function indented(text: string, indent: string): string {
  return text
    .split('\n')
    .map((line) => `${indent}${line}`)
    .join('\n');
}
