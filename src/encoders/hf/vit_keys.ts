/**
 * HF `ViTModel` key layout (also DeiT hub checkpoints under `vit.`, Theia's backbone under `backbone.model.`, and HF
 * `DeiTModel`, whose embeddings add a distillation token: `deit.embeddings.distillation_token` [1,1,C] and
 * position_embeddings [1,2+G*G,C]):
 *   embeddings.{cls_token [1,1,C], position_embeddings [1,1+G*G,C], patch_embeddings.projection.{weight,bias}},
 *   encoder.layer.N.{layernorm_before, attention.attention.{query,key,value}, attention.output.dense,
 *   layernorm_after, intermediate.dense, output.dense}.*, layernorm.*, optional pooler.dense.*
 * Dimensions come from the weight shapes; config values, when present, must agree.
 */
import type { TensorFile } from '../tensor_file.js';
import type { VitSpec } from '../vit_spec.js';
import type { JsonObject } from './config_json.js';
import { activationOf, numberField } from './config_json.js';
import type { WeightRequest } from './weight_mapping.js';
import { agree, countLayers, patchEmbedding, shapeOf } from './weight_mapping.js';

export type BackboneSpec = Omit<VitSpec, 'family' | 'imageSize' | 'translators'>;

export interface MappedBackbone {
  spec: BackboneSpec;
  requests: WeightRequest[];
}

/** Square grid side for a position table of `positions` rows, `prefixRows` of them (CLS, distillation) first. */
export function gridOf(positions: number, prefixRows: number, context: string): number {
  const grid = Math.round(Math.sqrt(positions - prefixRows));
  if (grid < 1 || grid * grid !== positions - prefixRows) {
    throw new Error(`${context}: ${positions} position embeddings are not ${prefixRows} + a square grid`);
  }
  return grid;
}

/**
 * @param prefix  key prefix before `embeddings.`, e.g. "", "vit." or "backbone.model."
 * @param defaultHeadDim  head width assumed when the config does not give num_attention_heads (DeiT/ViT: 64)
 */
export function mapVitKeys(
  file: TensorFile,
  config: JsonObject,
  prefix: string,
  context: string,
  defaultHeadDim = 64,
): MappedBackbone {
  const k = (rest: string): string => `${prefix}${rest}`;
  const { C, P } = patchEmbedding(file, k('embeddings.patch_embeddings.projection.weight'), config, context);
  const posShape = shapeOf(file, k('embeddings.position_embeddings'), context);
  const positions = posShape[1] ?? 0;
  const distillationToken = file.entries.has(k('embeddings.distillation_token'));
  const posGrid = gridOf(positions, distillationToken ? 2 : 1, context);
  const layerPrefix = k('encoder.layer.');
  const numLayers = agree(config.num_hidden_layers, countLayers(file.names(), layerPrefix, context), 'num_hidden_layers', context);
  const M = shapeOf(file, `${layerPrefix}0.intermediate.dense.weight`, context)[0]!;
  agree(config.intermediate_size, M, 'intermediate_size', context);
  const numHeads = numberField(config, 'num_attention_heads', Math.max(1, Math.round(C / defaultHeadDim)), context, 'positive integer');
  if (C % numHeads !== 0) throw new Error(`${context}: hidden size ${C} is not divisible by ${numHeads} attention heads`);
  const qkvBias = file.entries.has(`${layerPrefix}0.attention.attention.query.bias`);
  if (config.qkv_bias !== undefined && config.qkv_bias !== qkvBias) {
    throw new Error(`${context}: config qkv_bias = ${String(config.qkv_bias)} but the weights ${qkvBias ? 'have' : 'lack'} query/key/value biases`);
  }
  const hasPooler = file.entries.has(k('pooler.dense.weight'));

  const requests: WeightRequest[] = [
    { canonical: 'embed.cls', key: k('embeddings.cls_token'), storedShape: [1, 1, C], shape: [C] },
    ...(distillationToken ? [{ canonical: 'embed.dist', key: k('embeddings.distillation_token'), storedShape: [1, 1, C], shape: [C] }] : []),
    { canonical: 'embed.pos', key: k('embeddings.position_embeddings'), storedShape: [1, positions, C], shape: [positions, C] },
    { canonical: 'embed.patch.weight', key: k('embeddings.patch_embeddings.projection.weight'), storedShape: [C, 3, P, P] },
    { canonical: 'embed.patch.bias', key: k('embeddings.patch_embeddings.projection.bias'), storedShape: [C] },
    { canonical: 'final_norm.weight', key: k('layernorm.weight'), storedShape: [C] },
    { canonical: 'final_norm.bias', key: k('layernorm.bias'), storedShape: [C] },
  ];
  const linear = (canonical: string, key: string, out: number, inp: number, bias = true): void => {
    requests.push({ canonical: `${canonical}.weight`, key: `${key}.weight`, storedShape: [out, inp] });
    if (bias) requests.push({ canonical: `${canonical}.bias`, key: `${key}.bias`, storedShape: [out] });
  };
  const norm = (canonical: string, key: string): void => {
    requests.push({ canonical: `${canonical}.weight`, key: `${key}.weight`, storedShape: [C] });
    requests.push({ canonical: `${canonical}.bias`, key: `${key}.bias`, storedShape: [C] });
  };
  for (let i = 0; i < numLayers; i++) {
    const L = `${layerPrefix}${i}.`;
    const B = `blocks.${i}.`;
    norm(`${B}norm1`, `${L}layernorm_before`);
    linear(`${B}attn.q`, `${L}attention.attention.query`, C, C, qkvBias);
    linear(`${B}attn.k`, `${L}attention.attention.key`, C, C, qkvBias);
    linear(`${B}attn.v`, `${L}attention.attention.value`, C, C, qkvBias);
    linear(`${B}attn.out`, `${L}attention.output.dense`, C, C);
    norm(`${B}norm2`, `${L}layernorm_after`);
    linear(`${B}mlp.fc1`, `${L}intermediate.dense`, M, C);
    linear(`${B}mlp.fc2`, `${L}output.dense`, C, M);
  }
  if (hasPooler) linear('pooler', k('pooler.dense'), C, C);

  return {
    spec: {
      patchSize: P,
      hiddenSize: C,
      numLayers,
      numHeads,
      mlpSize: M,
      layerNormEps: numberField(config, 'layer_norm_eps', 1e-12, context, 'positive'),
      activation: activationOf(config.hidden_act, 'gelu', context),
      qkvBias,
      patchBias: true,
      layerScale: false,
      preNorm: false,
      finalNorm: 'all',
      posGrid,
      posInterpolation: 'bicubic',
      distillationToken,
      registerTokens: 0,
      pooled: hasPooler ? 'dense_tanh' : 'cls',
    },
    requests,
  };
}
