/**
 * Encoder spec strings: the one place that reads their syntax, and the factory that builds an Encoder from one.
 *   pixels                     16x16 area-averaged RGB in [0, 1], flattened (no network)
 *   conv-random[:SEED]         untrained 3-layer stride-2 CNN (seed from the suffix, else options.seed, else 0)
 *   vit-tiny-random[:SEED]     untrained DeiT-Tiny-shaped ViT (seed from the suffix, else options.seed, else 0)
 *   vit-small-random[:SEED]    untrained DeiT-Small-shaped ViT
 *   onnx:PATH                  any ONNX model; settings from PATH.json / model.json / options.onnx (onnx_file.ts)
 *   tfjs:DIR                   any TensorFlow.js graph or layers model; settings from DIR/encoder.json (tfjs_model.ts)
 *   theia:DIR, hf:DIR          HF checkpoints (config.json + model.safetensors), loaded by ./hf/
 *   r3m:PATH, vc1:PATH         R3M / VC-1 PyTorch checkpoints (or safetensors copies), read without running code
 * Everything else (the run, `bench encode`, `bench encoders`) asks `parseEncoderSpec` instead of reading strings.
 */
import { ConvRandomEncoder } from './baselines/conv_random.js';
import { PixelsEncoder } from './baselines/pixels.js';
import { createRandomVit, isRandomVitName, RANDOM_VIT_SPECS, type RandomVitName } from './baselines/random_vit.js';
import type { Encoder, EncoderOptions, FramePreprocessing } from './encoder.js';
import type { EncoderModel } from './encoder_model.js';
import { createOnnxFileEncoder } from './onnx_file.js';

/** The spec forms `parseEncoderSpec` accepts, for help texts and errors. */
export const KNOWN_ENCODER_SPECS: readonly string[] = [
  'pixels', 'conv-random[:SEED]', ...Object.keys(RANDOM_VIT_SPECS).map((n) => `${n}[:SEED]`), 'onnx:PATH', 'tfjs:DIR', 'theia:DIR', 'hf:DIR', 'r3m:PATH', 'vc1:PATH',
];

/** One encoder family: how its specs are written, and what it feeds the policy. */
export interface EncoderFamilyInfo {
  spec: string;
  family: string;
  feeds: string;
}

/** Every encoder family, for `bench encoders`. */
export const ENCODER_FAMILIES: readonly EncoderFamilyInfo[] = [
  { spec: 'pixels', family: 'pixels', feeds: 'pooled [768]: the frame area-averaged to 16x16, in [0, 1]' },
  { spec: 'conv-random[:SEED]', family: 'random CNN', feeds: 'pooled [512]: the 8x8x32 map average-pooled to 4x4 (spatial tokens [64, 32] for --head conv)' },
  ...Object.keys(RANDOM_VIT_SPECS).map((name) => ({
    spec: `${name}[:SEED]`,
    family: 'random ViT',
    feeds: 'pooled: CLS after the final LayerNorm (spatial tokens [196, C] for --head conv)',
  })),
  { spec: 'onnx:FILE.onnx', family: 'ONNX model', feeds: "the output named 'pooled' in FILE.onnx.json (and 'spatial', if named)" },
  { spec: 'tfjs:DIR', family: 'TensorFlow.js model', feeds: "the output named 'pooled' in DIR/encoder.json (and 'spatial', if named)" },
  { spec: 'hf:DIR (ViTModel)', family: 'vit', feeds: 'pooled: tanh(dense(CLS)) pooler, or the CLS token without a pooler' },
  { spec: 'hf:DIR (DeiTModel, ...WithTeacher)', family: 'deit', feeds: 'pooled: CLS after the final LayerNorm (distillation token separate, not spatial)' },
  { spec: 'hf:DIR (Dinov2Model)', family: 'dinov2', feeds: 'pooled: CLS after the final LayerNorm' },
  { spec: 'hf:DIR (Dinov2WithRegistersModel)', family: 'dinov2', feeds: 'pooled: CLS after the final LayerNorm (registers separate, not spatial)' },
  { spec: 'hf:DIR (CLIPVisionModel, CLIPModel)', family: 'clip', feeds: 'pooled: post-LayerNorm CLS' },
  { spec: 'hf:DIR (SamModel)', family: 'sam', feeds: 'pooled: mean of the neck image embeddings (spatial: the embeddings, [4096, 256] at 1024)' },
  { spec: 'hf:DIR (DepthAnythingForDepthEstimation)', family: 'depth_anything', feeds: 'pooled: backbone CLS after the final LayerNorm (spatial: backbone tokens)' },
  { spec: 'theia:DIR', family: 'theia', feeds: 'spatial tokens [196, C] (conv head); pooled: CLS' },
  { spec: 'r3m:FILE_OR_DIR', family: 'r3m', feeds: 'pooled [512] (ResNet-18/34) or [2048] (ResNet-50): the average-pooled last stage' },
  { spec: 'vc1:FILE_OR_DIR', family: 'vc1', feeds: 'pooled [768] (ViT-B) or [1024] (ViT-L): CLS after the final norm' },
];

interface ParsedSpec {
  /** The spec string as given; also the encoder's `info.id`. */
  text: string;
  /**
   * The features the encoder's own protocol feeds a policy: Theia its spatial tokens (through its conv head),
   * every other encoder its pooled vector. A run with `--head auto` follows it where the profile says so.
   */
  preferredFeatures: 'pooled' | 'spatial';
  /**
   * How the encoder's own CortexBench evaluation prepares frames: Theia's code resizes them to 224 with bicubic
   * before its processor; every other family hands them to its processor. A profile may follow it (paper does).
   */
  protocolPreprocessing: FramePreprocessing;
}

/** Specs whose checkpoints load into an EncoderModel (`bench encode` serves all of its named outputs). */
export type CheckpointSpecKind = 'theia' | 'hf' | 'r3m' | 'vc1';
const CHECKPOINT_KINDS: readonly CheckpointSpecKind[] = ['theia', 'hf', 'r3m', 'vc1'];

/** A parsed encoder spec: which loader builds the encoder, and from what. */
export type EncoderSpec = ParsedSpec &
  (
    | { kind: 'pixels' }
    /** `seed` null: no suffix, the weights come from `options.seed` (default 0). */
    | { kind: 'conv-random'; seed: number | null }
    /** `seed` null: no suffix, the weights come from `options.seed` (default 0). */
    | { kind: 'random-vit'; model: RandomVitName; seed: number | null }
    | { kind: 'onnx'; path: string }
    /** The TensorFlow.js model folder. */
    | { kind: 'tfjs'; dir: string }
    /** The checkpoint folder. */
    | { kind: 'theia'; dir: string }
    | { kind: 'hf'; dir: string }
    /** A checkpoint file, or a folder holding one. */
    | { kind: 'r3m'; path: string }
    | { kind: 'vc1'; path: string }
  );

function parseSeed(spec: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`encoder '${spec}': seed suffix must be a non-negative integer, got '${text}'`);
  return Number(text);
}

const PATH_FORMS: Readonly<Record<'onnx' | 'tfjs' | CheckpointSpecKind, string>> = {
  onnx: 'onnx:PATH with the path of an .onnx file',
  tfjs: 'tfjs:DIR with a TensorFlow.js model folder',
  theia: 'theia:DIR with a checkpoint folder',
  hf: 'hf:DIR with a checkpoint folder',
  r3m: 'r3m:PATH with a checkpoint file or folder',
  vc1: 'vc1:PATH with a checkpoint file or folder',
};

/** Reads a spec string; unknown or malformed specs fail with the list of known forms. */
export function parseEncoderSpec(text: string): EncoderSpec {
  if (typeof text !== 'string' || text.trim() === '') throw new Error(`encoder spec must be a non-empty string (known: ${KNOWN_ENCODER_SPECS.join(', ')})`);
  const colon = text.indexOf(':');
  const head = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const pooledViaProcessor = { preferredFeatures: 'pooled', protocolPreprocessing: 'processor' } as const;
  if (head === 'pixels' && colon < 0) return { text, kind: 'pixels', ...pooledViaProcessor };
  if (head === 'conv-random') return { text, kind: 'conv-random', seed: colon < 0 ? null : parseSeed(text, rest), ...pooledViaProcessor };
  if (isRandomVitName(head)) return { text, kind: 'random-vit', model: head, seed: colon < 0 ? null : parseSeed(text, rest), ...pooledViaProcessor };
  if (colon >= 0 && Object.hasOwn(PATH_FORMS, head)) {
    const kind = head as keyof typeof PATH_FORMS;
    if (!rest) throw new Error(`encoder '${text}': expected ${PATH_FORMS[kind]}`);
    const protocol =
      kind === 'theia' ? ({ preferredFeatures: 'spatial', protocolPreprocessing: 'bicubic-resize' } as const) : pooledViaProcessor;
    if (kind === 'onnx' || kind === 'r3m' || kind === 'vc1') return { text, kind, path: rest, ...protocol };
    return { text, kind, dir: rest, ...protocol };
  }
  throw new Error(`unknown encoder spec '${text}' (known: ${KNOWN_ENCODER_SPECS.join(', ')})`);
}

export type CheckpointSpec = Extract<EncoderSpec, { kind: CheckpointSpecKind }>;

/** Whether a spec names a checkpoint that loads into an EncoderModel. */
export function isCheckpointSpec(spec: EncoderSpec): spec is CheckpointSpec {
  return (CHECKPOINT_KINDS as readonly string[]).includes(spec.kind);
}

/** The EncoderModel of a checkpoint spec (theia:, hf:, r3m:, vc1:). */
export async function loadCheckpointModel(spec: CheckpointSpec): Promise<EncoderModel> {
  // Imported on demand: only checkpoint specs need the loaders.
  if (spec.kind === 'theia' || spec.kind === 'hf') return (await import('./hf/checkpoint.js')).loadCheckpoint(spec.kind, spec.dir);
  if (spec.kind === 'r3m') return (await import('./r3m.js')).loadR3m(spec.text, spec.path);
  return (await import('./vc1.js')).loadVc1(spec.text, spec.path);
}

/** Creates the encoder a spec names (a string is parsed first). */
export async function createEncoder(spec: EncoderSpec | string, options: EncoderOptions = {}): Promise<Encoder> {
  const parsed = typeof spec === 'string' ? parseEncoderSpec(spec) : spec;
  if (!isCheckpointSpec(parsed) && (options.framePreprocessing ?? 'processor') !== 'processor') {
    throw new Error(`encoder '${parsed.text}': framePreprocessing '${options.framePreprocessing}' is offered by checkpoint encoders only (theia:, hf:, r3m:, vc1:)`);
  }
  switch (parsed.kind) {
    case 'pixels':
      return new PixelsEncoder();
    case 'conv-random':
      return new ConvRandomEncoder(parsed.text, parsed.seed ?? options.seed ?? 0);
    case 'random-vit':
      return createRandomVit(parsed.text, parsed.model, parsed.seed ?? options.seed ?? 0, options);
    case 'onnx':
      return createOnnxFileEncoder(parsed.text, parsed.path, options);
    case 'tfjs':
      return (await import('./tfjs_model.js')).createTfjsEncoder(parsed.text, parsed.dir, options);
    case 'theia':
    case 'hf':
    case 'r3m':
    case 'vc1':
      return (await import('./encoder_model.js')).createModelEncoder(await loadCheckpointModel(parsed), options);
  }
}
