/**
 * `vc1:FILE_OR_DIR`: VC-1 (facebookresearch/eai-vc) encoders, the MAE-style timm ViT that vc1_vitb.pth / vc1_vitl.pth
 * hold (`torch.save({'model': state_dict})`, read by the restricted unpickler) or a safetensors copy. A folder is
 * searched for model.pth, then model.safetensors.
 *
 * Keys (timm): cls_token [1,1,C], pos_embed [1,1+G*G,C], patch_embed.proj.*, blocks.N.{norm1, attn.qkv (q, k, v rows
 * stacked), attn.proj, norm2, mlp.fc1, mlp.fc2}.*, norm.*; MAE leftovers (keys with "decoder" or "mask_token") are
 * skipped, as vc_models' load_mae_encoder does. The head count is not in the weights: it is read from a config.json
 * beside the checkpoint (`constructor_kwargs.num_heads` or `num_heads`), else C / 64 (the released ViT-B: 12, ViT-L: 16).
 *
 * Features: the CLS token after the final norm (vc_models' "use_cls_token" embedding, what CortexBench feeds the
 * policy); the patch tokens are available as spatial tokens. VC-1 adds pos_embed before concatenating CLS, which
 * gives the same numbers as the ViT builder's order.
 *
 * Preprocessing: vc_models.transforms.vit_transforms on a PIL image (as mujoco_vc feeds numpy frames): Resize(256)
 * of the shorter side with PIL bicubic, CenterCrop(224) (torchvision's rounding), ToTensor, ImageNet mean/std.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EncoderModel } from './encoder_model.js';
import { readJsonObject, type JsonObject } from './hf/config_json.js';
import { recipePreprocessor } from './preprocess/recipe_preprocessor.js';
import { gridOf } from './hf/vit_keys.js';
import type { WeightRequest } from './hf/weight_mapping.js';
import { countLayers, patchEmbedding, readMappedWeights, shapeOf } from './hf/weight_mapping.js';
import { vitEncoderModel } from './onnx/vit_encoder.js';
import { type PreprocessRecipe, torchvisionResizeCropRecipe } from './preprocess/processor_config.js';
import { openTensorFile } from './tensor_file.js';
import { locateCheckpoint } from './torch/locate.js';
import type { VitSpec, WeightMap } from './vit_spec.js';

export const VC1_RECIPE: PreprocessRecipe = torchvisionResizeCropRecipe('vc_models.vit_transforms', 'bicubic');

function headCount(checkpoint: string, C: number, context: string): number {
  const dir = dirname(checkpoint);
  const config: JsonObject | null = existsSync(dir) ? readJsonObject(dir, 'config.json', false) : null;
  const kwargs = (config?.constructor_kwargs ?? config ?? {}) as JsonObject;
  const heads = kwargs.num_heads ?? Math.max(1, Math.round(C / 64));
  if (!Number.isInteger(heads) || (heads as number) < 1 || C % (heads as number) !== 0) {
    throw new Error(`${context}: num_heads ${JSON.stringify(heads)} does not divide the width ${C}`);
  }
  return heads as number;
}

/** timm's fused qkv [3C, C] (+ [3C]) -> canonical q/k/v [C, C] (+ [C]). */
function splitQkv(weights: WeightMap, layers: number, C: number, bias: boolean): void {
  for (let i = 0; i < layers; i++) {
    const p = `blocks.${i}.attn`;
    const w = weights.get(`${p}.qkv.weight`)!;
    const b = bias ? weights.get(`${p}.qkv.bias`)! : null;
    (['q', 'k', 'v'] as const).forEach((name, j) => {
      weights.set(`${p}.${name}.weight`, { shape: [C, C], data: w.data.slice(j * C * C, (j + 1) * C * C) });
      if (b) weights.set(`${p}.${name}.bias`, { shape: [C], data: b.data.slice(j * C, (j + 1) * C) });
    });
    weights.delete(`${p}.qkv.weight`);
    weights.delete(`${p}.qkv.bias`);
  }
}

/** Loads `vc1:PATH` (`id` is the full spec string). */
export function loadVc1(id: string, path: string): EncoderModel {
  const checkpoint = locateCheckpoint(path, ['model.pth', 'model.safetensors'], id);
  const file = openTensorFile(checkpoint, { stateDictKey: 'model' });
  try {
    const { C, P } = patchEmbedding(file, 'patch_embed.proj.weight', {}, id);
    const positions = shapeOf(file, 'pos_embed', id)[1]!;
    const posGrid = gridOf(positions, 1, id);
    const numLayers = countLayers(file.names(), 'blocks.', id);
    const M = shapeOf(file, 'blocks.0.mlp.fc1.weight', id)[0]!;
    const qkvBias = file.entries.has('blocks.0.attn.qkv.bias');
    const layerScale = file.entries.has('blocks.0.ls1.gamma');
    const requests: WeightRequest[] = [
      { canonical: 'embed.cls', key: 'cls_token', storedShape: [1, 1, C], shape: [C] },
      { canonical: 'embed.pos', key: 'pos_embed', storedShape: [1, positions, C], shape: [positions, C] },
      { canonical: 'embed.patch.weight', key: 'patch_embed.proj.weight', storedShape: [C, 3, P, P] },
      { canonical: 'embed.patch.bias', key: 'patch_embed.proj.bias', storedShape: [C] },
      { canonical: 'final_norm.weight', key: 'norm.weight', storedShape: [C] },
      { canonical: 'final_norm.bias', key: 'norm.bias', storedShape: [C] },
    ];
    const same = (canonical: string, key: string, shape: number[]): void => {
      requests.push({ canonical, key, storedShape: shape });
    };
    for (let i = 0; i < numLayers; i++) {
      const b = `blocks.${i}.`;
      for (const n of ['norm1', 'norm2']) {
        same(`${b}${n}.weight`, `${b}${n}.weight`, [C]);
        same(`${b}${n}.bias`, `${b}${n}.bias`, [C]);
      }
      same(`${b}attn.qkv.weight`, `${b}attn.qkv.weight`, [3 * C, C]);
      if (qkvBias) same(`${b}attn.qkv.bias`, `${b}attn.qkv.bias`, [3 * C]);
      same(`${b}attn.out.weight`, `${b}attn.proj.weight`, [C, C]);
      same(`${b}attn.out.bias`, `${b}attn.proj.bias`, [C]);
      same(`${b}mlp.fc1.weight`, `${b}mlp.fc1.weight`, [M, C]);
      same(`${b}mlp.fc1.bias`, `${b}mlp.fc1.bias`, [M]);
      same(`${b}mlp.fc2.weight`, `${b}mlp.fc2.weight`, [C, M]);
      same(`${b}mlp.fc2.bias`, `${b}mlp.fc2.bias`, [C]);
      if (layerScale) {
        same(`${b}ls1`, `${b}ls1.gamma`, [C]);
        same(`${b}ls2`, `${b}ls2.gamma`, [C]);
      }
    }
    const maeLeftover = (key: string): boolean => key.includes('decoder') || key.includes('mask_token') || key.startsWith('head.');
    const weights = readMappedWeights(file, requests, maeLeftover, id);
    splitQkv(weights, numLayers, C, qkvBias);
    const spec: VitSpec = {
      family: 'vc1',
      imageSize: 224,
      patchSize: P,
      hiddenSize: C,
      numLayers,
      numHeads: headCount(checkpoint, C, id),
      mlpSize: M,
      layerNormEps: 1e-6,
      activation: 'gelu',
      qkvBias,
      patchBias: true,
      layerScale,
      preNorm: false,
      finalNorm: 'all',
      posGrid,
      posInterpolation: 'bicubic',
      distillationToken: false,
      registerTokens: 0,
      pooled: 'cls',
      translators: [],
    };
    if (224 / P !== posGrid) throw new Error(`${id}: position embeddings for a ${posGrid}x${posGrid} grid, but VC-1 runs at 224 (a ${224 / P}x${224 / P} grid)`);
    const architecture = `VC-1 MAE ViT (width ${C}, ${numLayers} layers, ${spec.numHeads} heads)`;
    return vitEncoderModel({ id, architecture, spec, weights, preprocess: recipePreprocessor(VC1_RECIPE, 224), recipe: VC1_RECIPE });
  } finally {
    file.close();
  }
}
