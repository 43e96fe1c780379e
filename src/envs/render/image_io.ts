/**
 * Image encoders for rendered frames: PNG (lossless, pngjs) and animated GIF (gifenc, one palette per frame).
 * Callers write the bytes (atomically) where they want them.
 */
import * as gifencModule from 'gifenc';
import { PNG } from 'pngjs';

type GifApi = Pick<typeof gifencModule, 'GIFEncoder' | 'quantize' | 'applyPalette'>;
/** gifenc's CommonJS build (plain Node) exposes its API on the default export; its ESM build as named exports. */
const gifenc: GifApi =
  typeof gifencModule.GIFEncoder === 'function' ? gifencModule : (gifencModule as unknown as { default: GifApi }).default;

function checkRgb(what: string, rgb: Uint8Array, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`${what}: width and height must be positive integers, got ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new Error(`${what}: expected ${width}x${height}x3 = ${width * height * 3} RGB bytes, got ${rgb.length}`);
  }
}

function rgbToRgba(rgb: Uint8Array, out: Uint8Array): void {
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    out[j] = rgb[i]!;
    out[j + 1] = rgb[i + 1]!;
    out[j + 2] = rgb[i + 2]!;
    out[j + 3] = 255;
  }
}

/** Encodes an [H, W, 3] RGB frame as PNG bytes. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Uint8Array {
  checkRgb('encodePng', rgb, width, height);
  const png = new PNG({ width, height });
  rgbToRgba(rgb, png.data);
  return new Uint8Array(PNG.sync.write(png));
}

/** Decodes PNG bytes into an [H, W, 3] RGB frame (alpha dropped). */
export function decodePng(bytes: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  const png = PNG.sync.read(Buffer.from(bytes));
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0, j = 0; j < png.data.length; i += 3, j += 4) {
    rgb[i] = png.data[j]!;
    rgb[i + 1] = png.data[j + 1]!;
    rgb[i + 2] = png.data[j + 2]!;
  }
  return { width: png.width, height: png.height, rgb };
}

/** Encodes [H, W, 3] RGB frames of one size as an animated GIF (looping) at `fps` frames per second. */
export function encodeGif(frames: readonly Uint8Array[], width: number, height: number, fps = 20): Uint8Array {
  if (frames.length === 0) throw new Error('encodeGif: no frames to encode');
  if (!(fps > 0 && fps <= 100)) throw new Error(`encodeGif: fps must be in (0, 100], got ${fps}`);
  const encoder = gifenc.GIFEncoder();
  const rgba = new Uint8Array(width * height * 4);
  const delay = Math.round(1000 / fps);
  frames.forEach((frame, index) => {
    checkRgb(`encodeGif frame ${index}`, frame, width, height);
    rgbToRgba(frame, rgba);
    const palette = gifenc.quantize(rgba, 256);
    const indexed = gifenc.applyPalette(rgba, palette);
    encoder.writeFrame(indexed, width, height, { palette, delay, repeat: 0 });
  });
  encoder.finish();
  return encoder.bytes();
}
