/**
 * Builds the ONNX graph (opset 17, float32) of a ViT-family encoder from a `VitSpec` and canonical weights
 * (vit_spec.ts). Input `pixel_values` [N, 3, S, S] with dynamic N; outputs `tokens`, `spatial`, `cls`, `pooled` and
 * `translator.<teacherId>` as documented in vit_spec.ts.
 *
 * Build-time folding (numerically equivalent up to float rounding): Linear weights are stored transposed [in, out];
 * q/k/v are one [C, 3C] MatMul; 1/sqrt(head_dim) is folded into the q projection; CLS and position embeddings are
 * added to each other once, and position embeddings are resized to the input grid here rather than in the graph.
 */
import type { Tensor, VitSpec, WeightMap } from '../vit_spec.js';
import { GraphBuilder, float, int, ints } from './graph_builder.js';
import { resizePositionEmbeddings } from './pos_embed.js';
import { addTranslatorHead } from './translator_graph.js';
import { transpose2d, WeightReader } from './weights.js';

export const PIXEL_INPUT = 'pixel_values';

/** Token grid side the graph computes for `spec` (imageSize / patchSize), validating the spec on the way. */
export function tokenGrid(spec: VitSpec): number {
  const positive = ['imageSize', 'patchSize', 'hiddenSize', 'numLayers', 'numHeads', 'mlpSize', 'posGrid'] as const;
  for (const field of positive) {
    if (!Number.isInteger(spec[field]) || spec[field] < 1) {
      throw new Error(`VitSpec.${field} must be a positive integer, got ${spec[field]}`);
    }
  }
  if (spec.imageSize % spec.patchSize !== 0) {
    throw new Error(`VitSpec: imageSize ${spec.imageSize} is not a multiple of patchSize ${spec.patchSize}`);
  }
  if (spec.hiddenSize % spec.numHeads !== 0) {
    throw new Error(`VitSpec: hiddenSize ${spec.hiddenSize} is not divisible by numHeads ${spec.numHeads}`);
  }
  if (!(spec.layerNormEps > 0)) throw new Error(`VitSpec.layerNormEps must be > 0, got ${spec.layerNormEps}`);
  return spec.imageSize / spec.patchSize;
}

/** Serialised ONNX model bytes for `spec` with `weights` as initialisers. */
export function buildVitGraph(spec: VitSpec, weights: WeightMap): Uint8Array {
  return new VitGraph(spec, weights).build().toBytes();
}

class VitGraph {
  private readonly g: GraphBuilder;
  private readonly w: WeightReader;
  private readonly C: number;
  private readonly grid: number;

  constructor(
    private readonly spec: VitSpec,
    weights: WeightMap,
  ) {
    this.grid = tokenGrid(spec);
    this.C = spec.hiddenSize;
    this.g = new GraphBuilder(`${spec.family}_vit`);
    this.w = new WeightReader(weights, `buildVitGraph(${spec.family})`);
  }

  build(): GraphBuilder {
    const { g, spec, C } = this;
    const T = this.grid * this.grid;
    const pixels = g.input(PIXEL_INPUT, ['N', 3, spec.imageSize, spec.imageSize]);
    let x = this.embeddings(pixels);
    if (spec.preNorm) x = this.layerNorm(x, 'pre_norm');
    for (let i = 0; i < spec.numLayers; i++) x = this.block(x, i);

    const normed = spec.finalNorm === 'all' ? this.layerNorm(x, 'final_norm') : x;
    const cls = g.op('Gather', [normed, g.int64Tensor('idx0', [0], [])], { axis: int(1) }, 'cls_token');
    const spatial = g.op(
      'Slice',
      [normed, g.int64Tensor('slice_start', [1]), g.int64Tensor('slice_end', [1 + T]), g.int64Tensor('slice_axis', [1])],
      {},
      'spatial_tokens',
    );
    let pooled = spec.finalNorm === 'cls' ? this.layerNorm(cls, 'final_norm') : cls;
    if (spec.pooled === 'dense_tanh') pooled = g.op('Tanh', [this.linear(pooled, 'pooler', C, C)]);

    g.output('tokens', normed, ['N', 1 + T, C]);
    g.output('spatial', spatial, ['N', T, C]);
    g.output('cls', cls, ['N', C]);
    g.output('pooled', pooled, ['N', C]);
    const seen = new Set<string>();
    for (const tr of spec.translators) {
      if (seen.has(tr.teacherId)) throw new Error(`VitSpec: translator '${tr.teacherId}' is listed twice`);
      seen.add(tr.teacherId);
      const out = addTranslatorHead(g, this.w, tr, spatial, this.grid, C);
      const [ct, ht, wt] = tr.targetShape;
      g.output(`translator.${tr.teacherId}`, out, ['N', ht * wt, ct]);
    }
    return g;
  }

  /** pixel_values [N,3,S,S] -> tokens [N, 1+T, C] with (resized) position embeddings added. */
  private embeddings(pixels: string): string {
    const { g, w, spec, C, grid } = this;
    const P = spec.patchSize;
    const patchW = w.get('embed.patch.weight', [C, 3, P, P]);
    const convInputs = [pixels, g.floatTensor('patch_w', patchW.data, patchW.shape)];
    if (spec.patchBias) convInputs.push(g.floatTensor('patch_b', w.get('embed.patch.bias', [C]).data, [C]));
    const patches = g.op('Conv', convInputs, { kernel_shape: ints([P, P]), strides: ints([P, P]) }, 'patches');
    const flat = g.op('Reshape', [patches, g.int64Tensor('patch_flat_shape', [0, C, grid * grid])]);
    const patchTokens = g.op('Transpose', [flat], { perm: ints([0, 2, 1]) }, 'patch_tokens'); // [N, T, C]

    const storedPos = w.get('embed.pos', [1 + spec.posGrid * spec.posGrid, C]);
    const pos: Tensor = resizePositionEmbeddings(storedPos, grid);
    const cls = w.get('embed.cls', [C]);
    const clsWithPos = new Float32Array(C);
    for (let c = 0; c < C; c++) clsWithPos[c] = cls.data[c]! + pos.data[c]!;
    const patchPos = pos.data.slice(C);

    const withPos = g.op('Add', [patchTokens, g.floatTensor('pos_patch', patchPos, [1, grid * grid, C])]);
    // CLS row repeated over the dynamic batch: Expand to [N, 1, C] with N read from the input's shape.
    const batch = g.op('Shape', [pixels], { start: int(0), end: int(1) }, 'batch');
    const clsShape = g.op('Concat', [batch, g.int64Tensor('one_c', [1, C])], { axis: int(0) }, 'cls_shape');
    const clsRows = g.op('Expand', [g.floatTensor('cls_pos', clsWithPos, [1, 1, C]), clsShape], {}, 'cls_rows');
    return g.op('Concat', [clsRows, withPos], { axis: int(1) }, 'embeddings');
  }

  private layerNorm(x: string, name: string): string {
    const { g, w, C } = this;
    const scale = w.get(`${name}.weight`, [C]);
    const bias = w.get(`${name}.bias`, [C]);
    return g.op(
      'LayerNormalization',
      [x, g.floatTensor(`${name}_w`, scale.data, [C]), g.floatTensor(`${name}_b`, bias.data, [C])],
      { axis: int(-1), epsilon: float(this.spec.layerNormEps) },
      `${name.replace(/\./g, '_')}_out`,
    );
  }

  /** x [.., inF] -> x W^T + b [.., outF] for a torch Linear stored as `${name}.weight` [outF, inF], `${name}.bias`. */
  private linear(x: string, name: string, inF: number, outF: number): string {
    const { g, w } = this;
    const hint = name.replace(/\./g, '_');
    const weight = w.get(`${name}.weight`, [outF, inF]);
    const bias = w.get(`${name}.bias`, [outF]);
    const y = g.op('MatMul', [x, g.floatTensor(`${hint}_wT`, transpose2d(weight), [inF, outF])], {}, `${hint}_mm`);
    return g.op('Add', [y, g.floatTensor(`${hint}_b`, bias.data, [outF])], {}, hint);
  }

  private block(x: string, i: number): string {
    const { g, spec, C } = this;
    const p = `blocks.${i}`;
    const attn = this.attention(this.layerNorm(x, `${p}.norm1`), i);
    x = g.op('Add', [x, spec.layerScale ? this.scale(attn, `${p}.ls1`) : attn], {}, `${p}_res1`);

    const h = this.linear(this.layerNorm(x, `${p}.norm2`), `${p}.mlp.fc1`, C, spec.mlpSize);
    const act = spec.activation === 'gelu' ? this.gelu(h) : this.quickGelu(h);
    const mlp = this.linear(act, `${p}.mlp.fc2`, spec.mlpSize, C);
    return g.op('Add', [x, spec.layerScale ? this.scale(mlp, `${p}.ls2`) : mlp], {}, `${p}_res2`);
  }

  private scale(x: string, name: string): string {
    const t = this.w.get(name, [this.C]);
    return this.g.op('Mul', [x, this.g.floatTensor(name.replace(/\./g, '_'), t.data, [this.C])]);
  }

  /** Exact GELU: 0.5 * x * (1 + erf(x / sqrt 2)), in the form ORT's Gelu fusion recognises. */
  private gelu(x: string): string {
    const { g } = this;
    const erf = g.op('Erf', [g.op('Div', [x, g.scalar('sqrt2', Math.SQRT2)])]);
    const onePlus = g.op('Add', [erf, g.scalar('one', 1)]);
    return g.op('Mul', [g.op('Mul', [x, onePlus]), g.scalar('half', 0.5)], {}, 'gelu');
  }

  /** CLIP's quick_gelu: x * sigmoid(1.702 x). */
  private quickGelu(x: string): string {
    const { g } = this;
    const s = g.op('Sigmoid', [g.op('Mul', [x, g.scalar('qg_alpha', 1.702)])]);
    return g.op('Mul', [x, s], {}, 'quick_gelu');
  }

  /** Multi-head self-attention on h [N, L, C]: softmax(q k^T / sqrt(D)) v, heads batched as [N, H, L, D]. */
  private attention(h: string, i: number): string {
    const { g, w, spec, C } = this;
    const p = `blocks.${i}.attn`;
    const H = spec.numHeads;
    const D = C / H;
    const qScale = 1 / Math.sqrt(D);
    // Fused [C, 3C] projection: columns [q | k | v], q pre-scaled.
    const wqkv = new Float32Array(C * 3 * C);
    const bqkv = new Float32Array(3 * C);
    (['q', 'k', 'v'] as const).forEach((name, j) => {
      const wt = transpose2d(w.get(`${p}.${name}.weight`, [C, C])); // [in, out]
      const s = name === 'q' ? qScale : 1;
      for (let r = 0; r < C; r++) for (let c = 0; c < C; c++) wqkv[r * 3 * C + j * C + c] = wt[r * C + c]! * s;
      if (spec.qkvBias) {
        const b = w.get(`${p}.${name}.bias`, [C]);
        for (let c = 0; c < C; c++) bqkv[j * C + c] = b.data[c]! * s;
      }
    });
    let qkv = g.op('MatMul', [h, g.floatTensor(`b${i}_qkv_w`, wqkv, [C, 3 * C])], {}, `b${i}_qkv_mm`);
    if (spec.qkvBias) qkv = g.op('Add', [qkv, g.floatTensor(`b${i}_qkv_b`, bqkv, [3 * C])], {}, `b${i}_qkv`);
    const split = g.op('Reshape', [qkv, g.int64Tensor('qkv_split_shape', [0, 0, 3, H, D])]); // [N, L, 3, H, D]
    const heads = g.op('Transpose', [split], { perm: ints([2, 0, 3, 1, 4]) }, `b${i}_heads`); // [3, N, H, L, D]
    const pick = (k: number, hint: string): string => g.op('Gather', [heads, g.int64Tensor(`idx_${hint}`, [k], [])], { axis: int(0) }, `b${i}_${hint}`);
    const q = pick(0, 'q');
    const kT = g.op('Transpose', [pick(1, 'k')], { perm: ints([0, 1, 3, 2]) }, `b${i}_kT`); // [N, H, D, L]
    const v = pick(2, 'v');
    const probs = g.op('Softmax', [g.op('MatMul', [q, kT], {}, `b${i}_scores`)], { axis: int(-1) }, `b${i}_probs`);
    const ctx = g.op('MatMul', [probs, v], {}, `b${i}_ctx`); // [N, H, L, D]
    const merged = g.op('Transpose', [ctx], { perm: ints([0, 2, 1, 3]) }); // [N, L, H, D]
    const tokens = g.op('Reshape', [merged, g.int64Tensor('merge_heads_shape', [0, 0, C])]);
    return this.linear(tokens, `${p}.out`, C, C);
  }
}
