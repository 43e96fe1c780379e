/**
 * Loads a checkpoint directory (config.json + model.safetensors or pytorch_model.bin [+ preprocessor_config.json])
 * into an `EncoderModel`: architecture, canonical weights and the exact preprocessing. Only JSON, safetensors and
 * (through the restricted unpickler) PyTorch zip checkpoints are read; nothing is executed.
 *
 *   theia:DIR  HF TheiaModel (theaiinstitute/theia-*): DeiT backbone of any size + lconv translator heads
 *   hf:DIR     ViTModel / ViTForImageClassification (DeiT hub checkpoints, `vit.` prefix), DeiTModel /
 *              DeiTForImageClassification(WithTeacher) (CLS + distillation token), Dinov2Model,
 *              Dinov2WithRegistersModel, CLIPVisionModel / CLIPVisionModelWithProjection / CLIPModel (vision tower),
 *              SamModel (vision encoder + neck), DepthAnythingForDepthEstimation (DINOv2 backbone + DPT head)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EncoderModel } from '../encoder_model.js';
import { fileInModelFolder } from '../model_files.js';
import type { ImageProcessorType, PreprocessRecipe } from '../preprocess/processor_config.js';
import { DEIT_HUB_PREPROCESSOR_CONFIG, parsePreprocessorConfig, recipeSquareSide } from '../preprocess/processor_config.js';
import { openTensorFile, type TensorFile } from '../tensor_file.js';
import type { VitSpec } from '../vit_spec.js';
import { vitEncoderModel } from '../onnx/vit_encoder.js';
import { mapClipVisionKeys } from './clip_keys.js';
import type { JsonObject } from './config_json.js';
import { numberField, readJsonObject } from './config_json.js';
import { loadDepthAnything } from './depth_anything.js';
import { mapDinov2Keys } from './dinov2_keys.js';
import { recipePreprocessor } from '../preprocess/recipe_preprocessor.js';
import { loadSamVision } from './sam.js';
import { mapTranslatorKeys, parseTeachers, THEIA_BACKBONE_PREFIX } from './theia_keys.js';
import type { MappedBackbone } from './vit_keys.js';
import { mapVitKeys } from './vit_keys.js';
import { readMappedWeights } from './weight_mapping.js';

export type CheckpointKind = 'theia' | 'hf';

/** What a family loader gets: the parsed config files and the open weights. */
export interface HfCheckpoint {
  /** The spec string, e.g. "hf:DIR"; errors start with it. */
  id: string;
  architecture: string;
  config: JsonObject;
  recipe: PreprocessRecipe;
  file: TensorFile;
}

type VitFamily = 'vit' | 'deit' | 'dinov2' | 'dinov2_reg' | 'clip';

interface ArchitectureInfo {
  /** 'sam' and 'depth_anything' have their own loaders; the rest are ViT-family key layouts. */
  family: VitFamily | 'sam' | 'depth_anything';
  /** Candidate key prefixes, tried in order (the first whose embeddings exist wins). */
  prefixes: string[];
  processor: ImageProcessorType;
}

const HF_ARCHITECTURES: Readonly<Record<string, ArchitectureInfo>> = {
  ViTModel: { family: 'vit', prefixes: ['', 'vit.'], processor: 'ViTImageProcessor' },
  ViTForImageClassification: { family: 'vit', prefixes: ['vit.', ''], processor: 'ViTImageProcessor' },
  DeiTModel: { family: 'deit', prefixes: ['', 'deit.'], processor: 'DeiTImageProcessor' },
  DeiTForImageClassification: { family: 'deit', prefixes: ['deit.', ''], processor: 'DeiTImageProcessor' },
  DeiTForImageClassificationWithTeacher: { family: 'deit', prefixes: ['deit.', ''], processor: 'DeiTImageProcessor' },
  Dinov2Model: { family: 'dinov2', prefixes: ['', 'dinov2.'], processor: 'BitImageProcessor' },
  Dinov2ForImageClassification: { family: 'dinov2', prefixes: ['dinov2.', ''], processor: 'BitImageProcessor' },
  Dinov2WithRegistersModel: { family: 'dinov2_reg', prefixes: ['', 'dinov2_with_registers.'], processor: 'BitImageProcessor' },
  Dinov2WithRegistersForImageClassification: { family: 'dinov2_reg', prefixes: ['dinov2_with_registers.', ''], processor: 'BitImageProcessor' },
  CLIPVisionModel: { family: 'clip', prefixes: ['vision_model.'], processor: 'CLIPImageProcessor' },
  CLIPVisionModelWithProjection: { family: 'clip', prefixes: ['vision_model.'], processor: 'CLIPImageProcessor' },
  CLIPModel: { family: 'clip', prefixes: ['vision_model.'], processor: 'CLIPImageProcessor' },
  SamModel: { family: 'sam', prefixes: ['vision_encoder.'], processor: 'SamImageProcessor' },
  DepthAnythingForDepthEstimation: { family: 'depth_anything', prefixes: [''], processor: 'DPTImageProcessor' },
};
const MODEL_TYPE_ARCHITECTURE: Readonly<Record<string, string>> = {
  vit: 'ViTModel',
  deit: 'DeiTModel',
  dinov2: 'Dinov2Model',
  dinov2_with_registers: 'Dinov2WithRegistersModel',
  clip_vision_model: 'CLIPVisionModel',
  clip: 'CLIPModel',
  sam: 'SamModel',
  depth_anything: 'DepthAnythingForDepthEstimation',
};
const SUPPORTED_HF_ARCHITECTURES = Object.keys(HF_ARCHITECTURES);

/** The weights file of a snapshot: model.safetensors, else pytorch_model.bin (a torch zip, read without code). */
export function openSnapshotWeights(dir: string): TensorFile {
  for (const name of ['model.safetensors', 'pytorch_model.bin']) {
    const path = fileInModelFolder(dir, name, `checkpoint directory ${dir}`);
    if (existsSync(path)) return openTensorFile(path);
  }
  throw new Error(`checkpoint directory ${dir}: neither model.safetensors nor pytorch_model.bin found`);
}

/** Checkpoint keys that are legitimately unused by an encoder (heads, the CLIP text tower, buffers, mask tokens). */
function ignoredKey(key: string): boolean {
  return (
    /(^|\.)(classifier|distillation_classifier|cls_classifier)\./.test(key) ||
    /(^|\.)embeddings\.(mask_token|position_ids)$/.test(key) ||
    /^(text_model|visual_projection|text_projection)\./.test(key) ||
    key === 'logit_scale'
  );
}

function architectureOf(config: JsonObject, context: string): string {
  const declared = Array.isArray(config.architectures) ? config.architectures : [];
  const fromList = declared.find((a): a is string => typeof a === 'string' && a in HF_ARCHITECTURES);
  if (fromList) return fromList;
  const fromType = typeof config.model_type === 'string' ? MODEL_TYPE_ARCHITECTURE[config.model_type] : undefined;
  if (fromType && declared.length === 0) return fromType;
  const named = declared.length ? `architectures ${JSON.stringify(declared)}` : `model_type ${JSON.stringify(config.model_type)}`;
  throw new Error(`${context}: ${named} is not supported (supported: ${SUPPORTED_HF_ARCHITECTURES.join(', ')}; Theia checkpoints load as theia:DIR)`);
}

/** The square side the network sees (fails for recipes that do not give one). */
export function inputSide(recipe: PreprocessRecipe, context: string): number {
  const side = recipeSquareSide(recipe);
  if (side === null) {
    throw new Error(`${context}: preprocessing must end in a fixed square image (a centre crop, a pad or a square resize), got ${JSON.stringify(recipe)}`);
  }
  return side;
}

function requireNativeGrid(mapped: MappedBackbone, imageSize: number, context: string): void {
  const grid = imageSize / mapped.spec.patchSize;
  if (grid !== mapped.spec.posGrid) {
    throw new Error(`${context}: input ${imageSize}x${imageSize} gives a ${grid}x${grid} token grid but the position embeddings are ${mapped.spec.posGrid}x${mapped.spec.posGrid}; this family is only supported at its native resolution`);
  }
}

function loadVitFamily(family: VitFamily, prefixes: string[], checkpoint: HfCheckpoint): EncoderModel {
  const { id: context, architecture, config, recipe, file } = checkpoint;
  const imageSize = inputSide(recipe, context);
  const embeddingKey = family === 'clip' ? 'embeddings.patch_embedding.weight' : 'embeddings.patch_embeddings.projection.weight';
  const prefix = prefixes.find((p) => file.entries.has(`${p}${embeddingKey}`));
  if (prefix === undefined) {
    throw new Error(`${context}: ${architecture} checkpoint has no ${prefixes.map((p) => p + embeddingKey).join(' or ')}`);
  }
  const mapped =
    family === 'vit' || family === 'deit'
      ? mapVitKeys(file, config, prefix, context)
      : family === 'clip'
        ? mapClipVisionKeys(file, config, prefix, context)
        : mapDinov2Keys(file, config, prefix, context, family === 'dinov2_reg' ? 'Dinov2WithRegistersModel' : 'Dinov2Model');
  if (family === 'deit' && !mapped.spec.distillationToken) throw new Error(`${context}: ${architecture} checkpoint has no embeddings.distillation_token`);
  if (family !== 'dinov2' && family !== 'dinov2_reg') requireNativeGrid(mapped, imageSize, context);
  const weights = readMappedWeights(file, mapped.requests, ignoredKey, context);
  const spec: VitSpec = { ...mapped.spec, family: family === 'dinov2_reg' ? 'dinov2' : family, imageSize, translators: [] };
  return vitEncoderModel({ id: context, architecture, spec, weights, preprocess: recipePreprocessor(recipe, imageSize), recipe });
}

function loadHf(dir: string): EncoderModel {
  const id = `hf:${dir}`;
  const rootConfig = readJsonObject(dir, 'config.json', true);
  const architecture = architectureOf(rootConfig, id);
  const info = HF_ARCHITECTURES[architecture]!;
  const config = architecture === 'CLIPModel' ? (rootConfig.vision_config as JsonObject | undefined) ?? {} : rootConfig;
  const processorConfig = readJsonObject(dir, 'preprocessor_config.json', true);
  const recipe = parsePreprocessorConfig(processorConfig, join(dir, 'preprocessor_config.json'), info.processor);
  const file = openSnapshotWeights(dir);
  try {
    const checkpoint: HfCheckpoint = { id, architecture, config, recipe, file };
    if (info.family === 'sam') return loadSamVision(checkpoint);
    if (info.family === 'depth_anything') return loadDepthAnything(checkpoint);
    return loadVitFamily(info.family, info.prefixes, checkpoint);
  } finally {
    file.close();
  }
}

function loadTheia(dir: string): EncoderModel {
  const id = `theia:${dir}`;
  const config = readJsonObject(dir, 'config.json', true);
  const architectures = Array.isArray(config.architectures) ? config.architectures : [];
  if (config.model_type !== 'theia' && !architectures.includes('TheiaModel')) {
    throw new Error(`${id}: config.json is not a Theia config (model_type ${JSON.stringify(config.model_type)}, architectures ${JSON.stringify(config.architectures)}); use hf:DIR for other models`);
  }
  const regTokens = numberField(config, 'num_reg_tokens', 0, id, 'non-negative integer');
  if (regTokens !== 0) throw new Error(`${id}: num_reg_tokens = ${regTokens} is not supported (only 0)`);
  // The hub Theia repos carry no preprocessor config: the backbone's DeiT processor settings apply.
  const processorConfig = readJsonObject(dir, 'preprocessor_config.json', false) ?? DEIT_HUB_PREPROCESSOR_CONFIG;
  const recipe = parsePreprocessorConfig(processorConfig, join(dir, 'preprocessor_config.json'), 'ViTImageProcessor');
  const imageSize = inputSide(recipe, id);
  const teachers = parseTeachers(config, id);
  const file = openSnapshotWeights(dir);
  try {
    // Real Theia configs name only the DeiT backbone; dimensions come from the weights (heads = C / 64, as DeiT).
    const mapped = mapVitKeys(file, config, THEIA_BACKBONE_PREFIX, id);
    if (mapped.spec.pooled !== 'cls') throw new Error(`${id}: Theia backbones have no pooler, but the checkpoint has one`);
    requireNativeGrid(mapped, imageSize, id);
    const requests = [...mapped.requests, ...mapTranslatorKeys(config, teachers, mapped.spec.hiddenSize, id)];
    const weights = readMappedWeights(file, requests, () => false, id);
    const spec: VitSpec = { ...mapped.spec, family: 'theia', imageSize, translators: teachers };
    return vitEncoderModel({ id, architecture: 'TheiaModel', spec, weights, preprocess: recipePreprocessor(recipe, imageSize), recipe });
  } finally {
    file.close();
  }
}

export function loadCheckpoint(kind: CheckpointKind, dir: string): EncoderModel {
  if (kind === 'theia') return loadTheia(dir);
  if (kind === 'hf') return loadHf(dir);
  throw new Error(`loadCheckpoint: kind must be 'theia' or 'hf', got ${JSON.stringify(kind)}`);
}
