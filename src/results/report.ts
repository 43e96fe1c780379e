/**
 * `bench report DIR`: one self-contained HTML page of a run: the results table, per-task scores with bootstrap
 * intervals, entropy against benchmark mean with the correlation, the norm histograms behind the entropy, and a
 * strip of demo frames per task. Charts are inline SVG rendered by Vega in Node and frames are inline PNG data, so
 * the file loads nothing from anywhere.
 */
import { BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED, groupRng, pairedTaskReplicates } from '../eval/bootstrap.js';
import { percentileInterval } from '../eval/statistics.js';
import { FAMILIES, TASK_FAMILIES } from '../envs/families.js';
import { entropyScatterChart, normHistogramChart, taskScoreChart, type TaskScoreRow } from './report_charts.js';
import { RunDir } from './run_dir.js';
import { DEFAULT_ALPHA, scoredEvaluation, type RunResults } from './schema.js';
import { UNRECORDED_CPU } from './scored_cells.js';
import { formatCorrelation } from './summary.js';

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** Task score (mean over seeds) per encoder and task with its (1 - alpha) bootstrap interval. */
export function taskScoreRows(results: RunResults, alpha: number): TaskScoreRow[] {
  const rows: TaskScoreRow[] = [];
  for (const encoder of results.plan.encoders.filter((e) => results.cells.some((c) => c.encoder === e))) {
    for (const task of results.plan.tasks) {
      const cells = results.cells.filter((c) => c.encoder === encoder && c.task === task).sort((a, b) => a.seed - b.seed);
      if (cells.length === 0) continue;
      const [replicates] = pairedTaskReplicates([cells.map((c) => scoredEvaluation(c).episodeScores)], BOOTSTRAP_REPLICATES, groupRng(BOOTSTRAP_SEED, `report\n${task}\n${encoder}`));
      const [lo, hi] = percentileInterval(replicates!, alpha);
      rows.push({ task, encoder, score: cells.reduce((s, c) => s + c.bestScore, 0) / cells.length, lo, hi });
    }
  }
  return rows;
}

function resultsTable(results: RunResults): string {
  const tasks = results.plan.tasks.filter((t) => results.cells.some((c) => c.task === t));
  const families = TASK_FAMILIES.filter((f) => results.summary.some((s) => s.families[f] !== undefined));
  const head = ['encoder', ...tasks, ...families.map((f) => `[${FAMILIES[f].title}]`), 'benchmark mean', 'H (nats)', 'H / ln(bins)'];
  const body = results.summary.map((s) =>
    [s.encoder, ...tasks.map((t) => fmt(s.tasks[t])), ...families.map((f) => fmt(s.families[f])), fmt(s.benchmarkMean), fmt(s.entropy, 3), fmt(s.entropyNormalised, 3)]
      .map((v, i) => (i === 0 ? `<th scope="row">${escape(v)}</th>` : `<td>${escape(v)}</td>`))
      .join(''),
  );
  return `<table><thead><tr>${head.map((h) => `<th scope="col">${escape(h)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r}</tr>`).join('')}</tbody></table>`;
}

const figure = (name: string, svg: string): string => `<figure class="chart" data-chart="${escape(name)}">${svg}</figure>`;

export interface ReportOptions {
  alpha?: number;
}

export async function buildReport(path: string, options: ReportOptions = {}): Promise<string> {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const level = `${Math.round((1 - alpha) * 100)}%`;
  const dir = new RunDir(path);
  const results = dir.readResults();
  if (results.cells.length === 0) throw new Error(`bench report: '${path}' holds no finished cells yet`);
  const { profile } = results;
  const versions = results.cells[0]!.versions;
  const sections: string[] = [];

  sections.push(
    `<h2>Results</h2>${resultsTable(results)}<p>Task score: mean over policy seeds of the best evaluation; family: mean over its tasks; ` +
      `benchmark mean: mean over the families present. Entropy: the feature-norm entropy of each encoder on the protocol's fixed probe frames (the same in every run).</p>`,
  );

  sections.push(`<h2>Scores per task</h2>${figure('task-scores', await taskScoreChart(taskScoreRows(results, alpha), level))}`);

  const points = results.summary.filter((s) => s.entropy !== null && Number.isFinite(s.benchmarkMean)).map((s) => ({ encoder: s.encoder, entropy: s.entropy!, benchmarkMean: s.benchmarkMean }));
  const correlation = formatCorrelation(results.entropyCorrelation);
  sections.push(
    `<h2>Entropy vs benchmark mean</h2>` +
      (points.length > 0 ? figure('entropy-vs-mean', await entropyScatterChart(points, correlation[0]!)) : '<p>No encoder has both an entropy and a score yet.</p>') +
      correlation.map((line) => `<p class="${line.startsWith('warning') ? 'warning' : 'note'}">${escape(line)}</p>`).join(''),
  );

  const histograms: string[] = [];
  const byPlan = (e: string): number => results.plan.encoders.indexOf(e);
  for (const record of [...results.entropy].sort((a, b) => byPlan(a.encoder) - byPlan(b.encoder))) {
    const r = record.result;
    histograms.push(
      r.histogram
        ? figure(`norm-histogram:${record.encoder}`, await normHistogramChart(record.encoder, r.histogram, r.min, r.max, r.entropy))
        : `<p>${escape(record.encoder)}: this run's entropy record predates stored histograms (H = ${fmt(r.entropy, 3)} nats).</p>`,
    );
  }
  sections.push(
    `<h2>Norm histograms behind the entropy</h2><p>L2 norms of every spatial output vector (the pooled vector of encoders without ` +
      `spatial output) of the ${results.entropy[0]?.result.frames ?? 0} frames of the entropy probe ` +
      `(${escape(results.entropy[0]?.probe.name ?? 'none')}), per encoder.</p><div class="row">${histograms.join('')}</div>`,
  );

  sections.push(
    '<h2>Seen vs unseen factor values</h2><p>This run is not a Factor-World-style sweep (its cells carry no factor splits), so there are no per-factor gaps to show.</p>',
  );

  const strips = dir.readFrameStrips();
  const tasks = [...new Map(results.cells.map((c) => [c.task, c.taskVersion])).entries()];
  sections.push(
    '<h2>Frames</h2><p>The first demo episode of each task at evenly spaced steps, rendered as the encoders see it.</p>' +
      tasks
        .map(([task, version]) => {
          const strip = strips.find((s) => s.task === task && s.version === version);
          return strip
            ? `<figure class="frames"><img alt="${escape(`${task}: demo frames`)}" src="data:image/png;base64,${Buffer.from(strip.png).toString('base64')}"><figcaption>${escape(task)}</figcaption></figure>`
            : `<p>${escape(task)}: no frame strip in this run directory (runs before frame strips were written have none).</p>`;
        })
        .join(''),
  );

  const title = `bench report: ${results.benchmark}, profile ${profile.name}`;
  const facts =
    `${results.cells.length} cells (${results.plan.tasks.length} tasks x ${results.plan.encoders.length} encoders x ${results.plan.seeds.length} seeds planned); ` +
    `${profile.epochs} epochs, batch ${profile.batchSize}, image ${profile.imageSize} px; head ${results.head}` +
    `${results.shuffleActions ? '; SHUFFLED-ACTION CONTROL' : ''}; tfjs ${results.tfjsBackend}; ` +
    `bench ${versions.bench}, mujoco ${versions.mujoco}, onnxruntime ${versions.onnxruntime}, tfjs ${versions.tfjs}; ` +
    `CPU ${[...new Set(results.cells.map((c) => c.versions.cpu ?? UNRECORDED_CPU))].join(' + ')}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escape(title)}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th[scope=row], thead th:first-child { text-align: left; }
figure { margin: 1em 0; }
.row { display: flex; flex-wrap: wrap; gap: 1em; }
.warning { color: #a33; }
.frames img { image-rendering: pixelated; max-width: 100%; }
</style>
</head>
<body>
<h1>${escape(title)}</h1>
<p>${escape(facts)}</p>
${sections.join('\n')}
</body>
</html>
`;
}
