/**
 * The contract between ViT-family checkpoint loaders (HF ViT/DeiT, DINOv2, CLIP vision, Theia, VC-1) and the ONNX
 * graph builder.
 *
 * Loaders read a checkpoint, decide its architecture, and hand the builder a `VitSpec` plus weights under the
 * canonical names below. The builder knows nothing about checkpoint key layouts; loaders know nothing about ONNX.
 *
 * Canonical weight names (torch layouts: Linear weight [out, in], Conv2d weight [out, in, kh, kw],
 * ConvTranspose2d weight [in, out, kh, kw]):
 *   embed.cls                   [C]             CLS token
 *   embed.dist                  [C]             distillation token (spec.distillationToken, DeiT-distilled)
 *   embed.registers             [R, C]          register tokens (R = spec.registerTokens, DINOv2 with registers)
 *   embed.pos                   [K + G*G, C]    position embeddings for a G x G grid (G = spec.posGrid) after K = 1 rows
 *                                               for CLS (2 with a distillation token: CLS, distillation); registers
 *                                               have none
 *   embed.patch.weight          [C, 3, P, P]
 *   embed.patch.bias            [C]             (absent when spec.patchBias is false, e.g. CLIP)
 *   pre_norm.{weight,bias}      [C]             (spec.preNorm, CLIP's pre_layrnorm)
 *   blocks.{i}.norm1.{weight,bias}               [C]
 *   blocks.{i}.attn.{q,k,v}.weight               [C, C]    bias [C] when spec.qkvBias
 *   blocks.{i}.attn.out.{weight,bias}            [C, C], [C]
 *   blocks.{i}.ls1, blocks.{i}.ls2               [C]       (spec.layerScale, DINOv2)
 *   blocks.{i}.norm2.{weight,bias}               [C]
 *   blocks.{i}.mlp.fc1.{weight,bias}             [M, C], [M]
 *   blocks.{i}.mlp.fc2.{weight,bias}             [C, M], [C]
 *   final_norm.{weight,bias}    [C]
 *   pooler.{weight,bias}        [C, C], [C]     (spec.pooled === 'dense_tanh', HF ViT pooler)
 *   translators.{teacherId}.{rest}              Theia translator heads, `rest` exactly as in the checkpoint after
 *                                               `translator.translator_heads.<teacherId>.` (pad.1.*, adapter.<n>.*)
 */

/** A dense float32 tensor in row-major order. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export type WeightMap = Map<string, Tensor>;

/** A Theia feature-translator head (theia.md): 16x16 ("conv") or 64x64 ("deconv") target grid. */
export interface TranslatorSpec {
  /** Teacher id as in the checkpoint, e.g. "facebook/dinov2-large" (may contain '/'). */
  teacherId: string;
  /** Teacher feature shape [C_t, H_t, W_t]; H_t = W_t = 16 or 64. */
  targetShape: [number, number, number];
}

/** The dimensions every patch-embedding transformer (ViT family, SAM's encoder) is built from. */
export interface TransformerShape {
  /** Input resolution the graph is built for (square). */
  imageSize: number;
  patchSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  mlpSize: number;
  layerNormEps: number;
}

export interface VitSpec extends TransformerShape {
  /** Human-readable family, for errors and `bench encoders`. */
  family: 'vit' | 'deit' | 'dinov2' | 'clip' | 'theia' | 'vc1' | 'random';
  activation: 'gelu' | 'quick_gelu';
  qkvBias: boolean;
  patchBias: boolean;
  layerScale: boolean;
  /** CLIP's LayerNorm on the embeddings before the first block. */
  preNorm: boolean;
  /**
   * Where the final LayerNorm applies: 'all' tokens (ViT, DeiT, DINOv2, Theia) or only the pooled CLS ('cls',
   * CLIP's post_layernorm; then `tokens` are the un-normalised encoder output, as HF's last_hidden_state).
   */
  finalNorm: 'all' | 'cls';
  /** Grid side of the stored position embeddings (e.g. 37 for DINOv2 at 518/14). */
  posGrid: number;
  /**
   * How stored position embeddings are resized when posGrid differs from imageSize / patchSize:
   * 'bicubic' = torch bicubic (A = -0.75, align_corners false) to the target size (transformers >= 4.45 DINOv2);
   * 'bicubic_antialias' = torch bicubic with antialias=True (a PIL-style filter, A = -0.5; DINOv2 with registers).
   */
  posInterpolation: 'bicubic' | 'bicubic_antialias';
  /** DeiT-distilled's second prefix token (after CLS, with its own position embedding). */
  distillationToken: boolean;
  /** Register tokens inserted after CLS once position embeddings are added (DINOv2 with registers); 0 = none. */
  registerTokens: number;
  /** What `pooled` is: the CLS token after the final norm, or HF ViT's tanh(dense(CLS)) pooler. */
  pooled: 'cls' | 'dense_tanh';
  translators: TranslatorSpec[];
}

/**
 * Graph outputs (float32), N = batch, T = (imageSize / patchSize)^2, P = prefix tokens (1 + distillation + registers):
 *   tokens  [N, P + T, C]  all tokens: CLS, [distillation], [registers], patches (HF `last_hidden_state`)
 *   spatial [N, T, C]      the patch tokens only (CLS, distillation and registers are not spatial)
 *   cls     [N, C]         tokens[:, 0]
 *   distillation [N, C]    tokens[:, 1] (spec.distillationToken)
 *   registers [N, R, C]    (spec.registerTokens > 0)
 *   pooled  [N, C]         see VitSpec.pooled (CLIP: post_layernorm(CLS))
 *   translator.{teacherId} [N, H_t * W_t, C_t]
 * Graph input: `pixel_values` [N, 3, imageSize, imageSize] float32, already preprocessed.
 */

/** Tokens before the patch tokens: CLS, the distillation token, registers. */
export function prefixTokens(spec: Pick<VitSpec, 'distillationToken' | 'registerTokens'>): number {
  return 1 + (spec.distillationToken ? 1 : 0) + spec.registerTokens;
}

/** Position-embedding rows before the patch grid: CLS and the distillation token (registers have none). */
export function prefixPositions(spec: Pick<VitSpec, 'distillationToken'>): number {
  return spec.distillationToken ? 2 : 1;
}
