// The digest's chart: a PNG of the 24 hours, rendered in-process. buildChartSvg draws it as SVG
// (pure: the series in, a string out); renderChartPng rasterises that with resvg (@resvg/resvg-js,
// prebuilt Rust binaries from the npm registry, no system libraries) and the Inter font's TTF files
// from @expo-google-fonts/inter, loaded from the package, never from the system: a slim container
// has no fonts, and a host that has some must not change how the chart looks.
//
// Two panels share the time axis: the host (used memory, RAM as a dashed line) and the five
// largest containers (usage, each limit as a dashed line of its colour). Times are shown in the
// digest's zone; sizes in GiB or MiB, whichever reads better for the panel.
import { createRequire } from 'node:module';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import type { ChartSeries, DigestChartData } from '../model/chart.js';

export const CHART_WIDTH = 1200;
export const CHART_HEIGHT = 600;

const FONT = 'Inter';
const HOST_COLOR = '#1f3b73';
/** Okabe–Ito: told apart by colour-blind readers too (yellow left out: unreadable on white). */
const COLORS = ['#E69F00', '#0072B2', '#009E73', '#CC79A7', '#D55E00'];
const GRID = '#e3e6eb';
const AXIS = '#5b6270';
const TEXT = '#1d2230';
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const PLOT = { left: 84, right: 950 };
const HOST_PANEL = { top: 86, bottom: 236 };
const CONTAINER_PANEL = { top: 282, bottom: 516 };
const LEGEND_X = 978;

interface Panel {
  top: number;
  bottom: number;
}

/** The chart as an SVG document, CHART_WIDTH × CHART_HEIGHT. Pure. */
export function buildChartSvg(chart: DigestChartData): string {
  const x = (t: number) => PLOT.left + ((t - chart.from) / (chart.to - chart.from)) * (PLOT.right - PLOT.left);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" font-family="${FONT}">`,
    `<rect width="${CHART_WIDTH}" height="${CHART_HEIGHT}" fill="#ffffff"/>`,
    text(24, 36, chart.title, { size: 21, weight: 'bold' }),
    text(24, 60, `Host memory used and the ${chart.containers.length === 1 ? 'largest container' : `${chart.containers.length} largest containers`} · dashed: the host's RAM and each container's memory limit`, {
      size: 13,
      fill: AXIS,
    }),
  );

  const ticks = timeTicks(chart.from, chart.to, chart.tz);
  for (const panel of [HOST_PANEL, CONTAINER_PANEL]) {
    for (const tick of ticks) out.push(line(x(tick.t), panel.top, x(tick.t), panel.bottom, GRID));
  }

  // Host panel: used memory as a filled area, the RAM as a dashed line.
  const host = chart.host;
  const hostMax = Math.max(host.limitBytes ?? 0, ...host.points.map((p) => p.v));
  const hostScale = valueScale(hostMax, HOST_PANEL);
  out.push(...yAxis(hostScale, HOST_PANEL, 'Host'));
  if (host.points.length === 0) out.push(noData(HOST_PANEL));
  else {
    for (const run of runs(host.points)) {
      const path = run.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(x(p.t))},${fmt(hostScale.y(p.v))}`).join('');
      const first = run[0] as { t: number };
      const last = run.at(-1) as { t: number };
      out.push(`<path d="${path}L${fmt(x(last.t))},${HOST_PANEL.bottom}L${fmt(x(first.t))},${HOST_PANEL.bottom}Z" fill="${HOST_COLOR}" fill-opacity="0.12" stroke="none"/>`);
      out.push(`<path d="${path}" fill="none" stroke="${HOST_COLOR}" stroke-width="2.5" stroke-linejoin="round"/>`);
    }
  }
  if (host.limitBytes !== null) {
    const y = hostScale.y(host.limitBytes);
    out.push(line(PLOT.left, y, PLOT.right, y, HOST_COLOR, { width: 1.5, dash: '8 5' }));
    out.push(text(PLOT.right - 6, y - 6, `RAM ${formatSize(host.limitBytes)}`, { size: 12, fill: HOST_COLOR, anchor: 'end' }));
  }

  // Container panel: one line each; limits within reach of the data are drawn, others named in the legend.
  const values = chart.containers.flatMap((c) => c.points.map((p) => p.v));
  const dataMax = values.length > 0 ? Math.max(...values) : 0;
  const shownLimits = chart.containers.map((c) => (c.limitBytes !== null && c.limitBytes <= Math.max(dataMax * 3, MiB) ? c.limitBytes : null));
  const containerScale = valueScale(Math.max(dataMax, ...shownLimits.map((l) => l ?? 0)), CONTAINER_PANEL);
  out.push(...yAxis(containerScale, CONTAINER_PANEL, 'Containers'));
  if (values.length === 0) out.push(noData(CONTAINER_PANEL));
  chart.containers.forEach((c, index) => {
    const color = COLORS[index % COLORS.length] as string;
    const limit = shownLimits[index];
    if (limit !== null && limit !== undefined) {
      const y = containerScale.y(limit);
      out.push(line(PLOT.left, y, PLOT.right, y, color, { width: 1.5, dash: '8 5' }));
    }
    for (const run of runs(c.points)) {
      const path = run.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(x(p.t))},${fmt(containerScale.y(p.v))}`).join('');
      out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2.2" stroke-linejoin="round"/>`);
    }
  });

  // Time axis under the container panel.
  out.push(line(PLOT.left, CONTAINER_PANEL.bottom, PLOT.right, CONTAINER_PANEL.bottom, AXIS));
  for (const tick of ticks) {
    out.push(line(x(tick.t), CONTAINER_PANEL.bottom, x(tick.t), CONTAINER_PANEL.bottom + 5, AXIS));
    out.push(text(x(tick.t), CONTAINER_PANEL.bottom + 20, tick.label, { size: 12, fill: AXIS, anchor: 'middle' }));
    if (tick.date) out.push(text(x(tick.t), CONTAINER_PANEL.bottom + 36, tick.date, { size: 11, fill: AXIS, anchor: 'middle' }));
  }
  out.push(text((PLOT.left + PLOT.right) / 2, CHART_HEIGHT - 20, `Time (${chart.tz})`, { size: 13, fill: TEXT, anchor: 'middle' }));

  out.push(...legend(chart, shownLimits));
  out.push('</svg>');
  return out.join('\n');
}

export interface RenderChartOptions {
  /** Output width in pixels; the chart scales (default CHART_WIDTH). */
  width?: number;
}

/** The chart as a PNG (CHART_WIDTH × CHART_HEIGHT unless told otherwise). Throws when rendering fails. */
export function renderChartPng(chart: DigestChartData, options: RenderChartOptions = {}): Buffer {
  return rasteriseSvg(buildChartSvg(chart), options).png;
}

export interface Raster {
  png: Buffer;
  /** RGBA, row by row. */
  pixels: Buffer;
  width: number;
  height: number;
}

/** Any SVG of ours through resvg, with the packaged font and none of the system's. */
export function rasteriseSvg(svg: string, options: RenderChartOptions = {}): Raster {
  // Font files, not buffers: the native binding of resvg-js 2.6 reads only paths (TTF/OTF; not
  // WOFF), and options it cannot read are dropped whole, silently falling back to system fonts.
  const renderOptions: ResvgRenderOptions = {
    font: { loadSystemFonts: false, fontFiles: chartFonts(), defaultFontFamily: FONT, sansSerifFamily: FONT },
    fitTo: options.width === undefined ? { mode: 'original' } : { mode: 'width', value: options.width },
    background: '#ffffff',
    logLevel: 'off',
  };
  const image = new Resvg(svg, renderOptions).render();
  return { png: image.asPng(), pixels: image.pixels, width: image.width, height: image.height };
}

let fonts: string[] | null = null;

/** Inter regular and bold: the TTF files inside @expo-google-fonts/inter. */
export function chartFonts(): string[] {
  if (fonts) return fonts;
  const require = createRequire(import.meta.url);
  fonts = ['400Regular/Inter_400Regular.ttf', '700Bold/Inter_700Bold.ttf'].map((file) => require.resolve(`@expo-google-fonts/inter/${file}`));
  return fonts;
}

// --- pieces ---------------------------------------------------------------------------------

interface ValueScale {
  y: (v: number) => number;
  unit: 'GiB' | 'MiB';
  ticks: number[];
}

/** 0 to a round maximum, in GiB when that is at least 1 GiB, else MiB; 4 to 6 gridlines. */
function valueScale(maxBytes: number, panel: Panel): ValueScale {
  const unit = maxBytes >= GiB ? 'GiB' : 'MiB';
  const per = unit === 'GiB' ? GiB : MiB;
  const max = Math.max(maxBytes / per, 1);
  // The step of 3 to 6 gridlines that leaves the least empty space above the data.
  const step = [3, 4, 5, 6]
    .map((n) => niceStep(max / n))
    .sort((a, b) => Math.ceil(max / a) * a - Math.ceil(max / b) * b || a - b)[0] as number;
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 1000; v += step) ticks.push(Number(v.toFixed(6)));
  return { y: (bytes: number) => panel.bottom - (bytes / per / top) * (panel.bottom - panel.top), unit, ticks };
}

/** 1, 2, 2.5, 4 or 5 times a power of ten, at least `raw` (4: memory comes in powers of two). */
export function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const residual = raw / magnitude;
  const nice = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 2.5 ? 2.5 : residual <= 4 ? 4 : residual <= 5 ? 5 : 10;
  return nice * magnitude;
}

function yAxis(scale: ValueScale, panel: Panel, title: string): string[] {
  const per = scale.unit === 'GiB' ? GiB : MiB;
  const out = [line(PLOT.left, panel.top, PLOT.left, panel.bottom, AXIS)];
  for (const tick of scale.ticks) {
    const y = scale.y(tick * per);
    if (tick > 0) out.push(line(PLOT.left, y, PLOT.right, y, GRID));
    out.push(text(PLOT.left - 8, y + 4, formatTick(tick), { size: 12, fill: AXIS, anchor: 'end' }));
  }
  out.push(line(PLOT.left, panel.bottom, PLOT.right, panel.bottom, AXIS));
  out.push(text(PLOT.left, panel.top - 10, `${title} (${scale.unit})`, { size: 13, weight: 'bold', fill: TEXT }));
  return out;
}

function formatTick(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(2)));
}

function legend(chart: DigestChartData, shownLimits: readonly (number | null)[]): string[] {
  const out: string[] = [];
  let y = HOST_PANEL.top + 4;
  const entry = (color: string, label: string, detail: string, dashed: boolean) => {
    out.push(line(LEGEND_X, y - 4, LEGEND_X + 26, y - 4, color, { width: 3 }));
    out.push(text(LEGEND_X + 34, y, shorten(label, 22), { size: 13, fill: TEXT, weight: 'bold' }));
    out.push(text(LEGEND_X + 34, y + 17, detail, { size: 11.5, fill: AXIS }));
    if (dashed) out.push(line(LEGEND_X, y + 13, LEGEND_X + 26, y + 13, color, { width: 1.5, dash: '6 4' }));
    y += 44;
  };
  const hostPeak = peak(chart.host);
  entry(HOST_COLOR, 'Host used', `peak ${formatSize(hostPeak)}${chart.host.limitBytes === null ? '' : ` of ${formatSize(chart.host.limitBytes)}`}`, chart.host.limitBytes !== null);
  y = CONTAINER_PANEL.top + 4;
  chart.containers.forEach((c, index) => {
    const limit = c.limitBytes === null ? 'no limit' : `limit ${formatSize(c.limitBytes)}${shownLimits[index] === null ? ' (off scale)' : ''}`;
    entry(COLORS[index % COLORS.length] as string, c.label, `peak ${formatSize(peak(c))} · ${limit}`, shownLimits[index] !== null && shownLimits[index] !== undefined);
  });
  return out;
}

function peak(series: ChartSeries): number | null {
  return series.points.length === 0 ? null : Math.max(...series.points.map((p) => p.v));
}

function noData(panel: Panel): string {
  return text((PLOT.left + PLOT.right) / 2, (panel.top + panel.bottom) / 2, 'nothing recorded', { size: 14, fill: AXIS, anchor: 'middle' });
}

/** Consecutive points, split where samples are missing (memwarden was down): no line across a gap. */
function runs(points: readonly { t: number; v: number }[]): { t: number; v: number }[][] {
  if (points.length === 0) return [];
  const steps = points.slice(1).map((p, i) => p.t - (points[i] as { t: number }).t).sort((a, b) => a - b);
  const typical = steps.length > 0 ? (steps[Math.floor((steps.length - 1) / 2)] as number) : 0;
  const gap = Math.max(3 * typical, 15 * 60_000);
  const out: { t: number; v: number }[][] = [[points[0] as { t: number; v: number }]];
  for (let i = 1; i < points.length; i++) {
    const p = points[i] as { t: number; v: number };
    if (p.t - (points[i - 1] as { t: number }).t > gap) out.push([p]);
    else (out.at(-1) as { t: number; v: number }[]).push(p);
  }
  return out;
}

export interface TimeTick {
  t: number;
  /** "09:00" in the chart's zone. */
  label: string;
  /** "27 Oct" under the first tick and the first of each new day; null otherwise. */
  date: string | null;
}

/** Every third full hour in `tz` between from and to (a zone's DST jump moves the ticks with it). */
export function timeTicks(from: number, to: number, tz: string): TimeTick[] {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', day: 'numeric', month: 'short', hourCycle: 'h23' });
  const ticks: TimeTick[] = [];
  let lastDay: string | null = null;
  // Full hours in any zone fall on a quarter hour of UTC (offsets are whole quarter hours).
  const quarter = 15 * 60_000;
  for (let t = Math.ceil(from / quarter) * quarter; t <= to; t += quarter) {
    const p = Object.fromEntries(parts.formatToParts(new Date(t)).map((part) => [part.type, part.value]));
    if (p.minute !== '00' || Number(p.hour) % 3 !== 0) continue;
    const day = `${p.day} ${p.month}`;
    ticks.push({ t, label: `${p.hour}:00`, date: day !== lastDay ? day : null });
    lastDay = day;
  }
  return ticks;
}

function formatSize(bytes: number | null): string {
  if (bytes === null) return 'unknown';
  if (bytes >= GiB) return `${Number((bytes / GiB).toFixed(bytes >= 10 * GiB ? 1 : 2))} GiB`;
  return `${Math.round(bytes / MiB)} MiB`;
}

function shorten(label: string, max: number): string {
  const chars = [...label];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : label;
}

function fmt(n: number): string {
  return n.toFixed(1);
}

function line(x1: number, y1: number, x2: number, y2: number, color: string, options: { width?: number; dash?: string } = {}): string {
  return `<line x1="${fmt(x1)}" y1="${fmt(y1)}" x2="${fmt(x2)}" y2="${fmt(y2)}" stroke="${color}" stroke-width="${options.width ?? 1}"${options.dash ? ` stroke-dasharray="${options.dash}"` : ''}/>`;
}

function text(x: number, y: number, content: string, options: { size: number; weight?: 'bold'; fill?: string; anchor?: 'start' | 'middle' | 'end' }): string {
  const attrs = [
    `x="${fmt(x)}"`,
    `y="${fmt(y)}"`,
    `font-size="${options.size}"`,
    options.weight ? `font-weight="${options.weight}"` : '',
    `fill="${options.fill ?? TEXT}"`,
    options.anchor && options.anchor !== 'start' ? `text-anchor="${options.anchor}"` : '',
  ].filter((a) => a !== '');
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

/** Names come from containers: nothing in one may become markup. */
export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // XML 1.0 has no place for control characters: Docker names cannot hold them, labels might.
    .replace(/\p{Cc}/gu, (c) => (c === '\t' || c === '\n' || c === '\r' ? c : ''));
}
