// The digest chart: a real PNG of the expected size (signature and IHDR read back), text drawn
// with the packaged font (no system fonts are loaded), names escaped, the time axis in the
// digest's zone. docs/digest-chart.png is this fixture's chart (rewritten with UPDATE_GOLDEN=1).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChartSvg, CHART_HEIGHT, CHART_WIDTH, niceStep, rasteriseSvg, renderChartPng, timeTicks } from '../../../src/digest/chart.js';
import { buildDigest } from '../../../src/digest/build-digest.js';
import type { DigestChartData } from '../../../src/model/chart.js';
import { loadDigestData } from '../../../src/digest/load-digest.js';
import { closeDatabase, type Database, openDatabase } from '../../../src/store/database.js';
import { GiB, MiB, makeTempDir } from '../store/make-snapshot.js';
import { FIXTURE_LEAK, fixtureFindings, HOUR, NOW, seedDigestFixture, TZ } from './digest-fixture.js';
import { pngSize } from './png.js';

const DOCS_CHART = new URL('../../../docs/digest-chart.png', import.meta.url);

describe('digest chart', () => {
  const temp = makeTempDir();
  let db: Database;
  let chart: DigestChartData;
  beforeAll(() => {
    db = openDatabase(join(temp.dir, 'memwarden.db'));
    seedDigestFixture(db);
    chart = buildDigest(loadDigestData(db, { now: NOW, tz: TZ, hostname: 'box', findings: fixtureFindings(), leak: FIXTURE_LEAK })).chart;
  });
  afterAll(() => {
    closeDatabase(db);
    temp.remove();
  });

  it('is a PNG of 1200 × 600', () => {
    const png = renderChartPng(chart);
    expect(pngSize(png)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
    expect([CHART_WIDTH, CHART_HEIGHT]).toEqual([1200, 600]);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(DOCS_CHART, png);
  });

  it('scales to another width', () => {
    expect(pngSize(renderChartPng(chart, { width: 600 }))).toEqual({ width: 600, height: 300 });
  });

  it('docs/digest-chart.png is the fixture chart, ready to commit', () => {
    expect(existsSync(DOCS_CHART), 'run with UPDATE_GOLDEN=1 to write docs/digest-chart.png').toBe(true);
    expect(pngSize(readFileSync(DOCS_CHART))).toEqual({ width: 1200, height: 600 });
  });

  it('draws text with the packaged font, whatever fonts the system has', () => {
    const svg = (body: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="#fff"/>${body}</svg>`;
    const inked = (pixels: Buffer) => {
      let n = 0;
      for (let i = 0; i < pixels.length; i += 4) if ((pixels[i] as number) < 128) n += 1;
      return n;
    };
    expect(inked(rasteriseSvg(svg('')).pixels)).toBe(0);
    // A family nobody has: drawn with the packaged default (Inter), not skipped.
    expect(inked(rasteriseSvg(svg('<text x="5" y="28" font-size="24" font-family="Inter" fill="#000">9 GiB</text>')).pixels)).toBeGreaterThan(100);
    expect(inked(rasteriseSvg(svg('<text x="5" y="28" font-size="24" font-weight="bold" font-family="NoSuchFont" fill="#000">09:00</text>')).pixels)).toBeGreaterThan(100);
  });

  it('has a title, axis labels, a legend with limits, and the time axis in the digest zone', () => {
    const svg = buildChartSvg(chart);
    expect(svg).toContain('Memory on box, 24 hours to 2025-10-27');
    expect(svg).toContain('Host (GiB)');
    expect(svg).toContain('Containers (GiB)');
    expect(svg).toContain('Time (Europe/Berlin)');
    expect(svg).toContain('RAM 16 GiB');
    expect(svg).toContain('peak 2.6 GiB · limit 3 GiB');
    expect(svg).toContain('peak 1.54 GiB · no limit');
    // Dashed limit lines: the host's RAM and the four container limits.
    expect(svg.match(/stroke-dasharray="8 5"/g)).toHaveLength(5);
    // 09:00 CET on both ends (08:00 UTC), every 3 hours.
    expect(timeTicks(chart.from, chart.to, TZ).map((t) => t.label)).toEqual(['09:00', '12:00', '15:00', '18:00', '21:00', '00:00', '03:00', '06:00', '09:00']);
  });

  it('escapes names and leaves no line across a gap', () => {
    const hostile: DigestChartData = {
      ...chart,
      title: 'Memory on <script>&"x"',
      containers: [{ label: '</text><image href="file:///etc/passwd"/>', limitBytes: 64 * GiB, points: [{ t: NOW - 20 * HOUR, v: 100 * MiB }, { t: NOW - 19.9 * HOUR, v: 110 * MiB }, { t: NOW - 2 * HOUR, v: 120 * MiB }] }],
    };
    const svg = buildChartSvg(hostile);
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<image');
    expect(svg).toContain('(off scale)');
    // Two runs: one path before the 18-hour gap, one after.
    expect(svg.match(/<path d="M[^"]*" fill="none" stroke="#E69F00"/g)).toHaveLength(2);
    expect(pngSize(renderChartPng(hostile))).toEqual({ width: 1200, height: 600 });
  });

  it('renders an empty day', () => {
    const empty: DigestChartData = { ...chart, host: { ...chart.host, points: [] }, containers: [] };
    expect(buildChartSvg(empty)).toContain('nothing recorded');
    expect(pngSize(renderChartPng(empty))).toEqual({ width: 1200, height: 600 });
  });
});

describe('chart scales', () => {
  it('ticks on 1, 2, 2.5, 4 or 5 times a power of ten', () => {
    expect([0.3, 1, 1.5, 2.2, 3.9, 4.5, 7, 12].map(niceStep)).toEqual([0.4, 1, 2, 2.5, 4, 5, 10, 20]);
  });

  it('follows a DST change: on the spring-forward day the ticks are still full local hours', () => {
    // 2026-03-29 in Berlin: 02:00 CET -> 03:00 CEST.
    const from = Date.parse('2026-03-28T23:00:00Z');
    const ticks = timeTicks(from, from + 24 * HOUR, 'Europe/Berlin');
    // That day has 23 hours, so 24 hours from its midnight reach past the next one.
    expect(ticks.map((t) => t.label)).toEqual(['00:00', '03:00', '06:00', '09:00', '12:00', '15:00', '18:00', '21:00', '00:00']);
    expect(ticks.at(-1)?.date).toBe('30 Mar');
    expect(ticks[1]?.t).toBe(Date.parse('2026-03-29T01:00:00Z'));
    expect(ticks[0]?.date).toBe('29 Mar');
  });
});
