/**
 * `bench encode`: run a frozen encoder over frames and write the requested outputs as float32 safetensors.
 *
 * Checkpoint specs (theia:, hf:, r3m:, vc1:) offer every named output of their model (spatial, cls, pooled, tokens,
 * distillation, registers, translator.<teacher id>, image_embeddings, predicted_depth, theia_target, ... see
 * `bench encoders SPEC`) and pixel_values (the exact preprocessed input); every other spec offers pooled and spatial.
 */
import type { CommandModule } from 'yargs';
import type { FrameBatch } from '../../encoders/encoder.js';
import type { OutputTensor } from '../../encoders/checkpoint_session.js';
import type { OrtDevice, OrtSessionOptions } from '../../encoders/ort.js';
import type { EncoderSpec } from '../../encoders/registry.js';
import { writeSafetensors } from '../../encoders/safetensors.js';
import { prepareOutputFile } from '../../util/atomic.js';
import { readFrames } from '../frames_input.js';
import { integerOption, listOption, requiredStringOption, stringOption } from '../option_checks.js';

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
  device?: OrtDevice;
}

// The encoder stack starts ONNX Runtime, which other commands should not pay for: it is imported on demand.
async function encodeWithRegistry(spec: EncoderSpec, frames: FrameBatch, outputs: string[], options: OrtSessionOptions): Promise<Map<string, OutputTensor>> {
  const available = ['pooled', 'spatial'];
  const unknown = outputs.filter((o) => !available.includes(o));
  if (unknown.length) throw new Error(`encoder ${spec.text}: unknown output(s) ${unknown.join(', ')} (available: ${available.join(', ')})`);
  const { createEncoder } = await import('../../encoders/registry.js');
  // tfjs: models run on the backend the harness selects for policies, as in `bench run`.
  if (spec.kind === 'tfjs') await (await import('../../policies/backend.js')).selectTfBackend();
  const encoder = await createEncoder(spec, { threads: options.threads, device: options.device });
  try {
    const wantSpatial = outputs.includes('spatial');
    if (wantSpatial && !encoder.info.spatial) throw new Error(`encoder ${spec.text} has no spatial tokens`);
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
  const { isCheckpointSpec, loadCheckpointModel, parseEncoderSpec } = await import('../../encoders/registry.js');
  const spec = parseEncoderSpec(options.encoder);
  prepareOutputFile(options.out, '--out file');
  const frames = readFrames(options.frames);
  const ortOptions: OrtSessionOptions = { threads: options.threads, device: options.device };
  let results: Map<string, OutputTensor>;
  const metadata: Record<string, string> = { encoder: spec.text, frames: String(frames.n) };
  if (isCheckpointSpec(spec)) {
    const { CheckpointSession } = await import('../../encoders/checkpoint_session.js');
    const session = await CheckpointSession.create(await loadCheckpointModel(spec), ortOptions);
    try {
      results = await session.run(frames, outputs);
      metadata.encoder_digest = session.digest;
      metadata.checkpoint_digest = session.checkpointDigest;
    } finally {
      await session.dispose();
    }
  } else {
    results = await encodeWithRegistry(spec, frames, outputs, ortOptions);
  }
  writeSafetensors(
    options.out,
    outputs.map((name) => ({ name, dtype: 'F32', ...results.get(name)! })),
    metadata,
  );
  return `wrote ${options.out}: ${outputs.map((name) => `${name} [${results.get(name)!.shape.join(', ')}]`).join(', ')}`;
}

interface EncodeArgs {
  encoder: string;
  frames: string;
  out: string;
  outputs: string[];
  threads?: number;
  device: OrtDevice;
}

const DEVICES = ['cpu', 'cuda'] as const satisfies readonly OrtDevice[];

function deviceOption(value: unknown): OrtDevice {
  const device = stringOption('device')(value);
  const known = DEVICES.find((d) => d === device);
  if (!known) throw new Error(`--device must be ${DEVICES.join(' or ')}, got '${device}'`);
  return known;
}

export const encodeCommand: CommandModule<object, EncodeArgs> = {
  command: 'encode',
  describe: 'Encode frames with a frozen encoder and write the requested outputs to a .safetensors file',
  builder: (yargs) =>
    yargs
      .option('encoder', requiredStringOption('encoder', 'encoder spec (see `bench encoders`)'))
      .option('frames', requiredStringOption('frames', 'a .png, a directory of .png files, or a .safetensors file with uint8 `frames` [N, H, W, 3]'))
      .option('out', requiredStringOption('out', 'output .safetensors file'))
      .option('outputs', {
        type: 'string',
        default: 'pooled',
        requiresArg: true,
        describe: 'comma-separated outputs: pooled, spatial; checkpoint specs also their named outputs (bench encoders SPEC lists them) and pixel_values',
        coerce: listOption('outputs'),
      })
      .option('threads', { requiresArg: true, describe: 'inference threads (default: all cores)', coerce: integerOption('threads', 1, 1024) })
      .option('device', { type: 'string', default: 'cpu', requiresArg: true, describe: `ONNX Runtime device: ${DEVICES.join(' or ')}`, coerce: deviceOption }),
  handler: async (args) => {
    if (!args.out.toLowerCase().endsWith('.safetensors')) throw new Error(`--out must end in .safetensors, got '${args.out}'`);
    const summary = await runEncode({
      encoder: args.encoder,
      frames: args.frames,
      out: args.out,
      outputs: args.outputs,
      threads: args.threads,
      device: args.device,
    });
    process.stdout.write(`${summary}\n`);
  },
};
