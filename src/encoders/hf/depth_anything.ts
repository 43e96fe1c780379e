/**
 * HF `DepthAnythingForDepthEstimation` checkpoints (LiheYoung/depth-anything-*-hf, depth-anything/*): a DINOv2
 * backbone under `backbone.` (Dinov2Model key names), the DPT neck under `neck.` and the relative-depth head under
 * `head.`:
 *   neck.reassemble_stage.layers.{i}.{projection, resize}.*, neck.convs.{i}.weight,
 *   neck.fusion_stage.layers.{j}.{projection, residual_layer1, residual_layer2}.*  (residual_layerN.convolution{1,2}),
 *   head.conv{1,2,3}.*
 * The first fusion layer's residual_layer1 is stored but never used (it has no stage input), as upstream.
 *
 * Features: the backbone's last-layer tokens after its final LayerNorm (spatial [T, C], CLS as pooled); the depth
 * head is optional (`predicted_depth`, and `theia_target`: Theia's Depth-Anything teacher feature [32, 64, 64]).
 * Preprocessing is the DPT processor's: towards 518x518 keeping the aspect ratio, sides rounded to a multiple of
 * 14, PIL bicubic, ImageNet mean/std. Square frames give 518x518 (37x37 tokens); the graph is built for that square,
 * so non-square frames are refused.
 */
import type { EncoderModel } from '../encoder_model.js';
import { buildDepthAnythingGraph, type DepthAnythingSpec } from '../onnx/dpt_graph.js';
import { prefixTokens, type VitSpec, type WeightMap } from '../vit_spec.js';
import type { HfCheckpoint } from './checkpoint.js';
import { inputSide } from './checkpoint.js';
import type { JsonObject } from './config_json.js';
import { mapDinov2Keys } from './dinov2_keys.js';
import { recipePreprocessor } from '../preprocess/recipe_preprocessor.js';
import type { WeightRequest } from './weight_mapping.js';
import { agree, readMappedWeights, shapeOf } from './weight_mapping.js';

/** DepthAnythingConfig's defaults (depth-anything-small), which diff-style configs leave out. */
const DEFAULTS = { reassemble_factors: [4, 2, 1, 0.5], head_in_index: -1, depth_estimation_type: 'relative' };
const THEIA_TARGET_GRID = 64;

function numberList(value: unknown, what: string, length: number, context: string): number[] {
  if (!Array.isArray(value) || value.length !== length || !value.every((v) => typeof v === 'number' && v > 0)) {
    throw new Error(`${context}: ${what} must be ${length} positive numbers, got ${JSON.stringify(value)}`);
  }
  return value as number[];
}

export function loadDepthAnything({ id, architecture, config, recipe, file }: HfCheckpoint): EncoderModel {
  const context = id;
  const backboneConfig = (config.backbone_config ?? {}) as JsonObject;
  if (config.backbone !== undefined && config.backbone !== null) {
    throw new Error(`${context}: a named timm/HF backbone (${JSON.stringify(config.backbone)}) is not supported; the checkpoint must carry backbone_config`);
  }
  if (backboneConfig.model_type !== undefined && backboneConfig.model_type !== 'dinov2') {
    throw new Error(`${context}: backbone_config.model_type ${JSON.stringify(backboneConfig.model_type)} is not supported (only "dinov2")`);
  }
  if (backboneConfig.apply_layernorm === false) throw new Error(`${context}: backbone_config.apply_layernorm false is not supported`);
  const estimation = config.depth_estimation_type ?? DEFAULTS.depth_estimation_type;
  if (estimation !== 'relative') throw new Error(`${context}: depth_estimation_type ${JSON.stringify(estimation)} is not supported (only "relative")`);
  if ((config.head_in_index ?? DEFAULTS.head_in_index) !== -1) throw new Error(`${context}: head_in_index must be -1, got ${JSON.stringify(config.head_in_index)}`);

  const imageSize = inputSide(recipe, context);
  const mapped = mapDinov2Keys(file, backboneConfig, 'backbone.', context);
  const backbone: VitSpec = { ...mapped.spec, family: 'dinov2', imageSize, translators: [] };
  const C = backbone.hiddenSize;
  agree(config.reassemble_hidden_size, C, 'reassemble_hidden_size', context);
  agree(config.patch_size, backbone.patchSize, 'patch_size', context);

  const outIndices = backboneConfig.out_indices ?? [backbone.numLayers - 3, backbone.numLayers - 2, backbone.numLayers - 1, backbone.numLayers];
  const stages = numberList(outIndices, 'backbone_config.out_indices', 4, context);
  if (!stages.every((i) => Number.isInteger(i) && i >= 1 && i <= backbone.numLayers)) {
    throw new Error(`${context}: backbone_config.out_indices must name layers 1..${backbone.numLayers} (0 is the embeddings), got ${JSON.stringify(outIndices)}`);
  }
  const factors = numberList(config.reassemble_factors ?? DEFAULTS.reassemble_factors, 'reassemble_factors', 4, context);

  const requests: WeightRequest[] = [...mapped.requests];
  const neckHiddenSizes: number[] = [];
  // Conv2d weights are [out, in, k, k]; the only ConvTranspose2d (resize, f > 1) maps Ni -> Ni, so out = shape[0].
  const conv = (canonical: string, key: string, shape: number[], bias = true): void => {
    requests.push({ canonical: `${canonical}.weight`, key: `${key}.weight`, storedShape: shape });
    if (bias) requests.push({ canonical: `${canonical}.bias`, key: `${key}.bias`, storedShape: [shape[0]!] });
  };
  const fusion = shapeOf(file, 'neck.convs.0.weight', context)[0]!;
  agree(config.fusion_hidden_size, fusion, 'fusion_hidden_size', context);
  for (let i = 0; i < 4; i++) {
    const reassemble = `neck.reassemble_stage.layers.${i}`;
    const Ni = shapeOf(file, `${reassemble}.projection.weight`, context)[0]!;
    neckHiddenSizes.push(Ni);
    conv(`neck.reassemble.${i}.projection`, `${reassemble}.projection`, [Ni, C, 1, 1]);
    const f = factors[i]!;
    if (f > 1) {
      if (!Number.isInteger(f)) throw new Error(`${context}: reassemble factor ${f} must be an integer above 1`);
      conv(`neck.reassemble.${i}.resize`, `${reassemble}.resize`, [Ni, Ni, f, f]); // ConvTranspose2d [in, out, k, k]
    } else if (f < 1) {
      if (!Number.isInteger(1 / f)) throw new Error(`${context}: reassemble factor ${f} must be 1 / an integer below 1`);
      conv(`neck.reassemble.${i}.resize`, `${reassemble}.resize`, [Ni, Ni, 3, 3]);
    }
    conv(`neck.convs.${i}`, `neck.convs.${i}`, [fusion, Ni, 3, 3], false);
  }
  for (let j = 0; j < 4; j++) {
    const layer = `neck.fusion_stage.layers.${j}`;
    conv(`neck.fusion.${j}.projection`, `${layer}.projection`, [fusion, fusion, 1, 1]);
    for (const r of j === 0 ? [2] : [1, 2]) {
      for (const c of [1, 2]) conv(`neck.fusion.${j}.residual${r}.conv${c}`, `${layer}.residual_layer${r}.convolution${c}`, [fusion, fusion, 3, 3]);
    }
  }
  const headHidden = shapeOf(file, 'head.conv2.weight', context)[0]!;
  agree(config.head_hidden_size, headHidden, 'head_hidden_size', context);
  conv('head.conv1', 'head.conv1', [fusion / 2, fusion, 3, 3]);
  conv('head.conv2', 'head.conv2', [headHidden, fusion / 2, 3, 3]);
  conv('head.conv3', 'head.conv3', [1, headHidden, 1, 1]);
  const unused = (key: string): boolean => /(^|\.)embeddings\.mask_token$/.test(key) || key.startsWith('neck.fusion_stage.layers.0.residual_layer1.');
  const all = readMappedWeights(file, requests, unused, context);

  const weights: WeightMap = new Map();
  const headWeights: WeightMap = new Map();
  for (const [name, tensor] of all) (/^(neck|head)\./.test(name) ? headWeights : weights).set(name, tensor);
  const spec: DepthAnythingSpec = {
    family: 'depth_anything',
    backbone,
    stageLayers: stages.map((i) => i - 1),
    reassembleFactors: factors,
    neckHiddenSizes,
    fusionHiddenSize: fusion,
    headHiddenSize: headHidden,
    theiaTargetGrid: THEIA_TARGET_GRID,
  };
  const G = imageSize / backbone.patchSize;
  const T = G * G;
  const depthSide = G * backbone.patchSize;
  return {
    id,
    architecture,
    spec,
    weights,
    headWeights,
    preprocess: recipePreprocessor(recipe, imageSize),
    recipe,
    outputs: new Map([
      ['spatial', [T, C]],
      ['cls', [C]],
      ['pooled', [C]],
      ['tokens', [prefixTokens(backbone) + T, C]],
      ['predicted_depth', [depthSide, depthSide]],
      ['theia_target', [headHidden, THEIA_TARGET_GRID, THEIA_TARGET_GRID]],
    ]),
    headOutputs: new Set(['predicted_depth', 'theia_target']),
    pooled: 'pooled',
    spatial: 'spatial',
    policyInput: `pooled [${C}] (backbone CLS after the final LayerNorm); spatial tokens [${T}, ${C}] (backbone tokens) also available`,
    buildGraph: (withHeads) => buildDepthAnythingGraph(spec, withHeads ? all : weights, withHeads),
  };
}
