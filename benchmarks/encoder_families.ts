/**
 * Throughput of the checkpoint encoder families through the harness against ONNX Runtime running the same graph:
 * a SAM-base-shaped HF snapshot (`hf:`) and an R3M ResNet-50-shaped checkpoint (`r3m:`), both with seeded random
 * weights written to a temporary folder and loaded by the real loaders.
 *
 *   npx tsx benchmarks/encoder_families.ts [--models sam-base,r3m-resnet50] [--batch 32] [--iters 2]
 *                                          [--threads N] [--sam-size 448] [--frame 256] [--json out.json]
 *
 * Harness path: Encoder.encode on uint8 frames (frame x frame, the CortexBench render size), the model's exact
 * preprocessing included. Direct path: an ORT session on the same graph bytes, fed a pre-made float32 batch
 * (lib/harness_vs_direct.ts times them). Peak RSS is the process's maximum resident set, both sessions included:
 * run one model per invocation for a per-model figure.
 *
 * SAM-base runs at --sam-size (default 448: a 28x28 grid, 2x2 windows of 14, global attention over 784 tokens):
 * at the released 1024 (64x64 grid) one batch of 32 needs ~26 GB for a global layer's attention scores alone and
 * minutes per batch on two cores. Shape, depth, windows and global layers are SAM-base's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PIXEL_INPUT } from '../src/encoders/onnx/pixel_input.js';
import { createOrtSession, defaultThreadCount, ort } from '../src/encoders/ort.js';
import { createEncoder, isCheckpointSpec, loadCheckpointModel, parseEncoderSpec } from '../src/encoders/registry.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { Rng } from '../src/util/rng.js';
import { compareHarnessToDirect, type HarnessVsDirect, peakRssMiB } from './lib/harness_vs_direct.js';
import { SAM_BASE, writeRandomR3mResNet, writeRandomSamCheckpoint } from '../test/helpers/random_checkpoints.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'sam-base,r3m-resnet50' },
    batch: { type: 'string', default: '32' },
    iters: { type: 'string', default: '2' },
    threads: { type: 'string' },
    'sam-size': { type: 'string', default: '448' },
    frame: { type: 'string', default: '256' },
    json: { type: 'string' },
  },
});
const batch = Number(values.batch);
const iters = Number(values.iters);
const samSize = Number(values['sam-size']);
const frameSize = Number(values.frame);
const threads = values.threads ? Number(values.threads) : defaultThreadCount();
for (const [name, v] of [['batch', batch], ['iters', iters], ['sam-size', samSize], ['frame', frameSize], ['threads', threads]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
}
if (samSize % 16 !== 0) throw new Error(`--sam-size must be a multiple of 16, got ${samSize}`);

const MODELS: Record<string, (dir: string) => string> = {
  'sam-base': (dir) => {
    writeRandomSamCheckpoint(dir, SAM_BASE(samSize), 1);
    return `hf:${dir}`;
  },
  'r3m-resnet50': (dir) => `r3m:${writeRandomR3mResNet(dir, 1)}`,
};


interface Row extends HarnessVsDirect {
  model: string;
  architecture: string;
  inputSize: number;
  batch: number;
  frameSize: number;
  threads: number;
  peakRssMiB: number;
}

async function benchModel(name: string): Promise<Row> {
  const write = MODELS[name];
  if (!write) throw new Error(`--models: '${name}' is not one of ${Object.keys(MODELS).join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  try {
    const spec = write(dir);
    const parsed = parseEncoderSpec(spec);
    if (!isCheckpointSpec(parsed)) throw new Error(`${spec} is not a checkpoint spec`);
    const model = await loadCheckpointModel(parsed);
    const encoder = await createEncoder(spec, { threads, maxBatch: batch });
    const direct = await createOrtSession(model.buildGraph(false), { threads });
    const S = model.preprocess.inputSize;
    const rng = new Rng(7);
    const frames = { data: new Uint8Array(batch * frameSize * frameSize * 3).map(() => rng.int(256)), n: batch, height: frameSize, width: frameSize };
    const pixels = new ort.Tensor('float32', Float32Array.from({ length: batch * 3 * S * S }, () => rng.uniform(-2, 2)), [batch, 3, S, S]);
    // The harness feeds the policy the pooled vector (MLP head); the direct run fetches the same output.
    const timing = await compareHarnessToDirect(() => encoder.encode(frames), () => direct.run({ [PIXEL_INPUT]: pixels }, [model.pooled]), batch, iters);
    await encoder.dispose();
    await direct.release();
    return { model: name, architecture: model.architecture, inputSize: S, batch, frameSize, threads, ...timing, peakRssMiB: peakRssMiB() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const name of values.models.split(',')) {
  const row = await benchModel(name.trim());
  rows.push(row);
  console.log(
    `${row.model} (${row.architecture}, input ${row.inputSize}): batch ${row.batch} of ${row.frameSize}px frames, ${row.threads} threads | ` +
      `harness ${row.harnessImagesPerSec.toFixed(2)} img/s, direct ORT ${row.directImagesPerSec.toFixed(2)} img/s, ratio ${row.ratio.toFixed(3)} (best-of ${row.bestRatio.toFixed(3)}; paired median ${row.pairedRatio.median.toFixed(3)}, ` +
      `range ${row.pairedRatio.min.toFixed(3)}-${row.pairedRatio.max.toFixed(3)} over ${iters}) | CPU s/img harness ${row.harnessCpuSecPerImage.toFixed(3)}, direct ${row.directCpuSecPerImage.toFixed(3)}, ratio ${row.cpuRatio.toFixed(3)} | peak RSS ${row.peakRssMiB.toFixed(0)} MiB`,
  );
}
if (values.json) writeFileAtomic(values.json, `${JSON.stringify(rows, null, 2)}\n`, 'benchmark results');
