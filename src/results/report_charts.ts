/**
 * The report's charts as Vega-Lite specs, rendered to SVG in Node by Vega (no browser, no network): the SVG goes
 * inline into the page. Each function takes plain rows and returns an SVG string.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders a Vega-Lite spec to a standalone SVG element, without namespace URLs (inline SVG in HTML needs none). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.replace(/\s+xmlns(:xlink)?="[^"]*"/g, '');
  } finally {
    view.finalize();
  }
}

const FONT = { font: 'sans-serif', labelFont: 'sans-serif', titleFont: 'sans-serif' };
const config = { font: FONT.font, axis: { labelFont: FONT.labelFont, titleFont: FONT.titleFont }, legend: { labelFont: FONT.labelFont, titleFont: FONT.titleFont } };

export interface TaskScoreRow {
  task: string;
  encoder: string;
  score: number;
  /** Bootstrap interval over seeds and evaluation episodes. */
  lo: number;
  hi: number;
}

/** Grouped bars: one group per task, one bar per encoder, with the interval as an error bar. */
export function taskScoreChart(rows: readonly TaskScoreRow[], level: string): Promise<string> {
  const encoding = {
    x: { field: 'task', type: 'nominal', title: null, sort: null, axis: { labelAngle: -30 } },
    xOffset: { field: 'encoder', type: 'nominal', sort: null },
  } as const;
  return renderSvg({
    config,
    title: `Score per task and encoder, with ${level} bootstrap intervals (seeds x evaluation episodes)`,
    data: { values: rows.map((r) => ({ ...r })) },
    // About 28 px per bar, at most the page's width.
    width: Math.min(1000, 28 * rows.length + 40),
    height: 220,
    layer: [
      {
        mark: { type: 'bar' },
        encoding: { ...encoding, y: { field: 'score', type: 'quantitative', title: 'score' }, color: { field: 'encoder', type: 'nominal', sort: null } },
      },
      {
        mark: { type: 'errorbar', ticks: true },
        encoding: { ...encoding, y: { field: 'lo', type: 'quantitative', title: 'score' }, y2: { field: 'hi' } },
      },
    ],
  });
}

export interface EntropyPoint {
  encoder: string;
  entropy: number;
  benchmarkMean: number;
}

/** One labelled point per encoder: feature-norm entropy (x) against benchmark mean (y). */
export function entropyScatterChart(points: readonly EntropyPoint[], subtitle: string): Promise<string> {
  const encoding = {
    x: { field: 'entropy', type: 'quantitative', title: 'feature-norm entropy H (nats)', scale: { zero: false, padding: 20 } },
    y: { field: 'benchmarkMean', type: 'quantitative', title: 'benchmark mean', scale: { zero: false, padding: 20 } },
  } as const;
  return renderSvg({
    config,
    title: { text: 'Feature-norm entropy vs benchmark mean, one point per encoder', subtitle },
    data: { values: points.map((p) => ({ ...p })) },
    width: 420,
    height: 260,
    layer: [
      { mark: { type: 'point', filled: true, size: 90 }, encoding: { ...encoding, color: { field: 'encoder', type: 'nominal', sort: null } } },
      { mark: { type: 'text', dy: -12 }, encoding: { ...encoding, text: { field: 'encoder' } } },
    ],
  });
}

/** The histogram behind one encoder's entropy: counts per bin over [min, max] of its token norms. */
export function normHistogramChart(encoder: string, counts: readonly number[], min: number, max: number, entropy: number): Promise<string> {
  const width = (max - min) / counts.length || 1;
  const values = counts.map((count, i) => ({ from: min + i * width, to: min + (i + 1) * width, count }));
  return renderSvg({
    config,
    title: { text: `${encoder}: token-norm histogram`, subtitle: `${counts.length} bins over [${min.toFixed(3)}, ${max.toFixed(3)}], H = ${entropy.toFixed(3)} nats` },
    data: { values },
    width: 300,
    height: 140,
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'from', type: 'quantitative', title: 'L2 norm', scale: { zero: false } },
      x2: { field: 'to' },
      y: { field: 'count', type: 'quantitative', title: 'norms' },
    },
  });
}
