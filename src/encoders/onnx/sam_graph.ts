/**
 * The ONNX graph (opset 17, float32) of SAM's image encoder as HF `SamVisionEncoder` computes it: patch conv ->
 * NHWC tokens + absolute positions -> pre-norm blocks with windowed or global attention and decomposed relative
 * positions -> neck (1x1 conv, channel LayerNorm, 3x3 conv, channel LayerNorm).
 *
 * Upstream details reproduced: windowed layers zero-pad the token grid at the bottom/right to a multiple of the
 * window AFTER layer_norm1 and do not mask the padded tokens (they attend and are attended to, as zeros through
 * qkv); the relative-position terms use the unscaled query; windows are cut row-major per image.
 *
 * Build-time folding: 1/sqrt(head_dim) is folded into the q rows of qkv, so the relative-position tables are
 * gathered into [S, S, D] (row h, key row k -> table[h - k + S - 1]) and multiplied by sqrt(head_dim) to undo it.
 *
 * Canonical weights (torch layouts):
 *   patch.{weight [C,3,P,P], bias [C]}, pos [G, G, C] (spec.absolutePositions)
 *   layers.{i}.norm1/norm2.{weight,bias} [C], layers.{i}.attn.qkv.{weight [3C,C], bias [3C]} (bias when spec.qkvBias),
 *   layers.{i}.attn.proj.{weight [C,C], bias}, layers.{i}.attn.rel_h / rel_w [2S-1, D] (spec.relativePositions),
 *   layers.{i}.mlp.fc1.{weight [M,C], bias}, layers.{i}.mlp.fc2.{weight [C,M], bias}
 *   neck.conv1.weight [Cn,C,1,1], neck.norm1.{weight,bias} [Cn], neck.conv2.weight [Cn,Cn,3,3], neck.norm2.{weight,bias}
 * Outputs (N = batch, G = imageSize / patchSize):
 *   image_embeddings [N, Cn, G, G]  the neck output (HF's last_hidden_state, Theia's SAM teacher feature)
 *   spatial          [N, G*G, Cn]   the same, as row-major tokens
 *   pooled           [N, Cn]        their mean over the grid
 *   hidden_states    [N, G, G, C]   the last block's output, before the neck
 */
import type { TransformerShape, WeightMap } from '../vit_spec.js';
import { GraphBuilder, int, ints } from '../../util/onnx_graph.js';
import { PIXEL_INPUT } from './pixel_input.js';
import { conv, gelu, layerNorm, linear } from './layers.js';
import { WeightReader } from './weights.js';

/** imageSize is the side of the (padded) input image. */
export interface SamSpec extends TransformerShape {
  family: 'sam';
  /** Window side of the windowed layers. */
  windowSize: number;
  /** Layers with global attention over the whole grid; the others attend within windows. */
  globalLayers: number[];
  qkvBias: boolean;
  absolutePositions: boolean;
  relativePositions: boolean;
  neckChannels: number;
  /** eps of the neck's channel LayerNorms. */
  neckEps: number;
}

/** Token grid side, validating the spec. */
export function samGrid(spec: SamSpec): number {
  for (const field of ['imageSize', 'patchSize', 'hiddenSize', 'numLayers', 'numHeads', 'mlpSize', 'windowSize', 'neckChannels'] as const) {
    if (!Number.isInteger(spec[field]) || spec[field] < 1) throw new Error(`SamSpec.${field} must be a positive integer, got ${spec[field]}`);
  }
  if (spec.imageSize % spec.patchSize !== 0) throw new Error(`SamSpec: imageSize ${spec.imageSize} is not a multiple of patchSize ${spec.patchSize}`);
  if (spec.hiddenSize % spec.numHeads !== 0) throw new Error(`SamSpec: hiddenSize ${spec.hiddenSize} is not divisible by numHeads ${spec.numHeads}`);
  for (const i of spec.globalLayers) {
    if (!Number.isInteger(i) || i < 0 || i >= spec.numLayers) throw new Error(`SamSpec.globalLayers: ${i} is not a layer index (0..${spec.numLayers - 1})`);
  }
  return spec.imageSize / spec.patchSize;
}

/** Side of the attention grid of layer i: the window, or the whole grid for global layers. */
export function samAttentionSide(spec: SamSpec, layer: number): number {
  return spec.globalLayers.includes(layer) ? samGrid(spec) : spec.windowSize;
}

export function buildSamGraph(spec: SamSpec, weights: WeightMap): Uint8Array {
  return new SamGraph(spec, weights).build().toBytes();
}

class SamGraph {
  private readonly g = new GraphBuilder('sam_vision_encoder');
  private readonly w: WeightReader;
  private readonly grid: number;
  private readonly C: number;

  constructor(
    private readonly spec: SamSpec,
    weights: WeightMap,
  ) {
    this.grid = samGrid(spec);
    this.C = spec.hiddenSize;
    this.w = new WeightReader(weights, 'buildSamGraph');
  }

  build(): GraphBuilder {
    const { g, w, spec, C, grid: G } = this;
    const P = spec.patchSize;
    const pixels = g.input(PIXEL_INPUT, ['N', 3, spec.imageSize, spec.imageSize]);
    const patches = conv(g, 'Conv', pixels, w.get('patch.weight', [C, 3, P, P]), w.get('patch.bias', [C]), 'patch', { stride: P });
    let x = g.op('Transpose', [patches], { perm: ints([0, 2, 3, 1]) }, 'tokens_nhwc'); // [N, G, G, C]
    if (spec.absolutePositions) x = g.op('Add', [x, g.floatTensor('pos', w.get('pos', [G, G, C]).data, [1, G, G, C])], {}, 'with_pos');
    for (let i = 0; i < spec.numLayers; i++) x = this.block(x, i);
    g.output('hidden_states', x, ['N', G, G, C]);

    const Cn = spec.neckChannels;
    const conv1 = w.get('neck.conv1.weight', [Cn, C, 1, 1]);
    let y = linear(g, x, { shape: [Cn, C], data: conv1.data }, null, 'neck_conv1');
    y = layerNorm(g, y, w.get('neck.norm1.weight', [Cn]), w.get('neck.norm1.bias', [Cn]), spec.neckEps, 'neck_norm1');
    y = g.op('Transpose', [y], { perm: ints([0, 3, 1, 2]) }, 'neck_nchw');
    y = conv(g, 'Conv', y, w.get('neck.conv2.weight', [Cn, Cn, 3, 3]), null, 'neck_conv2', { pad: 1 });
    y = g.op('Transpose', [y], { perm: ints([0, 2, 3, 1]) }, 'neck_nhwc');
    y = layerNorm(g, y, w.get('neck.norm2.weight', [Cn]), w.get('neck.norm2.bias', [Cn]), spec.neckEps, 'neck_norm2');
    const spatial = g.op('Reshape', [y, g.int64Tensor('spatial_shape', [0, G * G, Cn])], {}, 'spatial_tokens');
    g.output('image_embeddings', g.op('Transpose', [y], { perm: ints([0, 3, 1, 2]) }, 'embeddings_nchw'), ['N', Cn, G, G]);
    g.output('spatial', spatial, ['N', G * G, Cn]);
    g.output('pooled', g.op('ReduceMean', [spatial], { axes: ints([1]), keepdims: int(0) }, 'pooled_mean'), ['N', Cn]);
    return g;
  }

  /** x [N, G, G, C] -> x + attn(norm1(x)) -> + mlp(norm2(.)). */
  private block(x: string, i: number): string {
    const { g, w, spec, C, grid: G } = this;
    const p = `layers.${i}`;
    const normed = layerNorm(g, x, w.get(`${p}.norm1.weight`, [C]), w.get(`${p}.norm1.bias`, [C]), spec.layerNormEps, `l${i}_norm1`);
    let attn: string;
    if (spec.globalLayers.includes(i)) attn = this.attention(normed, i, G);
    else {
      const S = spec.windowSize;
      const padded = Math.ceil(G / S) * S;
      const n = padded / S;
      // Zero-pad bottom/right, cut [N, n, S, n, S, C] into n*n windows per image (row-major), attend, undo.
      let windows = padded === G ? normed : g.op('Pad', [normed, g.int64Tensor(`l${i}_pads`, [0, 0, 0, 0, 0, padded - G, padded - G, 0])], {}, `l${i}_padded`);
      windows = g.op('Reshape', [windows, g.int64Tensor(`l${i}_split`, [-1, n, S, n, S, C])]);
      windows = g.op('Transpose', [windows], { perm: ints([0, 1, 3, 2, 4, 5]) });
      windows = g.op('Reshape', [windows, g.int64Tensor(`l${i}_windows`, [-1, S, S, C])], {}, `l${i}_windows`);
      let merged = this.attention(windows, i, S);
      merged = g.op('Reshape', [merged, g.int64Tensor(`l${i}_unsplit`, [-1, n, n, S, S, C])]);
      merged = g.op('Transpose', [merged], { perm: ints([0, 1, 3, 2, 4, 5]) });
      merged = g.op('Reshape', [merged, g.int64Tensor(`l${i}_merged`, [-1, padded, padded, C])]);
      attn =
        padded === G
          ? merged
          : g.op('Slice', [merged, g.int64Tensor(`l${i}_crop_start`, [0, 0]), g.int64Tensor(`l${i}_crop_end`, [G, G]), g.int64Tensor(`l${i}_crop_axes`, [1, 2])], {}, `l${i}_cropped`);
    }
    x = g.op('Add', [x, attn], {}, `l${i}_res1`);
    const h = layerNorm(g, x, w.get(`${p}.norm2.weight`, [C]), w.get(`${p}.norm2.bias`, [C]), spec.layerNormEps, `l${i}_norm2`);
    const mlp = linear(g, gelu(g, linear(g, h, w.get(`${p}.mlp.fc1.weight`, [spec.mlpSize, C]), w.get(`${p}.mlp.fc1.bias`, [spec.mlpSize]), `l${i}_fc1`)),
      w.get(`${p}.mlp.fc2.weight`, [C, spec.mlpSize]), w.get(`${p}.mlp.fc2.bias`, [C]), `l${i}_fc2`);
    return g.op('Add', [x, mlp], {}, `l${i}_res2`);
  }

  /** Self-attention over square grids x [B, S, S, C] (B = images or windows) with decomposed relative positions. */
  private attention(x: string, i: number, S: number): string {
    const { g, w, spec, C } = this;
    const p = `layers.${i}.attn`;
    const H = spec.numHeads;
    const D = C / H;
    const L = S * S;
    const scale = 1 / Math.sqrt(D);
    const qkvW = w.get(`${p}.qkv.weight`, [3 * C, C]);
    const qkvB = spec.qkvBias ? w.get(`${p}.qkv.bias`, [3 * C]) : null;
    // Fold the query scale into the q rows (the first C of 3C).
    const scaledW = qkvW.data.slice();
    for (let r = 0; r < C * C; r++) scaledW[r]! *= scale;
    const scaledB = qkvB ? qkvB.data.slice() : null;
    if (scaledB) for (let r = 0; r < C; r++) scaledB[r]! *= scale;
    const qkv = linear(g, x, { shape: [3 * C, C], data: scaledW }, scaledB ? { shape: [3 * C], data: scaledB } : null, `l${i}_qkv`);
    const split = g.op('Reshape', [qkv, g.int64Tensor(`l${i}_qkv_split`, [-1, L, 3, H, D])]);
    const heads = g.op('Transpose', [split], { perm: ints([2, 0, 3, 1, 4]) }, `l${i}_heads`); // [3, B, H, L, D]
    const pick = (k: number, hint: string): string => g.op('Gather', [heads, g.int64Tensor(`l${i}_idx_${hint}`, [k], [])], { axis: int(0) }, `l${i}_${hint}`);
    const q = pick(0, 'q');
    const kT = g.op('Transpose', [pick(1, 'k')], { perm: ints([0, 1, 3, 2]) }, `l${i}_kT`);
    let scores = g.op('MatMul', [q, kT], {}, `l${i}_scores`); // [B, H, L, L]
    if (spec.relativePositions) scores = this.addRelativePositions(scores, q, i, S, D);
    const probs = g.op('Softmax', [scores], { axis: int(-1) }, `l${i}_probs`);
    const ctx = g.op('MatMul', [probs, pick(2, 'v')], {}, `l${i}_ctx`); // [B, H, L, D]
    const merged = g.op('Transpose', [ctx], { perm: ints([0, 2, 1, 3]) }); // [B, L, H, D]
    const tokens = g.op('Reshape', [merged, g.int64Tensor(`l${i}_merge`, [-1, S, S, C])]);
    return linear(g, tokens, w.get(`${p}.proj.weight`, [C, C]), w.get(`${p}.proj.bias`, [C]), `l${i}_proj`);
  }

  /**
   * scores [B, H, L, L] += rel_h[b, h, w, kh] + rel_w[b, h, w, kw], with rel_h = q . Rh[h, kh], rel_w = q . Rw[w, kw]
   * (q unscaled; the scale folded into q is undone in the tables).
   */
  private addRelativePositions(scores: string, q: string, i: number, S: number, D: number): string {
    const { g, w, spec } = this;
    const H = spec.numHeads;
    const table = (name: 'rel_h' | 'rel_w'): string => {
      const stored = w.get(`layers.${i}.attn.${name}`, [2 * S - 1, D]);
      // gathered[a, c, k] = stored[a - k + S - 1, c] * sqrt(D): one [D, S] matrix per query row/column a.
      const gathered = new Float32Array(S * D * S);
      const undo = Math.sqrt(D);
      for (let a = 0; a < S; a++) {
        for (let k = 0; k < S; k++) {
          const row = (a - k + S - 1) * D;
          for (let c = 0; c < D; c++) gathered[(a * D + c) * S + k] = stored.data[row + c]! * undo;
        }
      }
      return g.floatTensor(`l${i}_${name}`, gathered, [S, D, S]);
    };
    const grid = g.op('Reshape', [q, g.int64Tensor(`l${i}_q_grid`, [-1, S, S, D])], {}, `l${i}_q_grid`); // [B*H, S, S, D]
    // rel_h: rows first -> [S_h, B*H*S_w, D] @ [S_h, D, S_kh] -> [B*H, S_h, S_w, S_kh].
    let relH = g.op('Transpose', [grid], { perm: ints([1, 0, 2, 3]) });
    relH = g.op('Reshape', [relH, g.int64Tensor(`l${i}_rows`, [S, -1, D])]);
    relH = g.op('MatMul', [relH, table('rel_h')], {}, `l${i}_rel_h_mm`);
    relH = g.op('Reshape', [relH, g.int64Tensor(`l${i}_rel_h_split`, [S, -1, S, S])]);
    relH = g.op('Transpose', [relH], { perm: ints([1, 0, 2, 3]) });
    relH = g.op('Reshape', [relH, g.int64Tensor(`l${i}_rel_h_shape`, [-1, H, S, S, S, 1])], {}, `l${i}_rel_h`);
    // rel_w: columns first -> [S_w, B*H*S_h, D] @ [S_w, D, S_kw] -> [B*H, S_h, S_w, S_kw].
    let relW = g.op('Transpose', [grid], { perm: ints([2, 0, 1, 3]) });
    relW = g.op('Reshape', [relW, g.int64Tensor(`l${i}_cols`, [S, -1, D])]);
    relW = g.op('MatMul', [relW, table('rel_w')], {}, `l${i}_rel_w_mm`);
    relW = g.op('Reshape', [relW, g.int64Tensor(`l${i}_rel_w_split`, [S, -1, S, S])]);
    relW = g.op('Transpose', [relW], { perm: ints([1, 2, 0, 3]) });
    relW = g.op('Reshape', [relW, g.int64Tensor(`l${i}_rel_w_shape`, [-1, H, S, S, 1, S])], {}, `l${i}_rel_w`);
    const grid6 = g.op('Reshape', [scores, g.int64Tensor(`l${i}_scores6`, [-1, H, S, S, S, S])]);
    const biased = g.op('Add', [g.op('Add', [grid6, relH]), relW], {}, `l${i}_biased`);
    return g.op('Reshape', [biased, g.int64Tensor(`l${i}_scores_back`, [-1, H, S * S, S * S])], {}, `l${i}_scores_rel`);
  }
}
