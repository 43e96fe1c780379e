/** `bench encoders`: list every encoder family with what it feeds the policy, or describe one encoder (input, dims, parameters, outputs). */
import type { CommandModule } from 'yargs';
import type { EncoderSpec } from '../../encoders/registry.js';
import { stringOption } from '../option_checks.js';

export interface EncoderDescription {
  id: string;
  family?: string;
  architecture?: string;
  /** What the harness feeds the policy from this encoder. */
  policyInput: string;
  inputSize: number;
  preprocessing?: unknown;
  /** How the encoder's own CortexBench evaluation prepares frames (the paper profile follows it). */
  cortexbenchFrames: string;
  normalisation: { mean: number[]; std: number[] } | null;
  parameterCount: number;
  digest: string;
  /** Output name -> per-frame shape, for `bench encode --outputs`. */
  outputs: Record<string, number[]>;
}

function describeFramePreprocessing(spec: EncoderSpec): string {
  return spec.protocolPreprocessing === 'processor'
    ? 'straight to the preprocessing above'
    : "resized to the input side with Pillow's bicubic first (Theia's CortexBench code; the paper profile does this)";
}

// The encoder stack starts ONNX Runtime, which other commands should not pay for: it is imported on demand.
/** What `bench encoders <spec>` prints. */
export async function describeEncoder(text: string): Promise<EncoderDescription> {
  const { createEncoder, isCheckpointSpec, loadCheckpointModel, parseEncoderSpec } = await import('../../encoders/registry.js');
  const spec = parseEncoderSpec(text);
  if (isCheckpointSpec(spec)) {
    const model = await loadCheckpointModel(spec);
    const { CheckpointSession } = await import('../../encoders/checkpoint_session.js');
    const session = await CheckpointSession.create(model, { threads: 1 });
    try {
      const { recipe, preprocess } = model;
      return {
        id: spec.text,
        family: model.spec.family,
        architecture: model.architecture,
        policyInput: model.policyInput,
        inputSize: preprocess.inputSize,
        preprocessing: recipe ?? preprocess.id,
        cortexbenchFrames: describeFramePreprocessing(spec),
        normalisation: preprocess.normalisation ? { mean: [...preprocess.normalisation.mean], std: [...preprocess.normalisation.std] } : null,
        parameterCount: session.parameterCount,
        digest: session.digest,
        outputs: Object.fromEntries(session.outputShapes()),
      };
    } finally {
      await session.dispose();
    }
  }
  if (spec.kind === 'tfjs') await (await import('../../policies/backend.js')).selectTfBackend();
  const encoder = await createEncoder(spec, { threads: 1 });
  try {
    const { info } = encoder;
    const outputs: Record<string, number[]> = { pooled: [info.pooledDim] };
    if (info.spatial) outputs.spatial = [info.spatial.tokens, info.spatial.channels];
    return {
      id: info.id,
      policyInput: info.spatial ? `pooled [${info.pooledDim}] or spatial tokens [${info.spatial.tokens}, ${info.spatial.channels}]` : `pooled [${info.pooledDim}]`,
      inputSize: info.inputSize,
      cortexbenchFrames: describeFramePreprocessing(spec),
      normalisation: info.normalisation ? { mean: [...info.normalisation.mean], std: [...info.normalisation.std] } : null,
      parameterCount: info.parameterCount,
      digest: info.digest,
      outputs,
    };
  } finally {
    await encoder.dispose();
  }
}

interface EncodersArgs {
  spec?: string;
  json: boolean;
}

export const encodersCommand: CommandModule<object, EncodersArgs> = {
  command: 'encoders [spec]',
  describe: 'List the encoder families and what each feeds the policy, or describe one encoder spec',
  builder: (yargs) =>
    yargs
      .positional('spec', { type: 'string', describe: 'encoder spec to describe, e.g. vit-tiny-random or theia:DIR', coerce: stringOption('spec') })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
  handler: async (args) => {
    if (args.spec === undefined) {
      const { ENCODER_FAMILIES } = await import('../../encoders/registry.js');
      if (args.json) {
        process.stdout.write(`${JSON.stringify(ENCODER_FAMILIES)}\n`);
        return;
      }
      const width = Math.max(...ENCODER_FAMILIES.map((f) => f.spec.length));
      const familyWidth = Math.max(...ENCODER_FAMILIES.map((f) => f.family.length));
      const lines = ENCODER_FAMILIES.map((f) => `${f.spec.padEnd(width)}  ${f.family.padEnd(familyWidth)}  ${f.feeds}`);
      process.stdout.write(`${'spec'.padEnd(width)}  ${'family'.padEnd(familyWidth)}  feeds the policy\n${lines.join('\n')}\n`);
      return;
    }
    const description = await describeEncoder(args.spec);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(description)}\n`);
      return;
    }
    const { outputs, ...rest } = description;
    const rows: [string, string][] = Object.entries(rest)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v)]);
    for (const [name, shape] of Object.entries(outputs)) rows.push([`output ${name}`, `[${shape.join(', ')}] per frame`]);
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  },
};
