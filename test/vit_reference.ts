/**
 * A plain, loop-by-loop float64 ViT (the same architecture as src/encoders/onnx/vit_graph.ts, written independently)
 * used only to check the ONNX graph. Slow; for tiny configurations.
 */
import type { Tensor, VitSpec, WeightMap } from '../src/encoders/vit_spec.js';

export interface ReferenceOutputs {
  tokens: Float64Array; // [N, 1+T, C]
  spatial: Float64Array; // [N, T, C]
  cls: Float64Array; // [N, C]
  pooled: Float64Array; // [N, C]
  translators: Map<string, Float64Array>; // [N, H_t*W_t, C_t]
}

function get(weights: WeightMap, name: string): Tensor {
  const t = weights.get(name);
  if (!t) throw new Error(`reference: missing ${name}`);
  return t;
}

function layerNorm(x: Float64Array, rows: number, width: number, w: Float32Array, b: Float32Array, eps: number): Float64Array {
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < width; c++) mean += x[r * width + c]!;
    mean /= width;
    let variance = 0;
    for (let c = 0; c < width; c++) variance += (x[r * width + c]! - mean) ** 2;
    variance /= width;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < width; c++) out[r * width + c] = (x[r * width + c]! - mean) * inv * w[c]! + b[c]!;
  }
  return out;
}

/** x [rows, in] times torch Linear weight [out, in] plus bias. */
function linear(x: Float64Array, rows: number, inF: number, w: Tensor, b: Tensor | null): Float64Array {
  const outF = w.shape[0]!;
  const out = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = b ? b.data[o]! : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w.data[o * inF + i]!;
      out[r * outF + o] = s;
    }
  }
  return out;
}

/** Float64 erf (Math has none): Maclaurin series below 3, continued fraction for erfc above. */
function erf(x: number): number {
  const t = Math.abs(x);
  let result: number;
  if (t < 3) {
    let term = t;
    let sum = t;
    for (let n = 1; n < 200; n++) {
      term *= (-t * t) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    result = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = 0;
    for (let k = 60; k >= 1; k--) f = (k / 2) / (t + f);
    result = 1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
  }
  return x < 0 ? -result : result;
}

function cubic(x: number): number {
  const a = -0.75;
  const ax = Math.abs(x);
  if (ax <= 1) return (a + 2) * ax ** 3 - (a + 3) * ax ** 2 + 1;
  if (ax < 2) return a * ax ** 3 - 5 * a * ax ** 2 + 8 * a * ax - 4 * a;
  return 0;
}

/** Bicubic (torch, align_corners false) resize of the [G*G, C] patch rows of pos to g x g. */
function interpolatePos(pos: Tensor, G: number, g: number, C: number): Float64Array {
  const out = new Float64Array((1 + g * g) * C);
  for (let c = 0; c < C; c++) out[c] = pos.data[c]!;
  if (G === g) {
    for (let i = C; i < out.length; i++) out[i] = pos.data[i]!;
    return out;
  }
  const clamp = (v: number): number => Math.min(Math.max(v, 0), G - 1);
  for (let oy = 0; oy < g; oy++) {
    for (let ox = 0; ox < g; ox++) {
      const sy = ((oy + 0.5) * G) / g - 0.5;
      const sx = ((ox + 0.5) * G) / g - 0.5;
      const fy = Math.floor(sy);
      const fx = Math.floor(sx);
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let ty = fy - 1; ty <= fy + 2; ty++) {
          for (let tx = fx - 1; tx <= fx + 2; tx++) {
            s += cubic(sy - ty) * cubic(sx - tx) * pos.data[(1 + clamp(ty) * G + clamp(tx)) * C + c]!;
          }
        }
        out[(1 + oy * g + ox) * C + c] = s;
      }
    }
  }
  return out;
}

/** Conv2d on one sample x [Cin, H, W], weight [Cout, Cin, K, K]. */
function conv2d(x: Float64Array, cin: number, h: number, wd: number, weight: Tensor, bias: Tensor | null, stride: number, pad: number): { y: Float64Array; oh: number; ow: number } {
  const cout = weight.shape[0]!;
  const k = weight.shape[2]!;
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((wd + 2 * pad - k) / stride) + 1;
  const y = new Float64Array(cout * oh * ow);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let s = bias ? bias.data[o]! : 0;
        for (let c = 0; c < cin; c++) {
          for (let ki = 0; ki < k; ki++) {
            const yi = i * stride - pad + ki;
            if (yi < 0 || yi >= h) continue;
            for (let kj = 0; kj < k; kj++) {
              const xj = j * stride - pad + kj;
              if (xj < 0 || xj >= wd) continue;
              s += x[(c * h + yi) * wd + xj]! * weight.data[((o * cin + c) * k + ki) * k + kj]!;
            }
          }
        }
        y[(o * oh + i) * ow + j] = s;
      }
    }
  }
  return { y, oh, ow };
}

/** ConvTranspose2d on one sample x [Cin, H, W], weight [Cin, Cout, K, K] (scatter form, as the definition reads). */
function convTranspose2d(x: Float64Array, cin: number, h: number, wd: number, weight: Tensor, bias: Tensor, stride: number, pad: number, outPad: number): { y: Float64Array; oh: number; ow: number } {
  const cout = weight.shape[1]!;
  const k = weight.shape[2]!;
  const oh = (h - 1) * stride - 2 * pad + k + outPad;
  const ow = (wd - 1) * stride - 2 * pad + k + outPad;
  const y = new Float64Array(cout * oh * ow);
  for (let o = 0; o < cout; o++) for (let p = 0; p < oh * ow; p++) y[o * oh * ow + p] = bias.data[o]!;
  for (let c = 0; c < cin; c++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < wd; j++) {
        const v = x[(c * h + i) * wd + j]!;
        for (let o = 0; o < cout; o++) {
          for (let ki = 0; ki < k; ki++) {
            const yi = i * stride - pad + ki;
            if (yi < 0 || yi >= oh) continue;
            for (let kj = 0; kj < k; kj++) {
              const yj = j * stride - pad + kj;
              if (yj < 0 || yj >= ow) continue;
              y[(o * oh + yi) * ow + yj] += v * weight.data[((c * cout + o) * k + ki) * k + kj]!;
            }
          }
        }
      }
    }
  }
  return { y, oh, ow };
}

/** LayerNorm of one sample over all of [C, H, W] with elementwise affine. */
function jointLayerNorm(x: Float64Array, w: Tensor, b: Tensor): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i]! - mean) ** 2;
  variance /= n;
  const inv = 1 / Math.sqrt(variance + 1e-5);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (x[i]! - mean) * inv * w.data[i]! + b.data[i]!;
  return out;
}

const relu = (x: Float64Array): Float64Array => x.map((v) => Math.max(v, 0));

export function translatorHead(weights: WeightMap, teacherId: string, targetShape: [number, number, number], spatial: Float64Array, grid: number, C: number): Float64Array {
  const wt = (rest: string): Tensor => get(weights, `translators.${teacherId}.${rest}`);
  // [T, C] -> [C, g, g]
  let x: Float64Array = new Float64Array(C * grid * grid);
  for (let t = 0; t < grid * grid; t++) for (let c = 0; c < C; c++) x[c * grid * grid + t] = spatial[t * C + c]!;
  let r = convTranspose2d(x, C, grid, grid, wt('pad.1.weight'), wt('pad.1.bias'), 1, 0, 0);
  let ch = wt('pad.1.weight').shape[1]!;
  x = jointLayerNorm(r.y, wt('adapter.0.weight'), wt('adapter.0.bias'));
  if (targetShape[1] === 16) {
    let c = conv2d(x, ch, r.oh, r.ow, wt('adapter.1.weight'), wt('adapter.1.bias'), 1, 1);
    ch = wt('adapter.1.weight').shape[0]!;
    x = jointLayerNorm(relu(c.y), wt('adapter.3.weight'), wt('adapter.3.bias'));
    c = conv2d(x, ch, c.oh, c.ow, wt('adapter.4.weight'), wt('adapter.4.bias'), 1, 1);
    x = jointLayerNorm(relu(c.y), wt('adapter.6.weight'), wt('adapter.6.bias'));
    r = c;
  } else {
    r = convTranspose2d(x, ch, r.oh, r.ow, wt('adapter.1.weight'), wt('adapter.1.bias'), 2, 1, 0);
    ch = wt('adapter.1.weight').shape[1]!;
    x = jointLayerNorm(relu(r.y), wt('adapter.3.weight'), wt('adapter.3.bias'));
    r = convTranspose2d(x, ch, r.oh, r.ow, wt('adapter.4.weight'), wt('adapter.4.bias'), 2, 0, 1);
    x = jointLayerNorm(relu(r.y), wt('adapter.6.weight'), wt('adapter.6.bias'));
  }
  const hw = r.oh * r.ow;
  const tokens = new Float64Array(hw * ch);
  for (let c = 0; c < ch; c++) for (let p = 0; p < hw; p++) tokens[p * ch + c] = x[c * hw + p]!;
  return linear(tokens, hw, ch, wt('adapter.8.weight'), wt('adapter.8.bias'));
}

/** Runs the reference ViT on pixels [N, 3, S, S]. */
export function referenceVit(spec: VitSpec, weights: WeightMap, pixels: Float32Array, n: number): ReferenceOutputs {
  const { imageSize: S, patchSize: P, hiddenSize: C, numHeads: H, mlpSize: M, layerNormEps: eps } = spec;
  const g = S / P;
  const T = g * g;
  const L = 1 + T;
  const D = C / H;
  const w = (name: string): Tensor => get(weights, name);
  const pos = interpolatePos(w('embed.pos'), spec.posGrid, g, C);
  const out: ReferenceOutputs = {
    tokens: new Float64Array(n * L * C),
    spatial: new Float64Array(n * T * C),
    cls: new Float64Array(n * C),
    pooled: new Float64Array(n * C),
    translators: new Map(spec.translators.map((t) => [t.teacherId, new Float64Array(n * t.targetShape[0] * t.targetShape[1] * t.targetShape[2])])),
  };
  for (let b = 0; b < n; b++) {
    const img = Float64Array.from(pixels.subarray(b * 3 * S * S, (b + 1) * 3 * S * S));
    const patches = conv2d(img, 3, S, S, w('embed.patch.weight'), spec.patchBias ? w('embed.patch.bias') : null, P, 0).y; // [C, g, g]
    let x: Float64Array = new Float64Array(L * C);
    for (let c = 0; c < C; c++) x[c] = w('embed.cls').data[c]! + pos[c]!;
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) x[(1 + t) * C + c] = patches[c * T + t]! + pos[(1 + t) * C + c]!;
    if (spec.preNorm) x = layerNorm(x, L, C, w('pre_norm.weight').data, w('pre_norm.bias').data, eps);
    for (let i = 0; i < spec.numLayers; i++) {
      const p = `blocks.${i}`;
      const h = layerNorm(x, L, C, w(`${p}.norm1.weight`).data, w(`${p}.norm1.bias`).data, eps);
      const bias = (name: string): Tensor | null => (spec.qkvBias ? w(`${p}.attn.${name}.bias`) : null);
      const q = linear(h, L, C, w(`${p}.attn.q.weight`), bias('q'));
      const k = linear(h, L, C, w(`${p}.attn.k.weight`), bias('k'));
      const v = linear(h, L, C, w(`${p}.attn.v.weight`), bias('v'));
      const ctx = new Float64Array(L * C);
      const scores = new Float64Array(L);
      for (let head = 0; head < H; head++) {
        for (let a = 0; a < L; a++) {
          let max = -Infinity;
          for (let bb = 0; bb < L; bb++) {
            let s = 0;
            for (let d = 0; d < D; d++) s += q[a * C + head * D + d]! * k[bb * C + head * D + d]!;
            scores[bb] = s / Math.sqrt(D);
            max = Math.max(max, scores[bb]!);
          }
          let total = 0;
          for (let bb = 0; bb < L; bb++) total += scores[bb] = Math.exp(scores[bb]! - max);
          for (let d = 0; d < D; d++) {
            let s = 0;
            for (let bb = 0; bb < L; bb++) s += (scores[bb]! / total) * v[bb * C + head * D + d]!;
            ctx[a * C + head * D + d] = s;
          }
        }
      }
      const attn = linear(ctx, L, C, w(`${p}.attn.out.weight`), w(`${p}.attn.out.bias`));
      for (let j = 0; j < L * C; j++) x[j] += attn[j]! * (spec.layerScale ? w(`${p}.ls1`).data[j % C]! : 1);
      const h2 = layerNorm(x, L, C, w(`${p}.norm2.weight`).data, w(`${p}.norm2.bias`).data, eps);
      const f1 = linear(h2, L, C, w(`${p}.mlp.fc1.weight`), w(`${p}.mlp.fc1.bias`));
      const act = f1.map((u) => (spec.activation === 'gelu' ? 0.5 * u * (1 + erf(u / Math.SQRT2)) : u / (1 + Math.exp(-1.702 * u))));
      const f2 = linear(act, L, M, w(`${p}.mlp.fc2.weight`), w(`${p}.mlp.fc2.bias`));
      for (let j = 0; j < L * C; j++) x[j] += f2[j]! * (spec.layerScale ? w(`${p}.ls2`).data[j % C]! : 1);
    }
    const fw = w('final_norm.weight').data;
    const fb = w('final_norm.bias').data;
    const tokens = spec.finalNorm === 'all' ? layerNorm(x, L, C, fw, fb, eps) : x;
    out.tokens.set(tokens, b * L * C);
    out.spatial.set(tokens.subarray(C), b * T * C);
    out.cls.set(tokens.subarray(0, C), b * C);
    let pooled = spec.finalNorm === 'cls' ? layerNorm(tokens.slice(0, C), 1, C, fw, fb, eps) : tokens.slice(0, C);
    if (spec.pooled === 'dense_tanh') pooled = linear(pooled, 1, C, w('pooler.weight'), w('pooler.bias')).map(Math.tanh);
    out.pooled.set(pooled, b * C);
    for (const tr of spec.translators) {
      const y = translatorHead(weights, tr.teacherId, tr.targetShape, tokens.subarray(C), g, C);
      out.translators.get(tr.teacherId)!.set(y, b * y.length);
    }
  }
  return out;
}
