/**
 * Encoder throughput: the harness path (Encoder.encode on uint8 frames, preprocessing included) against ONNX Runtime
 * running the same graph bytes directly on a pre-made float tensor, in the same process, interleaved.
 *
 *   npx tsx benchmarks/encoder.ts [--models vit-tiny-random,vit-small-random] [--batch 32] [--iters 5]
 *                                 [--threads N] [--size 224] [--max-batch N] [--baseline-src DIR] [--json out.json]
 *
 * Reports images/s (median over iterations) for both paths, their ratio (target >= 0.9) and peak RSS. On a shared
 * machine wall time swings with other load, so the CPU time each path uses (process.cpuUsage, all ORT threads
 * included) is reported too: its ratio is the steadier measure of harness overhead.
 *
 * `--batch` frames go to each encode call; the harness runs them in session runs of its default size (or `--max-batch`).
 * `--baseline-src DIR` also times the same model through another checkout's harness (e.g. the previous commit's, to
 * measure a change to the graph or the preprocessing) on the same frames, interleaved with this tree's, and counts
 * the feature values (pooled and spatial) that differ between the two, bit for bit.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { RANDOM_VIT_SPECS, isRandomVitName } from '../src/encoders/baselines/random_vit.js';
import { randomVitWeights } from '../src/encoders/baselines/random_vit_weights.js';
import { buildVitGraph } from '../src/encoders/onnx/vit_graph.js';
import { createOrtSession, defaultThreadCount, ort } from '../src/encoders/ort.js';
import type { Encoder, FrameBatch } from '../src/encoders/encoder.js';
import { createEncoder } from '../src/encoders/registry.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { Rng } from '../src/util/rng.js';
import { compareHarnessToDirect, type HarnessVsDirect, peakRssMiB } from './lib/harness_vs_direct.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'vit-tiny-random,vit-small-random' },
    batch: { type: 'string', default: '32' },
    iters: { type: 'string', default: '5' },
    threads: { type: 'string' },
    size: { type: 'string', default: '224' },
    json: { type: 'string' },
    'max-batch': { type: 'string' },
    'baseline-src': { type: 'string' },
  },
});
const batch = Number(values.batch);
const iters = Number(values.iters);
const size = Number(values.size);
const threads = values.threads ? Number(values.threads) : defaultThreadCount();
const maxBatch = values['max-batch'] !== undefined ? Number(values['max-batch']) : undefined;
const given = [['batch', batch], ['iters', iters], ['size', size], ['threads', threads], ...(maxBatch !== undefined ? [['max-batch', maxBatch] as const] : [])] as const;
for (const [name, v] of given) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
}


/** This tree's harness against a baseline checkout's on the same frames (`harness` = this tree, `direct` = baseline). */
interface AgainstBaseline extends HarnessVsDirect {
  /** Feature values (pooled, then spatial) whose float32 bits differ between the two. */
  differingValues: number;
  values: number;
}

interface Row extends HarnessVsDirect {
  model: string;
  againstBaseline?: AgainstBaseline;
  batch: number;
  frameSize: number;
  threads: number;
  buildSeconds: number;
  peakRssMiB: number;
}

async function benchModel(name: string): Promise<Row> {
  if (!isRandomVitName(name)) throw new Error(`--models: '${name}' is not one of ${Object.keys(RANDOM_VIT_SPECS).join(', ')}`);
  const spec = RANDOM_VIT_SPECS[name];
  const t0 = performance.now();
  const encoder = await createEncoder(name, { threads, maxBatch });
  const buildSeconds = (performance.now() - t0) / 1000;
  // The same graph bytes (seed 0 is the encoder's default) in a session of its own, fed float32 directly.
  const direct = await createOrtSession(buildVitGraph(spec, randomVitWeights(spec, 0)), { threads });

  const rng = new Rng(1);
  const frames = { data: new Uint8Array(batch * size * size * 3).map(() => rng.int(256)), n: batch, height: size, width: size };
  const pixels = new ort.Tensor('float32', Float32Array.from({ length: batch * 3 * 224 * 224 }, () => rng.uniform(-1, 1)), [batch, 3, 224, 224]);
  const timing = await compareHarnessToDirect(
    () => encoder.encode(frames, { spatial: true }),
    () => direct.run({ pixel_values: pixels }, ['pooled', 'spatial']),
    batch,
    iters,
  );
  const againstBaseline = values['baseline-src'] ? await compareToBaseline(name, encoder, frames, values['baseline-src']) : undefined;
  await encoder.dispose();
  await direct.release();
  return { model: name, batch, frameSize: size, threads, ...timing, ...(againstBaseline ? { againstBaseline } : {}), buildSeconds, peakRssMiB: peakRssMiB() };
}

async function compareToBaseline(name: string, encoder: Encoder, frames: FrameBatch, dir: string): Promise<AgainstBaseline> {
  const entry = pathToFileURL(resolve(dir, 'src/encoders/registry.ts')).href;
  const baseline = (await import(entry)) as { createEncoder: typeof createEncoder };
  const other = await baseline.createEncoder(name, { threads, maxBatch });
  const ours = await encoder.encode(frames, { spatial: true });
  const theirs = await other.encode(frames, { spatial: true });
  let differingValues = 0;
  let count = 0;
  for (const key of ['pooled', 'spatial'] as const) {
    const [x, y] = [ours[key]!, theirs[key]!];
    const a = new Uint32Array(x.buffer, x.byteOffset, x.length);
    const b = new Uint32Array(y.buffer, y.byteOffset, y.length);
    if (a.length !== b.length) throw new Error(`${key}: ${a.length} values here, ${b.length} in the baseline`);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differingValues++;
    count += a.length;
  }
  const timing = await compareHarnessToDirect(() => encoder.encode(frames, { spatial: true }), () => other.encode(frames, { spatial: true }), batch, iters);
  await other.dispose();
  return { ...timing, differingValues, values: count };
}

const rows: Row[] = [];
for (const name of values.models.split(',')) {
  const row = await benchModel(name.trim());
  rows.push(row);
  console.log(
    `${row.model}: batch ${row.batch} @${row.frameSize}px, ${row.threads} threads | harness ${row.harnessImagesPerSec.toFixed(1)} img/s, ` +
      `direct ORT ${row.directImagesPerSec.toFixed(1)} img/s, ratio ${row.ratio.toFixed(3)} (best-of ${row.bestRatio.toFixed(3)}) | CPU s/img harness ` +
      `${row.harnessCpuSecPerImage.toFixed(3)}, direct ${row.directCpuSecPerImage.toFixed(3)}, ratio ${row.cpuRatio.toFixed(3)} | build ${row.buildSeconds.toFixed(1)} s | peak RSS ${row.peakRssMiB.toFixed(0)} MiB`,
  );
  const b = row.againstBaseline;
  if (b) {
    console.log(
      `  against the baseline's harness: here ${b.harnessImagesPerSec.toFixed(1)} img/s, baseline ${b.directImagesPerSec.toFixed(1)} img/s, ratio ${b.ratio.toFixed(3)} ` +
        `(best-of ${b.bestRatio.toFixed(3)}, paired ${b.pairedRatio.median.toFixed(3)} [${b.pairedRatio.min.toFixed(3)}-${b.pairedRatio.max.toFixed(3)}]) | CPU ratio ${b.cpuRatio.toFixed(3)} | ` +
        `feature values differing: ${b.differingValues} of ${b.values}`,
    );
  }
}
if (values.json) writeFileAtomic(values.json, `${JSON.stringify(rows, null, 2)}\n`, 'benchmark results');
