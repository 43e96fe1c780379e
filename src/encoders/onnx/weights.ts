/** Checked access to a `WeightMap` while a graph is built, with errors that name the weight and the shape expected. */
import type { Tensor, WeightMap } from '../vit_spec.js';

export class WeightReader {
  constructor(
    private readonly weights: WeightMap,
    private readonly context: string,
  ) {}

  has(name: string): boolean {
    return this.weights.has(name);
  }

  /** The tensor `name`; `shape` entries that are -1 match any size. */
  get(name: string, shape: number[]): Tensor {
    const t = this.weights.get(name);
    if (!t) throw new Error(`${this.context}: missing weight '${name}' (expected shape [${shape}])`);
    const fits = t.shape.length === shape.length && t.shape.every((d, i) => shape[i] === -1 || shape[i] === d);
    if (!fits) throw new Error(`${this.context}: weight '${name}' has shape [${t.shape}], expected [${shape}]`);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) {
      throw new Error(`${this.context}: weight '${name}' holds ${t.data.length} values, shape [${t.shape}] needs ${size}`);
    }
    return t;
  }
}

/** Linear weight [out, in] -> [in, out], so that a token matrix [.., in] can MatMul it directly. */
export function transpose2d(t: Tensor): Float32Array {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c]!;
  return out;
}
