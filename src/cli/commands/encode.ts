/** `bench encode`: run a frozen encoder over frames and write the requested outputs as safetensors. */
import type { CommandModule } from 'yargs';
import type { OrtDevice } from '../../encoders/ort.js';
import { integerOption, stringOption } from '../option_checks.js';

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
      .option('encoder', { type: 'string', demandOption: true, requiresArg: true, describe: 'encoder spec (see `bench encoders`)', coerce: stringOption('encoder') })
      .option('frames', {
        type: 'string',
        demandOption: true,
        requiresArg: true,
        describe: 'a .png, a directory of .png files, or a .safetensors file with uint8 `frames` [N, H, W, 3]',
        coerce: stringOption('frames'),
      })
      .option('out', { type: 'string', demandOption: true, requiresArg: true, describe: 'output .safetensors file', coerce: stringOption('out') })
      .option('outputs', {
        type: 'string',
        default: 'pooled',
        requiresArg: true,
        describe: 'comma-separated outputs: pooled, spatial; checkpoints (theia:/hf:) also cls, tokens, pixel_values, translator.<teacher>',
        coerce: (value: unknown) =>
          stringOption('outputs')(value)
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
      })
      .option('threads', { requiresArg: true, describe: 'inference threads (default: all cores)', coerce: integerOption('threads', 1, 1024) })
      .option('device', { type: 'string', default: 'cpu', requiresArg: true, describe: `ONNX Runtime device: ${DEVICES.join(' or ')}`, coerce: deviceOption }),
  handler: async (args) => {
    if (!args.out.toLowerCase().endsWith('.safetensors')) throw new Error(`--out must end in .safetensors, got '${args.out}'`);
    if (args.outputs.length === 0) throw new Error('--outputs must name at least one output, e.g. pooled');
    // Loaded on demand: the encoder stack starts ONNX Runtime, which other commands should not pay for.
    const { runEncode } = await import('../../encoders/hf/encode_command.js');
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
