/**
 * Encoder throughput: the harness path (Encoder.encode on uint8 frames, preprocessing included) against ONNX Runtime
 * running the same graph bytes directly on a pre-made float tensor, in the same process, interleaved.
 *
 *   npx tsx benchmarks/encoder.ts [--models vit-tiny-random,vit-small-random] [--batch 32] [--iters 5]
 *                                 [--threads N] [--size 224] [--json out.json]
 *
 * Reports images/s (median over iterations) for both paths, their ratio (target >= 0.9) and peak RSS. On a shared
 * machine wall time swings with other load, so the CPU time each path uses (process.cpuUsage, all ORT threads
 * included) is reported too: its ratio is the steadier measure of harness overhead.
 */
import { parseArgs } from 'node:util';
import { RANDOM_VIT_SPECS, isRandomVitName } from '../src/encoders/baselines/random_vit.js';
import { randomVitWeights } from '../src/encoders/baselines/random_vit_weights.js';
import { buildVitGraph } from '../src/encoders/onnx/vit_graph.js';
import { createOrtSession, defaultThreadCount, ort } from '../src/encoders/ort.js';
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
  },
});
const batch = Number(values.batch);
const iters = Number(values.iters);
const size = Number(values.size);
const threads = values.threads ? Number(values.threads) : defaultThreadCount();
for (const [name, v] of [['batch', batch], ['iters', iters], ['size', size], ['threads', threads]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
}


interface Row extends HarnessVsDirect {
  model: string;
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
  const encoder = await createEncoder(name, { threads, maxBatch: batch });
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
  await encoder.dispose();
  await direct.release();
  return { model: name, batch, frameSize: size, threads, ...timing, buildSeconds, peakRssMiB: peakRssMiB() };
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
}
if (values.json) writeFileAtomic(values.json, `${JSON.stringify(rows, null, 2)}\n`, 'benchmark results');
