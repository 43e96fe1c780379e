/**
 * Full-size checkpoints with seeded random weights in the layouts the real ones use, for load and speed
 * measurements: an HF SamModel snapshot (vision encoder only) and an R3M `model.safetensors` (torchvision ResNet
 * under `module.convnet.`). Weights: N(0, 0.02) matrices for SAM; Kaiming-normal convolutions for the ResNet;
 * LayerNorm / BatchNorm at their initial values plus small noise.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors, type WritableTensor } from '../../src/encoders/safetensors.js';
import { Rng } from '../../src/util/rng.js';

function tensor(rng: Rng, name: string, shape: number[], draw: () => number): WritableTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = draw();
  return { name, dtype: 'F32', shape, data };
}

export interface SamShape {
  hidden: number;
  layers: number;
  heads: number;
  globalLayers: number[];
  window: number;
  imageSize: number;
  neck: number;
}

/** facebook/sam-vit-base's encoder shape at a chosen input size (1024 in the released model). */
export const SAM_BASE = (imageSize: number): SamShape => ({ hidden: 768, layers: 12, heads: 12, globalLayers: [2, 5, 8, 11], window: 14, imageSize, neck: 256 });

/** Writes config.json, preprocessor_config.json and model.safetensors; returns the parameter count. */
export function writeRandomSamCheckpoint(dir: string, shape: SamShape, seed: number): number {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  const { hidden: C, imageSize } = shape;
  const G = imageSize / 16;
  const D = C / shape.heads;
  const M = 4 * C;
  const p = 'vision_encoder.';
  const normal = (std: number) => () => rng.normal() * std;
  const tensors: WritableTensor[] = [
    tensor(rng, `${p}patch_embed.projection.weight`, [C, 3, 16, 16], normal(0.02)),
    tensor(rng, `${p}patch_embed.projection.bias`, [C], normal(0.02)),
    tensor(rng, `${p}pos_embed`, [1, G, G, C], normal(0.02)),
    tensor(rng, `${p}neck.conv1.weight`, [shape.neck, C, 1, 1], normal(1 / Math.sqrt(C))),
    tensor(rng, `${p}neck.conv2.weight`, [shape.neck, shape.neck, 3, 3], normal(1 / Math.sqrt(9 * shape.neck))),
  ];
  for (const n of ['neck.layer_norm1', 'neck.layer_norm2']) {
    tensors.push(tensor(rng, `${p}${n}.weight`, [shape.neck], () => 1 + rng.normal() * 0.05), tensor(rng, `${p}${n}.bias`, [shape.neck], normal(0.02)));
  }
  for (let i = 0; i < shape.layers; i++) {
    const L = `${p}layers.${i}.`;
    const S = shape.globalLayers.includes(i) ? G : shape.window;
    for (const n of ['layer_norm1', 'layer_norm2']) {
      tensors.push(tensor(rng, `${L}${n}.weight`, [C], () => 1 + rng.normal() * 0.05), tensor(rng, `${L}${n}.bias`, [C], normal(0.02)));
    }
    tensors.push(
      tensor(rng, `${L}attn.qkv.weight`, [3 * C, C], normal(0.02)),
      tensor(rng, `${L}attn.qkv.bias`, [3 * C], normal(0.02)),
      tensor(rng, `${L}attn.proj.weight`, [C, C], normal(0.02)),
      tensor(rng, `${L}attn.proj.bias`, [C], normal(0.02)),
      tensor(rng, `${L}attn.rel_pos_h`, [2 * S - 1, D], normal(0.02)),
      tensor(rng, `${L}attn.rel_pos_w`, [2 * S - 1, D], normal(0.02)),
      tensor(rng, `${L}mlp.lin1.weight`, [M, C], normal(0.02)),
      tensor(rng, `${L}mlp.lin1.bias`, [M], normal(0.02)),
      tensor(rng, `${L}mlp.lin2.weight`, [C, M], normal(0.02)),
      tensor(rng, `${L}mlp.lin2.bias`, [C], normal(0.02)),
    );
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    architectures: ['SamModel'],
    model_type: 'sam',
    vision_config: {
      hidden_size: C, num_hidden_layers: shape.layers, num_attention_heads: shape.heads, image_size: imageSize,
      window_size: shape.window, global_attn_indexes: shape.globalLayers, output_channels: shape.neck, mlp_dim: M,
    },
  }));
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({
    image_processor_type: 'SamImageProcessor', do_resize: true, size: { longest_edge: imageSize }, resample: 2, do_rescale: true,
    rescale_factor: 1 / 255, do_normalize: true, image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225],
    do_pad: true, pad_size: { height: imageSize, width: imageSize },
  }));
  return tensors.reduce((a, t) => a + t.data.length, 0);
}

/** torchvision ResNet-50's stages (Bottleneck blocks). */
export const RESNET50_STAGES = [
  { blocks: 3, planes: 64 },
  { blocks: 4, planes: 128 },
  { blocks: 6, planes: 256 },
  { blocks: 3, planes: 512 },
];

/** Writes an R3M-style model.safetensors of a Bottleneck ResNet; returns its path. */
export function writeRandomR3mResNet(dir: string, seed: number, stages = RESNET50_STAGES): string {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  const p = 'module.convnet.';
  const tensors: WritableTensor[] = [];
  const conv = (name: string, out: number, inp: number, k: number): void => {
    tensors.push(tensor(rng, `${p}${name}.weight`, [out, inp, k, k], () => rng.normal() * Math.sqrt(2 / (inp * k * k))));
  };
  const bn = (name: string, c: number): void => {
    tensors.push(
      tensor(rng, `${p}${name}.weight`, [c], () => 1 + rng.normal() * 0.05),
      tensor(rng, `${p}${name}.bias`, [c], () => rng.normal() * 0.05),
      tensor(rng, `${p}${name}.running_mean`, [c], () => rng.normal() * 0.05),
      tensor(rng, `${p}${name}.running_var`, [c], () => 1 + Math.abs(rng.normal()) * 0.1),
    );
  };
  conv('conv1', 64, 3, 7);
  bn('bn1', 64);
  let inChannels = 64;
  stages.forEach((stage, s) => {
    for (let b = 0; b < stage.blocks; b++) {
      const q = `layer${s + 1}.${b}`;
      const blockIn = b === 0 ? inChannels : stage.planes * 4;
      conv(`${q}.conv1`, stage.planes, blockIn, 1);
      bn(`${q}.bn1`, stage.planes);
      conv(`${q}.conv2`, stage.planes, stage.planes, 3);
      bn(`${q}.bn2`, stage.planes);
      conv(`${q}.conv3`, stage.planes * 4, stage.planes, 1);
      bn(`${q}.bn3`, stage.planes * 4);
      if (b === 0) {
        conv(`${q}.downsample.0`, stage.planes * 4, blockIn, 1);
        bn(`${q}.downsample.1`, stage.planes * 4);
      }
    }
    inChannels = stage.planes * 4;
  });
  const path = join(dir, 'model.safetensors');
  writeSafetensors(path, tensors, { format: 'pt' });
  return path;
}
