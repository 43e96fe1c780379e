/**
 * A resize of whole frames ahead of an encoder's own preprocessing: Theia's CortexBench evaluation code resizes its
 * 256-px frames to 224 with bicubic (Pillow) before the DeiT image processor, whose own resize to 224 is then an
 * unchanged copy.
 */
import type { FramePreprocessing, FrameBatch } from '../encoder.js';
import type { Preprocessor } from '../onnx/session_encoder.js';
import { pilResize } from './pil_resize.js';

/** Every frame of `frames` resized to side x side with Pillow's bicubic filter (an unchanged size is copied). */
export function resizeFramesBicubic(frames: FrameBatch, side: number): FrameBatch {
  const { n, height, width } = frames;
  const inBytes = height * width * 3;
  const outBytes = side * side * 3;
  const data = new Uint8Array(n * outBytes);
  for (let i = 0; i < n; i++) {
    data.set(pilResize(frames.data.subarray(i * inBytes, (i + 1) * inBytes), height, width, side, side, 'bicubic'), i * outBytes);
  }
  return { data, n, height: side, width: side };
}

/** `preprocess` as `framePreprocessing` asks: unchanged for 'processor', after a bicubic resize to its input side otherwise. */
export function withFramePreprocessing(preprocess: Preprocessor, framePreprocessing: FramePreprocessing): Preprocessor {
  if (framePreprocessing === 'processor') return preprocess;
  const side = preprocess.inputSize;
  return {
    id: `pil-bicubic:${side}>${preprocess.id}`,
    inputSize: side,
    normalisation: preprocess.normalisation,
    run: (frames) => preprocess.run(resizeFramesBicubic(frames, side)),
  };
}
