import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { resizeBilinearAlignCorners } from '../src/encoders/onnx/layers.js';
import { GraphBuilder } from '../src/util/onnx_graph.js';
import { Rng } from '../src/util/rng.js';

/** Bilinear align_corners resize of one [H, W] plane, point by point in float64 (source = d * (in - 1) / (out - 1)). */
function referenceResize(plane: Float32Array, [inH, inW]: [number, number], [outH, outW]: [number, number]): Float64Array {
  const coordinate = (d: number, inSize: number, outSize: number): [number, number, number] => {
    const source = outSize > 1 ? (d * (inSize - 1)) / (outSize - 1) : 0;
    const i0 = Math.min(Math.floor(source), inSize - 1);
    return [i0, Math.min(i0 + 1, inSize - 1), source - i0];
  };
  const out = new Float64Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const [y0, y1, ly] = coordinate(y, inH, outH);
    for (let x = 0; x < outW; x++) {
      const [x0, x1, lx] = coordinate(x, inW, outW);
      const at = (r: number, c: number): number => plane[r * inW + c]!;
      out[y * outW + x] = (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
    }
  }
  return out;
}

async function resizeWithGraph(input: Float32Array, dims: [number, number, number, number], size: [number, number]): Promise<Float32Array> {
  const [n, c, h, w] = dims;
  const g = new GraphBuilder('resize');
  const x = g.input('x', [n, c, h, w]);
  g.output('y', resizeBilinearAlignCorners(g, x, [h, w], size, 'resize'), [n, c, ...size]);
  const session = await ort.InferenceSession.create(g.toBytes(), { intraOpNumThreads: 1 });
  try {
    return (await session.run({ x: new ort.Tensor('float32', input, dims) })).y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('resizeBilinearAlignCorners', () => {
  // The DPT neck's and head's sizes, a non-square map, a shrink and a single source line.
  const cases: Array<{ from: [number, number]; to: [number, number] }> = [
    { from: [148, 148], to: [296, 296] },
    { from: [296, 296], to: [518, 518] },
    { from: [19, 37], to: [37, 74] },
    { from: [9, 7], to: [4, 5] },
    { from: [1, 3], to: [6, 3] },
  ];
  for (const { from, to } of cases) {
    it(`matches float64 bilinear interpolation to float32 rounding, ${from.join('x')} -> ${to.join('x')}`, async () => {
      const rng = new Rng(7);
      const dims: [number, number, number, number] = [2, 2, ...from];
      const input = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.uniform(-10, 10));
      const output = await resizeWithGraph(input, dims, to);
      const plane = from[0] * from[1];
      const outPlane = to[0] * to[1];
      let maxError = 0;
      for (let p = 0; p < 4; p++) {
        const want = referenceResize(input.subarray(p * plane, (p + 1) * plane), from, to);
        for (let i = 0; i < outPlane; i++) maxError = Math.max(maxError, Math.abs(output[p * outPlane + i]! - want[i]!));
      }
      // Two passes of a few float32 roundings of values up to 10 (ulp 9.5e-7). Blend weights from float32 source coordinates
      // (ONNX Resize's) are off by up to 1.5e-5 at 296 -> 518 and would miss this bar by a factor of ~100.
      expect(maxError).toBeLessThan(4e-6);
    });
  }
});
