/**
 * Encoder spec strings: the one place that reads their syntax, and the factory that builds an Encoder from one.
 *   pixels                     16x16 area-averaged RGB in [0, 1], flattened (no network)
 *   vit-tiny-random[:SEED]     untrained DeiT-Tiny-shaped ViT (seed from the suffix, else options.seed, else 0)
 *   vit-small-random[:SEED]    untrained DeiT-Small-shaped ViT
 *   onnx:PATH                  any ONNX model; settings from PATH.json / model.json / options.onnx (onnx_file.ts)
 *   theia:DIR, hf:DIR          HF checkpoints (config.json + model.safetensors), loaded by ./hf/index.js
 * Everything else (the run, `bench encode`, `bench encoders`) asks `parseEncoderSpec` instead of reading strings.
 */
import { PixelsEncoder } from './baselines/pixels.js';
import { createRandomVit, isRandomVitName, RANDOM_VIT_SPECS, type RandomVitName } from './baselines/random_vit.js';
import type { Encoder, EncoderOptions } from './encoder.js';
import type { CheckpointKind } from './hf/checkpoint.js';
import { createOnnxFileEncoder } from './onnx_file.js';

/** The spec forms `parseEncoderSpec` accepts, for help texts and errors. */
export const KNOWN_ENCODER_SPECS: readonly string[] = ['pixels', ...Object.keys(RANDOM_VIT_SPECS).map((n) => `${n}[:SEED]`), 'onnx:PATH', 'theia:DIR', 'hf:DIR'];

interface ParsedSpec {
  /** The spec string as given; also the encoder's `info.id`. */
  text: string;
  /**
   * The features the encoder's own protocol feeds a policy: Theia its spatial tokens (through its conv head),
   * every other encoder its pooled vector. A run with `--head auto` follows it where the profile says so.
   */
  preferredFeatures: 'pooled' | 'spatial';
}

/** A parsed encoder spec: which loader builds the encoder, and from what. */
export type EncoderSpec = ParsedSpec &
  (
    | { kind: 'pixels' }
    /** `seed` null: no suffix, the weights come from `options.seed` (default 0). */
    | { kind: 'random-vit'; model: RandomVitName; seed: number | null }
    | { kind: 'onnx'; path: string }
    | { kind: CheckpointKind; dir: string }
  );

function parseSeed(spec: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`encoder '${spec}': seed suffix must be a non-negative integer, got '${text}'`);
  return Number(text);
}

/** Reads a spec string; unknown or malformed specs fail with the list of known forms. */
export function parseEncoderSpec(text: string): EncoderSpec {
  if (typeof text !== 'string' || text.trim() === '') throw new Error(`encoder spec must be a non-empty string (known: ${KNOWN_ENCODER_SPECS.join(', ')})`);
  const colon = text.indexOf(':');
  const head = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  if (head === 'pixels' && colon < 0) return { text, kind: 'pixels', preferredFeatures: 'pooled' };
  if (isRandomVitName(head)) return { text, kind: 'random-vit', model: head, seed: colon < 0 ? null : parseSeed(text, rest), preferredFeatures: 'pooled' };
  if (head === 'onnx' && colon >= 0) {
    if (!rest) throw new Error(`encoder '${text}': expected onnx:PATH with the path of an .onnx file`);
    return { text, kind: 'onnx', path: rest, preferredFeatures: 'pooled' };
  }
  if ((head === 'theia' || head === 'hf') && colon >= 0) {
    if (!rest) throw new Error(`encoder '${text}': expected ${head}:DIR with a checkpoint folder`);
    return { text, kind: head, dir: rest, preferredFeatures: head === 'theia' ? 'spatial' : 'pooled' };
  }
  throw new Error(`unknown encoder spec '${text}' (known: ${KNOWN_ENCODER_SPECS.join(', ')})`);
}

/** Creates the encoder a spec names (a string is parsed first). */
export async function createEncoder(spec: EncoderSpec | string, options: EncoderOptions = {}): Promise<Encoder> {
  const parsed = typeof spec === 'string' ? parseEncoderSpec(spec) : spec;
  switch (parsed.kind) {
    case 'pixels':
      return new PixelsEncoder();
    case 'random-vit':
      return createRandomVit(parsed.text, parsed.model, parsed.seed ?? options.seed ?? 0, options);
    case 'onnx':
      return createOnnxFileEncoder(parsed.text, parsed.path, options);
    case 'theia':
    case 'hf': {
      // Imported on demand: only checkpoint specs need safetensors loading and the HF preprocessing.
      const { loadCheckpointEncoder } = await import('./hf/index.js');
      return loadCheckpointEncoder(parsed.kind, parsed.dir, options);
    }
  }
}
