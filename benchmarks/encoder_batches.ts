/**
 * What sharing frames between batches relies on, and what larger batches buy: an encoder's features of a frame
 * must not depend on the batch it is encoded in (a sweep takes K = 1's demo features from K = 5's, encoded in other
 * batches, and evaluates every split's episodes in one batch), and the CPU time and wall time per frame by batch
 * size. 40 seeded random frames are encoded at once, then in batches of each size; every value is compared.
 *
 *   npx tsx benchmarks/encoder_batches.ts [--encoder vit-tiny-random] [--size 96] [--batches 1,8,10,20,32,40]
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { integerListOption, integerOption } from '../src/cli/option_checks.js';
import type { FrameBatch } from '../src/encoders/encoder.js';
import { createEncoder, parseEncoderSpec } from '../src/encoders/registry.js';
import { Rng } from '../src/util/rng.js';

const args = yargs(hideBin(process.argv))
  .option('encoder', { type: 'string', default: 'vit-tiny-random' })
  .option('size', { default: 96, coerce: integerOption('size', 16) })
  .option('batches', { type: 'string', default: '1,8,10,20,32,40', coerce: integerListOption('batches', 1) })
  .strict()
  .parseSync();

const FRAMES = 40;
const S = args.size;
const encoder = await createEncoder(parseEncoderSpec(args.encoder), { framePreprocessing: 'processor' });
const rng = new Rng(7);
const data = new Uint8Array(FRAMES * S * S * 3).map(() => Math.floor(rng.uniform(0, 256)));
const frames = (start: number, n: number): FrameBatch => ({ data: data.subarray(start * S * S * 3, (start + n) * S * S * 3), n, height: S, width: S });
const encodeInBatches = async (size: number): Promise<Float32Array> => {
  const parts: Float32Array[] = [];
  for (let start = 0; start < FRAMES; start += size) parts.push((await encoder.encode(frames(start, Math.min(size, FRAMES - start)))).pooled);
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  return all;
};

try {
  const reference = (await encoder.encode(frames(0, FRAMES))).pooled;
  console.log(`${args.encoder}, ${FRAMES} frames of ${S} px`);
  for (const size of args.batches) {
    const values = await encodeInBatches(size);
    let maxDiff = 0;
    for (let i = 0; i < values.length; i++) maxDiff = Math.max(maxDiff, Math.abs(values[i]! - reference[i]!));
    const cpu = process.cpuUsage();
    const start = performance.now();
    await encodeInBatches(size);
    const used = process.cpuUsage(cpu);
    const wall = (performance.now() - start) / 1000;
    console.log(
      `batch ${String(size).padStart(3)}: ${maxDiff === 0 ? 'bit-identical to one batch' : `DIFFERS (max |diff| ${maxDiff})`}; ` +
        `${(FRAMES / wall).toFixed(1)} frames/s wall, ${((used.user + used.system) / 1000 / FRAMES).toFixed(1)} CPU-ms per frame`,
    );
  }
} finally {
  await encoder.dispose();
}
