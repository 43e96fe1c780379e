/**
 * HF CLIP vision-tower key layout (`CLIPVisionModel`, and the vision half of `CLIPModel`), under `vision_model.`:
 * embeddings.{class_embedding [C], patch_embedding.weight [C,3,P,P] (no bias), position_embedding.weight [1+G*G,C]},
 * pre_layrnorm.*, encoder.layers.N.{layer_norm1, self_attn.{q,k,v,out}_proj, layer_norm2, mlp.fc1, mlp.fc2}.*,
 * post_layernorm.* (applied to the pooled CLS only).
 */
import type { TensorFile } from '../tensor_file.js';
import type { JsonObject } from './config_json.js';
import { activationOf, numberField } from './config_json.js';
import type { MappedBackbone } from './vit_keys.js';
import { gridOf } from './vit_keys.js';
import type { WeightRequest } from './weight_mapping.js';
import { agree, countLayers, patchEmbedding, shapeOf } from './weight_mapping.js';

export function mapClipVisionKeys(file: TensorFile, config: JsonObject, prefix: string, context: string): MappedBackbone {
  const k = (rest: string): string => `${prefix}${rest}`;
  const { C, P } = patchEmbedding(file, k('embeddings.patch_embedding.weight'), config, context);
  const positions = shapeOf(file, k('embeddings.position_embedding.weight'), context)[0] ?? 0;
  const posGrid = gridOf(positions, 1, context);
  const layerPrefix = k('encoder.layers.');
  const numLayers = agree(config.num_hidden_layers, countLayers(file.names(), layerPrefix, context), 'num_hidden_layers', context);
  const M = shapeOf(file, `${layerPrefix}0.mlp.fc1.weight`, context)[0]!;
  agree(config.intermediate_size, M, 'intermediate_size', context);
  const numHeads = numberField(config, 'num_attention_heads', Math.max(1, Math.round(C / 64)), context, 'positive integer');
  if (C % numHeads !== 0) throw new Error(`${context}: hidden size ${C} is not divisible by ${numHeads} attention heads`);

  const requests: WeightRequest[] = [
    { canonical: 'embed.cls', key: k('embeddings.class_embedding'), storedShape: [C] },
    { canonical: 'embed.pos', key: k('embeddings.position_embedding.weight'), storedShape: [positions, C] },
    { canonical: 'embed.patch.weight', key: k('embeddings.patch_embedding.weight'), storedShape: [C, 3, P, P] },
  ];
  const norm = (canonical: string, key: string): void => {
    requests.push({ canonical: `${canonical}.weight`, key: `${key}.weight`, storedShape: [C] });
    requests.push({ canonical: `${canonical}.bias`, key: `${key}.bias`, storedShape: [C] });
  };
  const linear = (canonical: string, key: string, out: number, inp: number): void => {
    requests.push({ canonical: `${canonical}.weight`, key: `${key}.weight`, storedShape: [out, inp] });
    requests.push({ canonical: `${canonical}.bias`, key: `${key}.bias`, storedShape: [out] });
  };
  norm('pre_norm', k('pre_layrnorm'));
  norm('final_norm', k('post_layernorm'));
  for (let i = 0; i < numLayers; i++) {
    const L = `${layerPrefix}${i}.`;
    const B = `blocks.${i}.`;
    norm(`${B}norm1`, `${L}layer_norm1`);
    linear(`${B}attn.q`, `${L}self_attn.q_proj`, C, C);
    linear(`${B}attn.k`, `${L}self_attn.k_proj`, C, C);
    linear(`${B}attn.v`, `${L}self_attn.v_proj`, C, C);
    linear(`${B}attn.out`, `${L}self_attn.out_proj`, C, C);
    norm(`${B}norm2`, `${L}layer_norm2`);
    linear(`${B}mlp.fc1`, `${L}mlp.fc1`, M, C);
    linear(`${B}mlp.fc2`, `${L}mlp.fc2`, C, M);
  }
  return {
    spec: {
      patchSize: P,
      hiddenSize: C,
      numLayers,
      numHeads,
      mlpSize: M,
      layerNormEps: numberField(config, 'layer_norm_eps', 1e-5, context, 'positive'),
      activation: activationOf(config.hidden_act, 'quick_gelu', context),
      qkvBias: true,
      patchBias: false,
      layerScale: false,
      preNorm: true,
      finalNorm: 'cls',
      posGrid,
      posInterpolation: 'bicubic',
      distillationToken: false,
      registerTokens: 0,
      pooled: 'cls',
    },
    requests,
  };
}
