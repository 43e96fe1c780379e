/**
 * Spec string -> Encoder.
 *   pixels                     16x16 area-averaged RGB in [0, 1], flattened (no network)
 *   vit-tiny-random[:SEED]     untrained DeiT-Tiny-shaped ViT (seed from the suffix, else options.seed, else 0)
 *   vit-small-random[:SEED]    untrained DeiT-Small-shaped ViT
 *   onnx:PATH                  any ONNX model; settings from PATH.json / model.json / options.onnx (onnx_file.ts)
 *   theia:DIR, hf:DIR          HF checkpoints (config.json + model.safetensors), loaded by ./hf/index.js
 */
import { PixelsEncoder } from './baselines/pixels.js';
import { createRandomVit, isRandomVitName, RANDOM_VIT_SPECS } from './baselines/random_vit.js';
import type { Encoder, EncoderOptions } from './encoder.js';
import { createOnnxFileEncoder } from './onnx_file.js';

/** The spec forms `createEncoder` accepts, for help texts and errors. */
export const KNOWN_ENCODER_SPECS: readonly string[] = ['pixels', ...Object.keys(RANDOM_VIT_SPECS).map((n) => `${n}[:SEED]`), 'onnx:PATH', 'theia:DIR', 'hf:DIR'];

type CheckpointKind = 'theia' | 'hf';

async function loadCheckpoint(spec: string, kind: CheckpointKind, dir: string, options: EncoderOptions): Promise<Encoder> {
  if (!dir) throw new Error(`encoder '${spec}': expected ${kind}:DIR with a checkpoint folder`);
  // Imported on demand: only checkpoint specs need safetensors loading and the HF preprocessing.
  const { loadCheckpointEncoder } = await import('./hf/index.js');
  return loadCheckpointEncoder(kind, dir, options);
}

function parseSeed(spec: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`encoder '${spec}': seed suffix must be a non-negative integer, got '${text}'`);
  return Number(text);
}

/** Creates the encoder named by `spec`; unknown specs fail with the list of known ones. */
export async function createEncoder(spec: string, options: EncoderOptions = {}): Promise<Encoder> {
  if (typeof spec !== 'string' || spec.trim() === '') throw new Error(`encoder spec must be a non-empty string (known: ${KNOWN_ENCODER_SPECS.join(', ')})`);
  const colon = spec.indexOf(':');
  const head = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  if (head === 'pixels' && colon < 0) return new PixelsEncoder();
  if (isRandomVitName(head)) {
    const seed = colon < 0 ? (options.seed ?? 0) : parseSeed(spec, rest);
    return createRandomVit(spec, head, seed, options);
  }
  if (head === 'onnx' && colon >= 0) return createOnnxFileEncoder(spec, rest, options);
  if ((head === 'theia' || head === 'hf') && colon >= 0) return loadCheckpoint(spec, head, rest, options);
  throw new Error(`unknown encoder spec '${spec}' (known: ${KNOWN_ENCODER_SPECS.join(', ')})`);
}
