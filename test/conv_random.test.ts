/** The conv-random baseline: shapes, determinism, seeds, and the translation equivariance a stride-8 CNN must have. */
import { describe, expect, it } from 'vitest';
import { CONV_RANDOM_INPUT } from '../src/encoders/baselines/conv_random.js';
import type { FrameBatch } from '../src/encoders/encoder.js';
import { createEncoder } from '../src/encoders/registry.js';
import { Rng } from '../src/util/rng.js';

/** A 64 x 64 frame: mid-grey with a random 16 x 16 patch whose top-left corner is at (x, y). */
function patchFrame(x: number, y: number, seed = 1): FrameBatch {
  const S = CONV_RANDOM_INPUT;
  const data = new Uint8Array(S * S * 3).fill(128);
  const rng = new Rng(seed);
  for (let dy = 0; dy < 16; dy++) for (let dx = 0; dx < 16; dx++) for (let c = 0; c < 3; c++) data[((y + dy) * S + x + dx) * 3 + c] = rng.int(256);
  return { data, n: 1, height: S, width: S };
}

describe('conv-random', () => {
  it('gives pooled [512] and spatial [64, 32] features, non-negative (ReLU), the pooled = 2 x 2 averages of the tokens', async () => {
    const enc = await createEncoder('conv-random');
    expect(enc.info).toMatchObject({ id: 'conv-random', inputSize: 64, pooledDim: 512, spatial: { tokens: 64, channels: 32, grid: 8 }, parameterCount: 16 * 27 + 32 * 144 + 32 * 288 });
    const out = await enc.encode(patchFrame(20, 12), { spatial: true });
    expect(out.pooled).toHaveLength(512);
    expect(out.spatial).toHaveLength(64 * 32);
    expect(Math.min(...out.spatial!)).toBeGreaterThanOrEqual(0);
    // pooled[c, py, px] = mean of tokens (2py + dy) * 8 + 2px + dx, channel c.
    const token = (t: number, c: number): number => out.spatial![t * 32 + c]!;
    for (const [c, py, px] of [[0, 0, 0], [7, 1, 2], [31, 3, 3]] as const) {
      const mean = (token(2 * py * 8 + 2 * px, c) + token(2 * py * 8 + 2 * px + 1, c) + token((2 * py + 1) * 8 + 2 * px, c) + token((2 * py + 1) * 8 + 2 * px + 1, c)) / 4;
      expect(out.pooled[(c * 4 + py) * 4 + px]).toBeCloseTo(mean, 5);
    }
    expect((await enc.encode(patchFrame(20, 12))).spatial).toBeUndefined();
  });

  it('is deterministic in its seed: the same seed gives the same digest and features, another seed others', async () => {
    const [a, b, c] = await Promise.all(['conv-random', 'conv-random:0', 'conv-random:5'].map((s) => createEncoder(s)));
    expect(a!.info.digest).toBe(b!.info.digest);
    expect(c!.info.digest).not.toBe(a!.info.digest);
    const frame = patchFrame(8, 8);
    expect((await a!.encode(frame)).pooled).toEqual((await b!.encode(frame)).pooled);
    expect((await c!.encode(frame)).pooled).not.toEqual((await a!.encode(frame)).pooled);
  });

  it('is translation-equivariant: moving the patch by 8 pixels moves the 8 x 8 token map by one cell', async () => {
    const enc = await createEncoder('conv-random');
    const a = (await enc.encode(patchFrame(16, 16), { spatial: true })).spatial!;
    const b = (await enc.encode(patchFrame(24, 16), { spatial: true })).spatial!;
    // Each final cell sees 31 x 31 input pixels; compare the cells whose field stays clear of the zero padding.
    let compared = 0;
    for (let y = 2; y < 6; y++) {
      for (let x = 2; x < 5; x++) {
        for (let c = 0; c < 32; c++) {
          expect(b[(y * 8 + x + 1) * 32 + c]).toBeCloseTo(a[(y * 8 + x) * 32 + c]!, 5);
          compared++;
        }
      }
    }
    expect(compared).toBe(4 * 3 * 32);
    // ... and the features do see where the patch is.
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('rejects malformed frame batches', async () => {
    const enc = await createEncoder('conv-random');
    await expect(enc.encode({ data: new Uint8Array(10), n: 1, height: 64, width: 64 })).rejects.toThrow(/encoder 'conv-random': frames.data has 10 bytes/);
  });
});
