/**
 * Small fake encoders for end-to-end runs: area-averaged colour grids, so that a test does not spend minutes in ViT
 * inference. They are pooled-feature encoders like `pixels`; only their spec text (grid-2, grid-4, grid-8) tells them apart.
 */
import type { EncodeOptions, Encoder, FrameBatch } from '../../src/encoders/encoder.js';
import { defaultRunDependencies } from '../../src/run/default_deps.js';
import type { RunDependencies } from '../../src/run/deps.js';

/** Area-averaged G x G colour grid: pooled [3 * G * G], spatial tokens [G * G, 3]. */
export function gridEncoder(grid: number): Encoder & { frames: number } {
  const encoder = {
    frames: 0,
    info: { id: `grid${grid}`, inputSize: grid, normalisation: null, pooledDim: 3 * grid * grid, spatial: { tokens: grid * grid, channels: 3, grid }, parameterCount: 0, digest: `fake-grid-${grid}` },
    async encode(frames: FrameBatch, options?: EncodeOptions) {
      encoder.frames += frames.n;
      const { n, height: H, width: W } = frames;
      const tokens = new Float32Array(n * grid * grid * 3);
      for (let i = 0; i < n; i++) {
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const cell = Math.floor((y * grid) / H) * grid + Math.floor((x * grid) / W);
            for (let c = 0; c < 3; c++) tokens[(i * grid * grid + cell) * 3 + c] += frames.data[((i * H + y) * W + x) * 3 + c]! / 255 / ((H * W) / (grid * grid));
          }
        }
      }
      return { pooled: tokens.slice(), ...(options?.spatial ? { spatial: tokens } : {}) };
    },
    async dispose() {},
  };
  return encoder;
}

export const fakes = { 'grid-2': gridEncoder(2), 'grid-4': gridEncoder(4), 'grid-8': gridEncoder(8) };
const realDeps = defaultRunDependencies();
const isFake = (text: string): text is keyof typeof fakes => text in fakes;
export const fakeEncoderDeps: RunDependencies = {
  ...realDeps,
  parseEncoderSpec: (text) => (isFake(text) ? { ...realDeps.parseEncoderSpec('pixels'), text } : realDeps.parseEncoderSpec(text)),
  createEncoder: async (spec, options) => (isFake(spec.text) ? fakes[spec.text] : realDeps.createEncoder(spec, options)),
};
export const encodedFrames = (): number => fakes['grid-2'].frames + fakes['grid-4'].frames;

