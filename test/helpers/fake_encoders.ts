/**
 * Small fake encoders for end-to-end runs, so that a test does not spend minutes in ViT inference:
 * - area-averaged colour grids (grid-2, grid-4, grid-8), pooled-feature encoders like `pixels` that only their spec
 *   text tells apart;
 * - deterministic recording encoders, each with the pure function that defines its output, so a test can recompute
 *   what the run computed from the frames alone. Every token or pooled vector has one non-zero component, so its L2
 *   norm is that component exactly (no float32 rounding between the run's norms and a test's).
 */
import type { EncodeOptions, Encoder, FrameBatch } from '../../src/encoders/encoder.js';
import { defaultRunDependencies } from '../../src/run/default_deps.js';
import { syntheticProbe } from './synthetic_probe.js';
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
  // The protocol's probe renders expert rollouts of every task; runs of fake encoders test everything around it.
  entropyProbe: () => syntheticProbe(),
  parseEncoderSpec: (text) => (isFake(text) ? { ...realDeps.parseEncoderSpec('pixels'), text } : realDeps.parseEncoderSpec(text)),
  createEncoder: async (spec, options) => (isFake(spec.text) ? fakes[spec.text] : realDeps.createEncoder(spec, options)),
};
export const encodedFrames = (): number => fakes['grid-2'].frames + fakes['grid-4'].frames;


/** Mean intensity in [0, 1] (over pixels and RGB) of each of the G x G cells of one [H, W, 3] frame: [G * G]. */
export function cellIntensities(frame: Uint8Array, height: number, width: number, grid: number): Float64Array {
  const sums = new Float64Array(grid * grid);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const cell = Math.floor((y * grid) / height) * grid + Math.floor((x * grid) / width);
      const p = (y * width + x) * 3;
      sums[cell]! += frame[p]! + frame[p + 1]! + frame[p + 2]!;
    }
  }
  const perCell = (height * width * 3 * 255) / (grid * grid);
  return sums.map((s) => s / perCell);
}

/** Mean red value in [0, 1] of the left half of one [H, W, 3] frame (it changes as things move sideways). */
export function leftHalfRed(frame: Uint8Array, height: number, width: number): number {
  let sum = 0;
  const half = Math.floor(width / 2);
  for (let y = 0; y < height; y++) for (let x = 0; x < half; x++) sum += frame[(y * width + x) * 3]!;
  return sum / (height * half) / 255;
}

export interface RecordingEncoder extends Encoder {
  /** The first frames it was given, in order (up to `keep`). */
  readonly seen: Uint8Array[];
}

function recording(info: Encoder['info'], keep: number, encodeFrame: (frame: Uint8Array, h: number, w: number) => { pooled: number[]; tokens?: number[][] }): RecordingEncoder {
  const seen: Uint8Array[] = [];
  return {
    info,
    seen,
    async encode(frames: FrameBatch, options?: EncodeOptions) {
      const { n, height, width } = frames;
      const bytes = height * width * 3;
      const pooled = new Float32Array(n * info.pooledDim);
      const spatial = info.spatial && options?.spatial ? new Float32Array(n * info.spatial.tokens * info.spatial.channels) : null;
      for (let i = 0; i < n; i++) {
        const frame = frames.data.subarray(i * bytes, (i + 1) * bytes);
        if (seen.length < keep) seen.push(frame.slice());
        const out = encodeFrame(frame, height, width);
        pooled.set(out.pooled, i * info.pooledDim);
        if (spatial && out.tokens) out.tokens.forEach((token, t) => spatial.set(token, (i * info.spatial!.tokens + t) * info.spatial!.channels));
      }
      return spatial ? { pooled, spatial } : { pooled };
    },
    async dispose() {},
  };
}

/** Spatial tokens [G * G, 2] = (cell intensity, 0); pooled [G * G] = the intensities. */
export function cellEncoder(grid: number, keep = 256): RecordingEncoder {
  const info = { id: `cells-${grid}`, inputSize: 64, normalisation: null, pooledDim: grid * grid, spatial: { tokens: grid * grid, channels: 2, grid }, parameterCount: 0, digest: `fake-cells-${grid}` };
  return recording(info, keep, (frame, h, w) => {
    const cells = Array.from(cellIntensities(frame, h, w, grid));
    return { pooled: cells, tokens: cells.map((c) => [c, 0]) };
  });
}

/** Pooled only: [left-half red, 0, 0, 0]. */
export function leftRedEncoder(keep = 256): RecordingEncoder {
  const info = { id: 'left-red', inputSize: 64, normalisation: null, pooledDim: 4, spatial: null, parameterCount: 0, digest: 'fake-left-red' };
  return recording(info, keep, (frame, h, w) => ({ pooled: [leftHalfRed(frame, h, w), 0, 0, 0] }));
}
