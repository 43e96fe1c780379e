/**
 * The frame resize ahead of an encoder's processor (Theia's CortexBench path), without an encoder: what the wrapped
 * preprocessor receives, the id that keys feature caches, and every frame of a batch resized on its own.
 */
import { describe, expect, it } from 'vitest';
import type { FrameBatch } from '../src/encoders/encoder.js';
import type { Preprocessor } from '../src/encoders/onnx/session_encoder.js';
import { resizeFramesBicubic, withFramePreprocessing } from '../src/encoders/preprocess/frame_resize.js';
import { pilResize } from '../src/encoders/preprocess/pil_resize.js';

/** A preprocessor that records the frames it is given and returns their bytes as floats. */
function recordingPreprocessor(inputSize: number): Preprocessor & { seen: FrameBatch[] } {
  const seen: FrameBatch[] = [];
  return {
    id: 'inner',
    inputSize,
    normalisation: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    seen,
    run(frames) {
      seen.push(frames);
      return Float32Array.from(frames.data);
    },
  };
}

/** Two different 6x4 frames: a ramp and its reverse. */
function twoFrames(): FrameBatch {
  const bytes = 6 * 4 * 3;
  const data = new Uint8Array(2 * bytes);
  for (let i = 0; i < bytes; i++) {
    data[i] = (i * 7) % 256;
    data[bytes + i] = 255 - ((i * 11) % 256);
  }
  return { data, n: 2, height: 6, width: 4 };
}

describe('frame resize ahead of the processor', () => {
  it("leaves the processor alone for 'processor'", () => {
    const inner = recordingPreprocessor(3);
    expect(withFramePreprocessing(inner, 'processor')).toBe(inner);
  });

  it("resizes every frame with Pillow's bicubic to the processor's input side, and names that in the id", () => {
    const inner = recordingPreprocessor(3);
    const wrapped = withFramePreprocessing(inner, 'bicubic-resize');
    expect(wrapped.id).toBe('pil-bicubic:3>inner');
    expect(wrapped.inputSize).toBe(3);
    expect(wrapped.normalisation).toEqual(inner.normalisation);
    const frames = twoFrames();
    const out = wrapped.run(frames);
    expect(inner.seen).toHaveLength(1);
    const seen = inner.seen[0]!;
    expect([seen.n, seen.height, seen.width]).toEqual([2, 3, 3]);
    const bytes = 6 * 4 * 3;
    const expected = [0, 1].flatMap((i) => [...pilResize(frames.data.subarray(i * bytes, (i + 1) * bytes), 6, 4, 3, 3, 'bicubic')]);
    expect([...seen.data]).toEqual(expected);
    expect([...out]).toEqual(expected);
    // The two frames differ, so the second was resized from its own bytes.
    expect(expected.slice(0, 27)).not.toEqual(expected.slice(27));
  });

  it('copies frames already at the side unchanged', () => {
    const frames = { data: Uint8Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i * 9), n: 2, height: 2, width: 2 };
    const same = resizeFramesBicubic(frames, 2);
    expect(same.data).not.toBe(frames.data);
    expect([...same.data]).toEqual([...frames.data]);
    expect([same.n, same.height, same.width]).toEqual([2, 2, 2]);
  });
});
