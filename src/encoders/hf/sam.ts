/**
 * HF `SamModel` checkpoints (facebook/sam-vit-{base,large,huge}): the vision encoder under `vision_encoder.`; the
 * prompt encoder, mask decoder and shared positional embedding are not part of the image encoder and are skipped.
 *   vision_encoder.patch_embed.projection.*, vision_encoder.pos_embed [1, G, G, C],
 *   vision_encoder.layers.N.{layer_norm1, attn.qkv, attn.proj, attn.rel_pos_h, attn.rel_pos_w, layer_norm2,
 *   mlp.lin1, mlp.lin2}.*, vision_encoder.neck.{conv1.weight, layer_norm1, conv2.weight, layer_norm2}.*
 * Sizes come from the weights; which layers attend globally comes from the config (SamVisionConfig's defaults
 * where the diff-style config omits them) and must agree with the relative-position tables (2S - 1 rows).
 *
 * Features: the neck output ("image embeddings", [Cn, G, G]; what Theia distils) as spatial tokens [G*G, Cn], and
 * their mean over the grid as the pooled vector. The processor resizes every frame so that its longer side is
 * image_size (1024 for the released models) and pads to pad_size, so frames of any size give the same G x G grid
 * (64 x 64): a smaller frame is upsampled, never run at a smaller resolution (HF's pos_embed does not resize).
 */
import type { EncoderModel } from '../encoder_model.js';
import { buildSamGraph, samAttentionSide, samGrid, type SamSpec } from '../onnx/sam_graph.js';
import type { HfCheckpoint } from './checkpoint.js';
import { inputSide } from './checkpoint.js';
import type { JsonObject } from './config_json.js';
import { numberField } from './config_json.js';
import { recipePreprocessor } from '../preprocess/recipe_preprocessor.js';
import type { WeightRequest } from './weight_mapping.js';
import { agree, countLayers, patchEmbedding, readMappedWeights, shapeOf } from './weight_mapping.js';

const PREFIX = 'vision_encoder.';

/** SamVisionConfig's defaults (sam-vit-base), which diff-style configs leave out. */
const VISION_DEFAULTS = { num_attention_heads: 12, window_size: 14, global_attn_indexes: [2, 5, 8, 11], layer_norm_eps: 1e-6 };

function globalLayers(config: JsonObject, numLayers: number, context: string): number[] {
  const value = config.global_attn_indexes ?? VISION_DEFAULTS.global_attn_indexes;
  if (!Array.isArray(value) || !value.every((i) => Number.isInteger(i) && i >= 0 && i < numLayers)) {
    throw new Error(`${context}: vision_config.global_attn_indexes must list layer indices below ${numLayers}, got ${JSON.stringify(value)}`);
  }
  return value as number[];
}

export function loadSamVision({ id, architecture, config: root, recipe, file }: HfCheckpoint): EncoderModel {
  const context = id;
  const config = (root.vision_config ?? {}) as JsonObject;
  const k = (rest: string): string => `${PREFIX}${rest}`;
  const imageSize = inputSide(recipe, context);
  const { C, P } = patchEmbedding(file, k('patch_embed.projection.weight'), config, context);
  agree(config.image_size, imageSize, 'vision_config.image_size (vs the processor pad_size)', context);
  const numLayers = agree(config.num_hidden_layers, countLayers(file.names(), k('layers.'), context), 'num_hidden_layers', context);
  const M = shapeOf(file, k('layers.0.mlp.lin1.weight'), context)[0]!;
  agree(config.mlp_dim, M, 'mlp_dim', context);
  const Cn = shapeOf(file, k('neck.conv1.weight'), context)[0]!;
  agree(config.output_channels, Cn, 'output_channels', context);
  if ((config.hidden_act ?? 'gelu') !== 'gelu') throw new Error(`${context}: vision_config.hidden_act ${JSON.stringify(config.hidden_act)} is not supported (only "gelu", exact erf)`);
  const spec: SamSpec = {
    family: 'sam',
    imageSize,
    patchSize: P,
    hiddenSize: C,
    numLayers,
    numHeads: numberField(config, 'num_attention_heads', VISION_DEFAULTS.num_attention_heads, context, 'positive integer'),
    mlpSize: M,
    layerNormEps: numberField(config, 'layer_norm_eps', VISION_DEFAULTS.layer_norm_eps, context, 'positive'),
    windowSize: numberField(config, 'window_size', VISION_DEFAULTS.window_size, context, 'non-negative integer'),
    globalLayers: globalLayers(config, numLayers, context),
    qkvBias: file.entries.has(k('layers.0.attn.qkv.bias')),
    absolutePositions: file.entries.has(k('pos_embed')),
    relativePositions: file.entries.has(k('layers.0.attn.rel_pos_h')),
    neckChannels: Cn,
    neckEps: 1e-6,
  };
  const G = samGrid(spec);
  const D = C / spec.numHeads;
  const requests: WeightRequest[] = [
    { canonical: 'patch.weight', key: k('patch_embed.projection.weight'), storedShape: [C, 3, P, P] },
    { canonical: 'patch.bias', key: k('patch_embed.projection.bias'), storedShape: [C] },
    { canonical: 'neck.conv1.weight', key: k('neck.conv1.weight'), storedShape: [Cn, C, 1, 1] },
    { canonical: 'neck.conv2.weight', key: k('neck.conv2.weight'), storedShape: [Cn, Cn, 3, 3] },
  ];
  if (spec.absolutePositions) requests.push({ canonical: 'pos', key: k('pos_embed'), storedShape: [1, G, G, C], shape: [G, G, C] });
  const pair = (canonical: string, key: string, shape: number[], biasShape: number[] = [shape[0]!]): void => {
    requests.push({ canonical: `${canonical}.weight`, key: `${key}.weight`, storedShape: shape });
    requests.push({ canonical: `${canonical}.bias`, key: `${key}.bias`, storedShape: biasShape });
  };
  pair('neck.norm1', k('neck.layer_norm1'), [Cn]);
  pair('neck.norm2', k('neck.layer_norm2'), [Cn]);
  for (let i = 0; i < numLayers; i++) {
    const L = k(`layers.${i}.`);
    const B = `layers.${i}.`;
    pair(`${B}norm1`, `${L}layer_norm1`, [C]);
    pair(`${B}norm2`, `${L}layer_norm2`, [C]);
    requests.push({ canonical: `${B}attn.qkv.weight`, key: `${L}attn.qkv.weight`, storedShape: [3 * C, C] });
    if (spec.qkvBias) requests.push({ canonical: `${B}attn.qkv.bias`, key: `${L}attn.qkv.bias`, storedShape: [3 * C] });
    pair(`${B}attn.proj`, `${L}attn.proj`, [C, C], [C]);
    pair(`${B}mlp.fc1`, `${L}mlp.lin1`, [M, C], [M]);
    pair(`${B}mlp.fc2`, `${L}mlp.lin2`, [C, M], [C]);
    if (spec.relativePositions) {
      // HF would linearly resize a table of another length; the released models never need it.
      const S = samAttentionSide(spec, i);
      const rows = shapeOf(file, `${L}attn.rel_pos_h`, context)[0];
      if (rows !== 2 * S - 1) {
        const kind = spec.globalLayers.includes(i) ? `global (grid ${G})` : `windowed (window ${spec.windowSize})`;
        throw new Error(`${context}: layer ${i} is ${kind} by the config, so its rel_pos tables need ${2 * S - 1} rows, but ${L}attn.rel_pos_h has ${rows} (global_attn_indexes / window_size do not fit these weights)`);
      }
      requests.push({ canonical: `${B}attn.rel_h`, key: `${L}attn.rel_pos_h`, storedShape: [2 * S - 1, D] });
      requests.push({ canonical: `${B}attn.rel_w`, key: `${L}attn.rel_pos_w`, storedShape: [2 * S - 1, D] });
    }
  }
  const weights = readMappedWeights(file, requests, (key) => !key.startsWith(PREFIX), context);
  return {
    id,
    architecture,
    spec,
    weights,
    headWeights: new Map(),
    preprocess: recipePreprocessor(recipe, imageSize),
    recipe,
    outputs: new Map([
      ['image_embeddings', [Cn, G, G]],
      ['spatial', [G * G, Cn]],
      ['pooled', [Cn]],
      ['hidden_states', [G, G, C]],
    ]),
    headOutputs: new Set(),
    pooled: 'pooled',
    spatial: 'spatial',
    policyInput: `pooled [${Cn}] (mean of the neck's image embeddings over the ${G}x${G} grid); spatial tokens [${G * G}, ${Cn}] (the image embeddings) also available`,
    buildGraph: () => buildSamGraph(spec, weights),
  };
}
