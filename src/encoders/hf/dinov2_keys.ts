/**
 * HF `Dinov2Model` key layout: embeddings.{cls_token, mask_token (unused), position_embeddings [1,1+G*G,C],
 * patch_embeddings.projection.*}, encoder.layer.N.{norm1, attention.attention.{query,key,value},
 * attention.output.dense, layer_scale1.lambda1, norm2, mlp.fc1, mlp.fc2, layer_scale2.lambda1}.*, layernorm.*
 * `Dinov2WithRegistersModel` adds embeddings.register_tokens [1,R,C].
 * Position embeddings are stored for config.image_size (518 -> 37x37) and resized to the input grid as the HF class
 * does: Dinov2Model bicubically with transformers >= 4.45 semantics (`size=(g, g)`), Dinov2WithRegistersModel with
 * antialiased bicubic; the graph builder implements both.
 */
import type { TensorFile } from '../tensor_file.js';
import type { JsonObject } from './config_json.js';
import { activationOf, numberField } from './config_json.js';
import type { MappedBackbone } from './vit_keys.js';
import { gridOf } from './vit_keys.js';
import type { WeightRequest } from './weight_mapping.js';
import { agree, countLayers, patchEmbedding, shapeOf } from './weight_mapping.js';

/** The HF class whose layout (and position interpolation) a checkpoint follows. */
export type Dinov2Variant = 'Dinov2Model' | 'Dinov2WithRegistersModel';

export function mapDinov2Keys(file: TensorFile, config: JsonObject, prefix: string, context: string, variant: Dinov2Variant = 'Dinov2Model'): MappedBackbone {
  const withRegisters = variant === 'Dinov2WithRegistersModel';
  if (config.use_swiglu_ffn === true) throw new Error(`${context}: DINOv2 with a SwiGLU MLP (use_swiglu_ffn) is not supported`);
  const k = (rest: string): string => `${prefix}${rest}`;
  const { C, P } = patchEmbedding(file, k('embeddings.patch_embeddings.projection.weight'), config, context);
  const positions = shapeOf(file, k('embeddings.position_embeddings'), context)[1] ?? 0;
  const posGrid = gridOf(positions, 1, context);
  const registerShape = file.entries.get(k('embeddings.register_tokens'))?.shape;
  if (withRegisters !== (registerShape !== undefined)) {
    throw new Error(`${context}: ${withRegisters ? 'Dinov2WithRegisters checkpoints need' : 'Dinov2Model checkpoints have no'} embeddings.register_tokens`);
  }
  const registerTokens = registerShape ? agree(config.num_register_tokens, registerShape[1]!, 'num_register_tokens', context) : 0;
  const layerPrefix = k('encoder.layer.');
  const numLayers = agree(config.num_hidden_layers, countLayers(file.names(), layerPrefix, context), 'num_hidden_layers', context);
  const M = shapeOf(file, `${layerPrefix}0.mlp.fc1.weight`, context)[0]!;
  if (config.mlp_ratio !== undefined) agree(Math.round(C * numberField(config, 'mlp_ratio', 4, context, 'positive')), M, 'hidden_size * mlp_ratio', context);
  const numHeads = numberField(config, 'num_attention_heads', Math.max(1, Math.round(C / 64)), context, 'positive integer');
  if (C % numHeads !== 0) throw new Error(`${context}: hidden size ${C} is not divisible by ${numHeads} attention heads`);
  const qkvBias = file.entries.has(`${layerPrefix}0.attention.attention.query.bias`);

  const requests: WeightRequest[] = [
    { canonical: 'embed.cls', key: k('embeddings.cls_token'), storedShape: [1, 1, C], shape: [C] },
    { canonical: 'embed.pos', key: k('embeddings.position_embeddings'), storedShape: [1, positions, C], shape: [positions, C] },
    ...(registerTokens > 0 ? [{ canonical: 'embed.registers', key: k('embeddings.register_tokens'), storedShape: [1, registerTokens, C], shape: [registerTokens, C] }] : []),
    { canonical: 'embed.patch.weight', key: k('embeddings.patch_embeddings.projection.weight'), storedShape: [C, 3, P, P] },
    { canonical: 'embed.patch.bias', key: k('embeddings.patch_embeddings.projection.bias'), storedShape: [C] },
    { canonical: 'final_norm.weight', key: k('layernorm.weight'), storedShape: [C] },
    { canonical: 'final_norm.bias', key: k('layernorm.bias'), storedShape: [C] },
  ];
  const vector = (canonical: string, key: string): void => {
    requests.push({ canonical, key, storedShape: [C] });
  };
  const linear = (canonical: string, key: string, out: number, inp: number, bias = true): void => {
    requests.push({ canonical: `${canonical}.weight`, key: `${key}.weight`, storedShape: [out, inp] });
    if (bias) requests.push({ canonical: `${canonical}.bias`, key: `${key}.bias`, storedShape: [out] });
  };
  for (let i = 0; i < numLayers; i++) {
    const L = `${layerPrefix}${i}.`;
    const B = `blocks.${i}.`;
    vector(`${B}norm1.weight`, `${L}norm1.weight`);
    vector(`${B}norm1.bias`, `${L}norm1.bias`);
    linear(`${B}attn.q`, `${L}attention.attention.query`, C, C, qkvBias);
    linear(`${B}attn.k`, `${L}attention.attention.key`, C, C, qkvBias);
    linear(`${B}attn.v`, `${L}attention.attention.value`, C, C, qkvBias);
    linear(`${B}attn.out`, `${L}attention.output.dense`, C, C);
    vector(`${B}ls1`, `${L}layer_scale1.lambda1`);
    vector(`${B}norm2.weight`, `${L}norm2.weight`);
    vector(`${B}norm2.bias`, `${L}norm2.bias`);
    linear(`${B}mlp.fc1`, `${L}mlp.fc1`, M, C);
    linear(`${B}mlp.fc2`, `${L}mlp.fc2`, C, M);
    vector(`${B}ls2`, `${L}layer_scale2.lambda1`);
  }
  return {
    spec: {
      patchSize: P,
      hiddenSize: C,
      numLayers,
      numHeads,
      mlpSize: M,
      layerNormEps: numberField(config, 'layer_norm_eps', 1e-6, context, 'positive'),
      activation: activationOf(config.hidden_act, 'gelu', context),
      qkvBias,
      patchBias: true,
      layerScale: true,
      preNorm: false,
      finalNorm: 'all',
      posGrid,
      posInterpolation: withRegisters ? 'bicubic_antialias' : 'bicubic',
      distillationToken: false,
      registerTokens,
      pooled: 'cls',
    },
    requests,
  };
}
