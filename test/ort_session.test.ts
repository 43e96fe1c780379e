import { afterEach, describe, expect, it } from 'vitest';
import { RANDOM_VIT_SPECS } from '../src/encoders/baselines/random_vit.js';
import { randomVitWeights } from '../src/encoders/baselines/random_vit_weights.js';
import { buildVitGraph } from '../src/encoders/onnx/vit_graph.js';
import { PIXEL_INPUT } from '../src/encoders/onnx/pixel_input.js';
import { createOrtSession, ort, sessionOptions, SPINNING_ENV } from '../src/encoders/ort.js';
import type { VitSpec } from '../src/encoders/vit_spec.js';
import { Rng } from '../src/util/rng.js';

const allowSpinning = (options: ort.InferenceSession.SessionOptions): unknown =>
  (options.extra as { session?: { intra_op?: { allow_spinning?: string } } } | undefined)?.session?.intra_op?.allow_spinning;

const savedEnv = process.env[SPINNING_ENV];
afterEach(() => {
  if (savedEnv === undefined) delete process.env[SPINNING_ENV];
  else process.env[SPINNING_ENV] = savedEnv;
});

describe('ONNX Runtime pool threads spinning', () => {
  it('sleep by default; the option, else BENCH_ORT_SPINNING, turns spinning on; a bad value is refused by name', () => {
    delete process.env[SPINNING_ENV];
    expect(allowSpinning(sessionOptions())).toBe('0');
    expect(allowSpinning(sessionOptions({ spinning: true }))).toBe('1');
    process.env[SPINNING_ENV] = '1';
    expect(allowSpinning(sessionOptions())).toBe('1');
    expect(allowSpinning(sessionOptions({ spinning: false }))).toBe('0');
    process.env[SPINNING_ENV] = '0';
    expect(allowSpinning(sessionOptions())).toBe('0');
    process.env[SPINNING_ENV] = 'yes';
    expect(() => sessionOptions()).toThrow(/BENCH_ORT_SPINNING must be '1' .* or '0' .*, got 'yes'/);
  });

  it('a ViT gives bit-identical features with spinning on and off (it changes scheduling only)', async () => {
    const spec: VitSpec = { ...RANDOM_VIT_SPECS['vit-tiny-random'], imageSize: 32, patchSize: 8, hiddenSize: 24, numLayers: 2, numHeads: 2, mlpSize: 48, posGrid: 4 };
    const graph = buildVitGraph(spec, randomVitWeights(spec, 3));
    const rng = new Rng(5);
    const n = 6;
    const pixels = Float32Array.from({ length: n * 3 * 32 * 32 }, () => rng.uniform(-1, 1));
    const features = async (spinning: boolean): Promise<Float32Array> => {
      const session = await createOrtSession(graph, { threads: 2, spinning });
      try {
        const out = await session.run({ [PIXEL_INPUT]: new ort.Tensor('float32', pixels, [n, 3, 32, 32]) });
        return out.pooled!.data as Float32Array;
      } finally {
        await session.release();
      }
    };
    const [on, off] = [await features(true), await features(false)];
    expect(on.length).toBe(n * spec.hiddenSize);
    expect(on.some((x) => x !== 0)).toBe(true);
    expect(Buffer.from(on.buffer, on.byteOffset, on.byteLength).equals(Buffer.from(off.buffer, off.byteOffset, off.byteLength))).toBe(true);
  });
});
