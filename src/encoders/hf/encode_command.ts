/**
 * `bench encode` and `bench encoders <spec>`: encode frames with any encoder spec and write the requested outputs as
 * float32 safetensors; describe what an encoder feeds the policy.
 *
 * theia:DIR / hf:DIR offer spatial, cls, pooled, tokens, translator.<teacher id> (Theia) and pixel_values (the
 * exact preprocessed input). Other specs go through the encoder registry and offer pooled and spatial.
 */
import type { FrameBatch } from '../encoder.js';
import type { OrtSessionOptions } from '../ort.js';
import { createEncoder } from '../registry.js';
import { writeSafetensors, type WritableTensor } from '../safetensors.js';
import type { CheckpointKind } from './checkpoint.js';
import { CheckpointSession, type OutputTensor } from './checkpoint_session.js';
import { readFrames } from './frames_input.js';

export interface RunEncodeOptions {
  /** Encoder spec, e.g. "theia:DIR", "hf:DIR", "vit-tiny-random". */
  encoder: string;
  /** A .png, a directory of .png files, or a .safetensors file with uint8 `frames` [N, H, W, 3]. */
  frames: string;
  /** Output .safetensors path. */
  out: string;
  /** Output names, e.g. ["spatial", "cls", "translator.facebook/dinov2-large", "pixel_values"]. */
  outputs: string[];
  threads?: number;
  device?: OrtSessionOptions['device'];
}

/** `theia:DIR` / `hf:DIR` -> kind and directory; null for other specs. */
export function parseCheckpointSpec(spec: string): { kind: CheckpointKind; dir: string } | null {
  const match = /^(theia|hf):(.+)$/.exec(spec);
  return match ? { kind: match[1] as CheckpointKind, dir: match[2]! } : null;
}

async function encodeWithRegistry(spec: string, frames: FrameBatch, outputs: string[], options: OrtSessionOptions): Promise<Map<string, OutputTensor>> {
  const available = ['pooled', 'spatial'];
  const unknown = outputs.filter((o) => !available.includes(o));
  if (unknown.length) throw new Error(`encoder ${spec}: unknown output(s) ${unknown.join(', ')} (available: ${available.join(', ')})`);
  const encoder = await createEncoder(spec, { threads: options.threads, device: options.device });
  try {
    const wantSpatial = outputs.includes('spatial');
    if (wantSpatial && !encoder.info.spatial) throw new Error(`encoder ${spec} has no spatial tokens`);
    const batch = await encoder.encode(frames, { spatial: wantSpatial });
    const result = new Map<string, OutputTensor>();
    if (outputs.includes('pooled')) result.set('pooled', { shape: [frames.n, encoder.info.pooledDim], data: batch.pooled });
    if (wantSpatial) {
      const { tokens, channels } = encoder.info.spatial!;
      result.set('spatial', { shape: [frames.n, tokens, channels], data: batch.spatial! });
    }
    return result;
  } finally {
    await encoder.dispose();
  }
}

/** Encodes the frames and writes the outputs; returns a one-line summary. */
export async function runEncode(options: RunEncodeOptions): Promise<string> {
  const outputs = [...new Set(options.outputs)];
  if (outputs.length === 0) throw new Error('runEncode: outputs must name at least one output, e.g. pooled');
  if (!options.out.toLowerCase().endsWith('.safetensors')) throw new Error(`runEncode: out must end in .safetensors, got '${options.out}'`);
  const frames = readFrames(options.frames);
  const ortOptions: OrtSessionOptions = { threads: options.threads, device: options.device };
  const checkpoint = parseCheckpointSpec(options.encoder);
  let results: Map<string, OutputTensor>;
  const metadata: Record<string, string> = { encoder: options.encoder, frames: String(frames.n) };
  if (checkpoint) {
    const session = await CheckpointSession.create(checkpoint.kind, checkpoint.dir, ortOptions);
    try {
      results = await session.run(frames, outputs);
      metadata.encoder_digest = session.digest;
      metadata.checkpoint_digest = session.checkpointDigest;
    } finally {
      await session.dispose();
    }
  } else {
    results = await encodeWithRegistry(options.encoder, frames, outputs, ortOptions);
  }
  const tensors: WritableTensor[] = outputs.map((name) => ({ name, dtype: 'F32', ...results.get(name)! }));
  writeSafetensors(options.out, tensors, metadata);
  return `wrote ${options.out}: ${tensors.map((t) => `${t.name} [${t.shape.join(', ')}]`).join(', ')}`;
}

export interface EncoderDescription {
  id: string;
  family?: string;
  architecture?: string;
  /** What the harness feeds the policy from this encoder. */
  policyInput: string;
  inputSize: number;
  preprocessing?: unknown;
  normalisation: { mean: number[]; std: number[] } | null;
  parameterCount: number;
  digest: string;
  /** Output name -> per-frame shape, for `bench encode --outputs`. */
  outputs: Record<string, number[]>;
}

/** What `bench encoders <spec>` prints. */
export async function describeEncoder(spec: string): Promise<EncoderDescription> {
  const checkpoint = parseCheckpointSpec(spec);
  if (checkpoint) {
    const session = await CheckpointSession.create(checkpoint.kind, checkpoint.dir, { threads: 1 });
    try {
      const { spec: vit, recipe, architecture } = session.checkpoint;
      const shapes = session.outputShapes();
      const spatial = shapes.get('spatial')!;
      return {
        id: spec,
        family: vit.family,
        architecture,
        policyInput:
          vit.family === 'theia'
            ? `spatial tokens [${spatial}] (last layer after the final LayerNorm, CLS dropped)`
            : `pooled [${vit.hiddenSize}] (${vit.pooled === 'dense_tanh' ? 'tanh(dense(CLS)) pooler' : vit.finalNorm === 'cls' ? 'post-LayerNorm CLS' : 'CLS after the final LayerNorm'}); spatial tokens [${spatial}] also available`,
        inputSize: vit.imageSize,
        preprocessing: recipe,
        normalisation: recipe.normalisation ? { mean: [...recipe.normalisation.mean], std: [...recipe.normalisation.std] } : null,
        parameterCount: session.parameterCount,
        digest: session.digest,
        outputs: Object.fromEntries(shapes),
      };
    } finally {
      await session.dispose();
    }
  }
  const encoder = await createEncoder(spec, { threads: 1 });
  try {
    const { info } = encoder;
    const outputs: Record<string, number[]> = { pooled: [info.pooledDim] };
    if (info.spatial) outputs.spatial = [info.spatial.tokens, info.spatial.channels];
    return {
      id: info.id,
      policyInput: info.spatial ? `pooled [${info.pooledDim}] or spatial tokens [${info.spatial.tokens}, ${info.spatial.channels}]` : `pooled [${info.pooledDim}]`,
      inputSize: info.inputSize,
      normalisation: info.normalisation ? { mean: [...info.normalisation.mean], std: [...info.normalisation.std] } : null,
      parameterCount: info.parameterCount,
      digest: info.digest,
      outputs,
    };
  } finally {
    await encoder.dispose();
  }
}
