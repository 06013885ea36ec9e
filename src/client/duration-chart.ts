// The dashboard's charts of runs (durations, and the figures buttons chart),
// drawn with uPlot into each [data-duration-chart] element from the points in
// that attribute, in the unit of its data-unit (seconds when none). uPlot sets
// sizes through element.style (CSSOM), which a CSP without 'unsafe-inline'
// allows; its stylesheet is bundled from this import, not injected.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { decimalText } from '../core/time.ts';
import { figureText, type FigureUnit } from '../core/figures.ts';
import { pageLang, words } from './words.ts';

interface Point {
  id: number;
  at: number;
  seconds: number;
  ok: boolean;
}

const charts = new Map<HTMLElement, uPlot>();

/** Colours readable on the card in each theme (slate text, sky line, red failures). */
function palette() {
  const dark = document.documentElement.classList.contains('dark');
  return { text: dark ? '#cbd5e1' : '#334155', grid: dark ? '#334155' : '#e2e8f0', line: dark ? '#38bdf8' : '#0369a1', fail: dark ? '#f87171' : '#b91c1c' };
}

/** A tenth at most, and none when it is zero (`1`, `0.5`), with the page language's decimal separator. */
function tenths(n: number, lang: string): string {
  const r = Math.round(n * 10) / 10;
  return Number.isInteger(r) ? String(r) : decimalText(r, lang);
}

/** An axis label: a tenth of a second under ten seconds (else 0.5 and 1 both read "1 s"), then s, min, h. */
function seconds(v: number, lang: string): string {
  if (v < 10) return `${tenths(v, lang)} s`;
  return v < 60 ? `${Math.round(v)} s` : v < 3600 ? `${tenths(v / 60, lang)} min` : `${tenths(v / 3600, lang)} h`;
}

/**
 * The time axis in the page's language (uPlot's own labels are American
 * English: month names, M/D, am/pm): the day for day-sized steps, else the
 * time of day, with the day again wherever it changes.
 */
function timeLabels(lang: string) {
  const day = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short' });
  const time = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });
  return (_u: uPlot, splits: number[], _axis: number, _space: number, step: number): string[] =>
    splits.map((s, i) => {
      const d = new Date(s * 1000);
      if (step >= 86_400) return day.format(d);
      const newDay = i === 0 || new Date(splits[i - 1]! * 1000).toDateString() !== d.toDateString();
      return newDay ? `${day.format(d)}\n${time.format(d)}` : time.format(d);
    });
}

function draw(el: HTMLElement): void {
  charts.get(el)?.destroy();
  const points = JSON.parse(el.dataset.durationChart ?? '[]') as Point[];
  const c = palette();
  const lang = pageLang();
  const unit = (el.dataset.unit ?? 'seconds') as FigureUnit;
  const axis = { stroke: c.text, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 } };
  const opts: uPlot.Options = {
    width: Math.max(200, el.clientWidth),
    height: el.clientHeight || 160,
    legend: { show: false },
    cursor: { show: false },
    axes: [{ ...axis, values: timeLabels(lang) }, { ...axis, size: 64, values: (_u, vals) => vals.map((v) => (unit === 'seconds' ? seconds(v, lang) : figureText(v, unit, lang))) }],
    scales: { y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max * 1.1)] } },
    series: [
      {},
      { label: el.dataset.series ?? words().chartDuration, stroke: c.line, width: 2, spanGaps: true, points: { show: true, size: 5, fill: c.line } },
      // Failures: points only, larger, in red, on top of the line.
      { label: words().chartFailed, stroke: c.fail, paths: () => null, points: { show: true, size: 9, fill: c.fail } },
    ],
  };
  const data: uPlot.AlignedData = [points.map((p) => p.at), points.map((p) => p.seconds), points.map((p) => (p.ok ? null : p.seconds))];
  charts.set(el, new uPlot(opts, data, el));
}

function drawAll(): void {
  for (const el of charts.keys()) if (!el.isConnected) charts.get(el)?.destroy(), charts.delete(el);
  document.querySelectorAll<HTMLElement>('[data-duration-chart]').forEach(draw);
}

drawAll();
// The live refresh replaces the charts' elements; the theme toggle changes the colours; the width follows the window.
document.addEventListener('live-refreshed', drawAll);
new MutationObserver(drawAll).observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
let resize: number | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resize);
  resize = window.setTimeout(drawAll, 150);
});
