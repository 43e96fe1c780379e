/**
 * How precisely the `pixels` observation (16x16, vil_camera) places relocate's ball: ridge regression from the
 * reset frame's pooled pixels to the ball's (x, y), fitted on the first K of a set of layouts and tested on the last
 * 50, for several K and ridge strengths. The grasp holds with the palm within ~7 mm of its grasp point, so a policy
 * that reads the ball no better than this cannot grasp it on new layouts.
 *
 *   npx tsx benchmarks/relocate_ball_readout.ts [--layouts 25,100,200] [--size 96]
 */
import { parseArgs } from 'node:util';
import '../src/envs/index.js';
import { listOption } from '../src/cli/option_checks.js';
import { PixelsEncoder } from '../src/encoders/baselines/pixels.js';
import { relocateHandles } from '../src/envs/domains/adroit/relocate.js';
import { Env } from '../src/envs/env.js';

const { values } = parseArgs({ options: { layouts: { type: 'string', default: '25,100,200' }, size: { type: 'string', default: '96' } } });
const trainCounts = listOption('layouts')(values.layouts).map(Number);
const size = Number(values.size);
const TEST_LAYOUTS = 50;
/** Reset seeds of the layouts (apart from the demo and evaluation seeds). */
const FIRST_SEED = 1000;
const RIDGE = [1e-3, 1e-2, 1e-1];

/** Solves A x = b by Gaussian elimination with partial pivoting (A is small and symmetric positive definite). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let i = 0; i < n; i++) {
    let pivot = i;
    for (let k = i + 1; k < n; k++) if (Math.abs(m[k]![i]!) > Math.abs(m[pivot]![i]!)) pivot = k;
    [m[i], m[pivot]] = [m[pivot]!, m[i]!];
    for (let k = i + 1; k < n; k++) {
      const f = m[k]![i]! / m[i]![i]!;
      for (let j = i; j <= n; j++) m[k]![j]! -= f * m[i]![j]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = m[i]![n]!;
    for (let j = i + 1; j < n; j++) s -= m[i]![j]! * x[j]!;
    x[i] = s / m[i]![i]!;
  }
  return x;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

const total = Math.max(...trainCounts) + TEST_LAYOUTS;
const env = await Env.make('relocate');
const encoder = new PixelsEncoder();
const features: Float64Array[] = [];
const balls: [number, number][] = [];
for (let i = 0; i < total; i++) {
  env.reset({ seed: FIRST_SEED + i });
  const frame = env.render({ width: size, height: size });
  features.push(Float64Array.from((await encoder.encode({ data: frame.rgb, n: 1, height: size, width: size })).pooled));
  const ball = relocateHandles(env.physics).ballPos();
  balls.push([ball[0], ball[1]]);
}
env.close();

const test = Array.from({ length: TEST_LAYOUTS }, (_, i) => total - TEST_LAYOUTS + i);
for (const k of trainCounts) {
  const train = Array.from({ length: k }, (_, i) => i);
  const mean = new Float64Array(features[0]!.length);
  for (const i of train) features[i]!.forEach((v, d) => (mean[d] += v / k));
  const centred = (i: number): Float64Array => features[i]!.map((v, d) => v - mean[d]!);
  const x = train.map(centred);
  const gram = x.map((a) => x.map((b) => dot(a, b)));
  for (const ridge of RIDGE) {
    // Dual (kernel) ridge regression, one output per coordinate.
    const fits = [0, 1].map((c) => {
      const offset = train.reduce((s, i) => s + balls[i]![c]!, 0) / k;
      const weights = solve(gram.map((row, i) => row.map((v, j) => v + (i === j ? ridge : 0))), train.map((i) => balls[i]![c]! - offset));
      return { offset, weights };
    });
    let squared = 0;
    for (const t of test) {
      const kernel = x.map((b) => dot(centred(t), b));
      const [px, py] = fits.map(({ offset, weights }) => offset + dot(kernel, weights));
      squared += (px! - balls[t]![0]) ** 2 + (py! - balls[t]![1]) ** 2;
    }
    console.log(`layouts ${k}, ridge ${ridge}: held-out RMS error of the ball position ${(100 * Math.sqrt(squared / TEST_LAYOUTS)).toFixed(1)} cm`);
  }
}
const spread = Math.sqrt(test.reduce((s, t) => s + balls[t]![0] ** 2 + (balls[t]![1] - 0.075) ** 2, 0) / TEST_LAYOUTS);
console.log(`(the ball's own spread about the centre of its range: RMS ${(100 * spread).toFixed(1)} cm)`);
