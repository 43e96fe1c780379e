/**
 * Theia encoder throughput at 224x224, batch 32, for the tiny and small backbone shapes (random weights, all five
 * translator heads present, as in the `cddsv` checkpoints). `--outputs spatial` (default) is what policies consume:
 * the harness then runs the backbone-only graph; `--outputs all` adds every translator output (the full graph).
 *
 * For each size, in one process: the harness path (`CheckpointSession.run`: uint8 frames -> exact preprocessing ->
 * onnxruntime) against onnxruntime running the same graph bytes directly on ready-made pixel_values, with the same
 * session options; runs are interleaved so machine noise hits both alike. Reports images/s, the ratio
 * harness / direct, and the process's peak RSS after each size.
 *
 *   npx tsx benchmarks/theia.ts [--sizes tiny,small] [--iterations 5] [--threads N] [--outputs spatial|all]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CheckpointSession } from '../src/encoders/checkpoint_session.js';
import { loadCheckpoint } from '../src/encoders/hf/checkpoint.js';
import { PIXEL_INPUT } from '../src/encoders/onnx/pixel_input.js';
import { createOrtSession, defaultThreadCount, ort } from '../src/encoders/ort.js';
import { Rng } from '../src/util/rng.js';
import { DEIT_SIZES, THEIA_TEACHERS, writeRandomTheiaCheckpoint } from '../test/helpers/theia_checkpoint.js';

const BATCH = 32;
const SIDE = 224;

function argument(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const sizes = argument('sizes', 'tiny,small').split(',') as (keyof typeof DEIT_SIZES)[];
const iterations = Number(argument('iterations', '5'));
const threads = Number(argument('threads', String(defaultThreadCount())));
const outputsMode = argument('outputs', 'spatial');
if (outputsMode !== 'spatial' && outputsMode !== 'all') throw new Error(`--outputs must be 'spatial' or 'all', got '${outputsMode}'`);
const outputs = outputsMode === 'all' ? ['spatial', ...Object.keys(THEIA_TEACHERS).map((t) => `translator.${t}`)] : ['spatial'];
for (const size of sizes) if (!(size in DEIT_SIZES)) throw new Error(`--sizes: unknown size '${size}' (expected ${Object.keys(DEIT_SIZES).join(', ')})`);

const rng = new Rng(2024);
const frames = { data: new Uint8Array(BATCH * SIDE * SIDE * 3).map(() => rng.int(256)), n: BATCH, height: SIDE, width: SIDE };
const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

console.log(`theia encoder throughput: batch ${BATCH}, ${SIDE}x${SIDE}, outputs ${outputs.join(',')}, ${threads} threads, ${iterations} timed runs each (after 1 warm-up)`);
for (const size of sizes) {
  const dir = mkdtempSync(join(tmpdir(), `theia-${size}-`));
  try {
    const parameters = writeRandomTheiaCheckpoint(dir, { size, teachers: THEIA_TEACHERS, seed: 1 });
    const model = loadCheckpoint('theia', dir);
    const harness = await CheckpointSession.create(model, { threads, batchSize: BATCH });
    // The graph the harness runs for these outputs: backbone only unless translator outputs are requested.
    const direct = await createOrtSession(model.buildGraph(outputsMode === 'all'), { threads });
    const input = new ort.Tensor('float32', model.preprocess.run(frames), [BATCH, 3, SIDE, SIDE]);
    const runHarness = async (): Promise<void> => {
      await harness.run(frames, outputs);
    };
    const runDirect = async (): Promise<void> => {
      await direct.run({ [PIXEL_INPUT]: input }, outputs);
    };
    await runHarness();
    await runDirect();
    const times = { harness: [] as number[], direct: [] as number[] };
    for (let i = 0; i < iterations; i++) {
      for (const [name, fn] of [['harness', runHarness], ['direct', runDirect]] as const) {
        const t0 = performance.now();
        await fn();
        times[name].push((performance.now() - t0) / 1000);
      }
    }
    // Best-of-N per-batch time estimates speed without interference from other processes; the median is shown too.
    const best = (xs: number[]): number => Math.min(...xs);
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rate = (xs: number[], pick: (v: number[]) => number): number => BATCH / pick(xs);
    console.log(
      `${size.padEnd(5)} params ${(parameters / 1e6).toFixed(1)}M | best: harness ${rate(times.harness, best).toFixed(1)} img/s, ` +
        `ORT direct ${rate(times.direct, best).toFixed(1)} img/s, ratio ${(rate(times.harness, best) / rate(times.direct, best)).toFixed(3)} | ` +
        `median ratio ${(rate(times.harness, median) / rate(times.direct, median)).toFixed(3)} | peak RSS ${peakRssMiB().toFixed(0)} MiB`,
    );
    await harness.dispose();
    await direct.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
