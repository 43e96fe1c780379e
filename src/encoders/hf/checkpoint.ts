/**
 * Loads a checkpoint directory (config.json + model.safetensors [+ preprocessor_config.json]) into a `VitSpec`,
 * canonical weights and the exact preprocessing recipe. Only JSON and safetensors are read; nothing is executed.
 *
 *   theia:DIR  HF TheiaModel (theaiinstitute/theia-*): DeiT backbone of any size + lconv translator heads
 *   hf:DIR     ViTModel / ViTForImageClassification (DeiT hub checkpoints, `vit.` prefix), Dinov2Model,
 *              CLIPVisionModel / CLIPVisionModelWithProjection / CLIPModel (vision tower)
 */
import { join } from 'node:path';
import { SafetensorsFile } from '../safetensors.js';
import type { VitSpec, WeightMap } from '../vit_spec.js';
import type { ImageProcessorType, PreprocessRecipe } from '../preprocess/processor_config.js';
import { DEIT_HUB_PREPROCESSOR_CONFIG, parsePreprocessorConfig, recipeSquareSide } from '../preprocess/processor_config.js';
import type { JsonObject } from './config_json.js';
import { numberField, readJsonObject } from './config_json.js';
import { mapClipVisionKeys } from './clip_keys.js';
import { mapDinov2Keys } from './dinov2_keys.js';
import { mapTranslatorKeys, parseTeachers, THEIA_BACKBONE_PREFIX } from './theia_keys.js';
import type { MappedBackbone } from './vit_keys.js';
import { mapVitKeys } from './vit_keys.js';
import { readMappedWeights } from './weight_mapping.js';

export type CheckpointKind = 'theia' | 'hf';

export interface LoadedCheckpoint {
  kind: CheckpointKind;
  /** The architecture as named in config.json (e.g. "ViTModel", "TheiaModel"). */
  architecture: string;
  spec: VitSpec;
  weights: WeightMap;
  recipe: PreprocessRecipe;
}

type HfFamily = 'vit' | 'dinov2' | 'clip';

interface ArchitectureInfo {
  family: HfFamily;
  /** Candidate key prefixes, tried in order (the first whose embeddings exist wins). */
  prefixes: string[];
  processor: ImageProcessorType;
}

const HF_ARCHITECTURES: Readonly<Record<string, ArchitectureInfo>> = {
  ViTModel: { family: 'vit', prefixes: ['', 'vit.'], processor: 'ViTImageProcessor' },
  ViTForImageClassification: { family: 'vit', prefixes: ['vit.', ''], processor: 'ViTImageProcessor' },
  Dinov2Model: { family: 'dinov2', prefixes: ['', 'dinov2.'], processor: 'BitImageProcessor' },
  Dinov2ForImageClassification: { family: 'dinov2', prefixes: ['dinov2.', ''], processor: 'BitImageProcessor' },
  CLIPVisionModel: { family: 'clip', prefixes: ['vision_model.'], processor: 'CLIPImageProcessor' },
  CLIPVisionModelWithProjection: { family: 'clip', prefixes: ['vision_model.'], processor: 'CLIPImageProcessor' },
  CLIPModel: { family: 'clip', prefixes: ['vision_model.'], processor: 'CLIPImageProcessor' },
};
const MODEL_TYPE_ARCHITECTURE: Readonly<Record<string, string>> = {
  vit: 'ViTModel',
  dinov2: 'Dinov2Model',
  clip_vision_model: 'CLIPVisionModel',
  clip: 'CLIPModel',
};
export const SUPPORTED_HF_ARCHITECTURES = Object.keys(HF_ARCHITECTURES);

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

function inputSide(recipe: PreprocessRecipe, context: string): number {
  const side = recipeSquareSide(recipe);
  if (side === null) {
    throw new Error(`${context}: preprocessing must end in a fixed square image (a centre crop or an exact square resize), got ${JSON.stringify(recipe)}`);
  }
  return side;
}

function requireNativeGrid(mapped: MappedBackbone, imageSize: number, context: string): void {
  const grid = imageSize / mapped.spec.patchSize;
  if (grid !== mapped.spec.posGrid) {
    throw new Error(`${context}: input ${imageSize}x${imageSize} gives a ${grid}x${grid} token grid but the position embeddings are ${mapped.spec.posGrid}x${mapped.spec.posGrid}; this family is only supported at its native resolution`);
  }
}

function loadHf(dir: string): LoadedCheckpoint {
  const context = `hf:${dir}`;
  const rootConfig = readJsonObject(dir, 'config.json', true);
  const architecture = architectureOf(rootConfig, context);
  const info = HF_ARCHITECTURES[architecture]!;
  const config =
    architecture === 'CLIPModel' ? (rootConfig.vision_config as JsonObject | undefined) ?? {} : rootConfig;
  const processorConfig = readJsonObject(dir, 'preprocessor_config.json', true);
  const recipe = parsePreprocessorConfig(processorConfig, join(dir, 'preprocessor_config.json'), info.processor);
  const imageSize = inputSide(recipe, context);
  const file = SafetensorsFile.open(join(dir, 'model.safetensors'));
  try {
    const embeddingKey = info.family === 'clip' ? 'embeddings.patch_embedding.weight' : 'embeddings.patch_embeddings.projection.weight';
    const prefix = info.prefixes.find((p) => file.entries.has(`${p}${embeddingKey}`));
    if (prefix === undefined) {
      throw new Error(`${context}: ${architecture} checkpoint has no ${info.prefixes.map((p) => p + embeddingKey).join(' or ')}`);
    }
    const mapped =
      info.family === 'vit'
        ? mapVitKeys(file, config, prefix, context)
        : info.family === 'dinov2'
          ? mapDinov2Keys(file, config, prefix, context)
          : mapClipVisionKeys(file, config, prefix, context);
    if (info.family !== 'dinov2') requireNativeGrid(mapped, imageSize, context);
    const weights = readMappedWeights(file, mapped.requests, ignoredKey, context);
    const spec: VitSpec = { ...mapped.spec, family: info.family, imageSize, translators: [] };
    return { kind: 'hf', architecture, spec, weights, recipe };
  } finally {
    file.close();
  }
}

function loadTheia(dir: string): LoadedCheckpoint {
  const context = `theia:${dir}`;
  const config = readJsonObject(dir, 'config.json', true);
  const architectures = Array.isArray(config.architectures) ? config.architectures : [];
  if (config.model_type !== 'theia' && !architectures.includes('TheiaModel')) {
    throw new Error(`${context}: config.json is not a Theia config (model_type ${JSON.stringify(config.model_type)}, architectures ${JSON.stringify(config.architectures)}); use hf:DIR for other models`);
  }
  const regTokens = numberField(config, 'num_reg_tokens', 0, context);
  if (regTokens !== 0) throw new Error(`${context}: num_reg_tokens = ${regTokens} is not supported (only 0)`);
  // The hub Theia repos carry no preprocessor config: the backbone's DeiT processor settings apply.
  const processorConfig = readJsonObject(dir, 'preprocessor_config.json', false) ?? DEIT_HUB_PREPROCESSOR_CONFIG;
  const recipe = parsePreprocessorConfig(processorConfig, join(dir, 'preprocessor_config.json'), 'ViTImageProcessor');
  const imageSize = inputSide(recipe, context);
  const teachers = parseTeachers(config, context);
  const file = SafetensorsFile.open(join(dir, 'model.safetensors'));
  try {
    // Real Theia configs name only the DeiT backbone; dimensions come from the weights (heads = C / 64, as DeiT).
    const mapped = mapVitKeys(file, config, THEIA_BACKBONE_PREFIX, context);
    if (mapped.spec.pooled !== 'cls') throw new Error(`${context}: Theia backbones have no pooler, but the checkpoint has one`);
    requireNativeGrid(mapped, imageSize, context);
    const requests = [...mapped.requests, ...mapTranslatorKeys(config, teachers, mapped.spec.hiddenSize, context)];
    const weights = readMappedWeights(file, requests, () => false, context);
    const spec: VitSpec = { ...mapped.spec, family: 'theia', imageSize, translators: teachers };
    return { kind: 'theia', architecture: 'TheiaModel', spec, weights, recipe };
  } finally {
    file.close();
  }
}

export function loadCheckpoint(kind: CheckpointKind, dir: string): LoadedCheckpoint {
  if (kind === 'theia') return loadTheia(dir);
  if (kind === 'hf') return loadHf(dir);
  throw new Error(`loadCheckpoint: kind must be 'theia' or 'hf', got ${JSON.stringify(kind)}`);
}
