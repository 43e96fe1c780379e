/**
 * Writes a Theia checkpoint directory with random weights at full size (config.json in the hub's shape, without
 * explicit backbone hyper-parameters, plus model.safetensors with HF TheiaModel key names), for load and speed tests.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/util/atomic.js';
import { Rng } from '../../src/util/rng.js';
import { writeSafetensors, type WritableTensor } from '../../src/encoders/safetensors.js';

/** The five Theia teachers and their feature shapes [C, H, W] (theia.md). */
export const THEIA_TEACHERS: Record<string, [number, number, number]> = {
  'google/vit-huge-patch14-224-in21k': [1280, 16, 16],
  'facebook/dinov2-large': [1024, 16, 16],
  'openai/clip-vit-large-patch14': [1024, 16, 16],
  'facebook/sam-vit-huge': [256, 64, 64],
  'LiheYoung/depth-anything-large-hf': [32, 64, 64],
};

export const DEIT_SIZES = {
  tiny: { hidden: 192, mlp: 768 },
  small: { hidden: 384, mlp: 1536 },
  base: { hidden: 768, mlp: 3072 },
} as const;

export interface TheiaCheckpointOptions {
  size: keyof typeof DEIT_SIZES;
  teachers: Record<string, [number, number, number]>;
  seed: number;
  layers?: number;
}

/** Returns the number of parameters written. */
export function writeRandomTheiaCheckpoint(dir: string, options: TheiaCheckpointOptions): number {
  const { hidden: C, mlp: M } = DEIT_SIZES[options.size];
  const layers = options.layers ?? 12;
  const P = 16;
  const T = 196;
  const rng = new Rng(options.seed);
  const shapes: [string, number[]][] = [];
  const bb = 'backbone.model.';
  shapes.push([`${bb}embeddings.cls_token`, [1, 1, C]], [`${bb}embeddings.position_embeddings`, [1, 1 + T, C]]);
  shapes.push([`${bb}embeddings.patch_embeddings.projection.weight`, [C, 3, P, P]], [`${bb}embeddings.patch_embeddings.projection.bias`, [C]]);
  for (let i = 0; i < layers; i++) {
    const L = `${bb}encoder.layer.${i}.`;
    for (const name of ['query', 'key', 'value']) shapes.push([`${L}attention.attention.${name}.weight`, [C, C]], [`${L}attention.attention.${name}.bias`, [C]]);
    shapes.push([`${L}attention.output.dense.weight`, [C, C]], [`${L}attention.output.dense.bias`, [C]]);
    shapes.push([`${L}intermediate.dense.weight`, [M, C]], [`${L}intermediate.dense.bias`, [M]]);
    shapes.push([`${L}output.dense.weight`, [C, M]], [`${L}output.dense.bias`, [C]]);
    for (const norm of ['layernorm_before', 'layernorm_after']) shapes.push([`${L}${norm}.weight`, [C]], [`${L}${norm}.bias`, [C]]);
  }
  shapes.push([`${bb}layernorm.weight`, [C]], [`${bb}layernorm.bias`, [C]]);
  for (const [teacher, [Ct, H]] of Object.entries(options.teachers)) {
    const h = `translator.translator_heads.${teacher.replace(/\./g, '_')}.`;
    const side1 = H === 16 ? 16 : 31;
    shapes.push([`${h}pad.1.weight`, [C, C, 3, 3]], [`${h}pad.1.bias`, [C]]);
    shapes.push([`${h}adapter.0.weight`, [C, 16, 16]], [`${h}adapter.0.bias`, [C, 16, 16]]);
    shapes.push([`${h}adapter.1.weight`, [C, C, 3, 3]], [`${h}adapter.1.bias`, [C]]);
    shapes.push([`${h}adapter.3.weight`, [C, side1, side1]], [`${h}adapter.3.bias`, [C, side1, side1]]);
    shapes.push([`${h}adapter.4.weight`, [C, C, 3, 3]], [`${h}adapter.4.bias`, [C]]);
    shapes.push([`${h}adapter.6.weight`, [C, H, H]], [`${h}adapter.6.bias`, [C, H, H]]);
    shapes.push([`${h}adapter.8.weight`, [Ct, C]], [`${h}adapter.8.bias`, [Ct]]);
  }
  shapes.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let parameters = 0;
  const tensors: WritableTensor[] = shapes.map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    parameters += size;
    const data = new Float32Array(size);
    const isNormWeight = /(layernorm(_before|_after)?|adapter\.[036])\.weight$/.test(name);
    const fanIn = shape.length > 1 && !isNormWeight ? size / shape[0]! : 1;
    for (let i = 0; i < size; i++) {
      if (isNormWeight) data[i] = 1 + 0.1 * rng.normal();
      else if (shape.length === 1 || name.endsWith('.bias')) data[i] = 0.02 * rng.normal();
      else data[i] = rng.normal() / Math.sqrt(fanIn);
    }
    return { name, dtype: 'F32', shape, data };
  });
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  const config = {
    architectures: ['TheiaModel'],
    model_type: 'theia',
    backbone: `facebook/deit-${options.size}-patch16-224`,
    pretrained: false,
    target_feature_sizes: options.teachers,
    translator_type: 'lconv',
    translator_hidden_size_factor: 1.0,
    target_loss_weights: null,
    feature_reduce_method: null,
    feature_neck: false,
    image_size: 224,
    num_reg_tokens: 0,
    torch_dtype: 'float32',
  };
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(config, null, 2), 'checkpoint config');
  return parameters;
}
