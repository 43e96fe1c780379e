/** `bench encoders`: list the encoder spec forms, or describe one encoder (input, dims, parameters, outputs). */
import type { CommandModule } from 'yargs';
import { stringOption } from '../option_checks.js';

interface EncodersArgs {
  spec?: string;
  json: boolean;
}

export const encodersCommand: CommandModule<object, EncodersArgs> = {
  command: 'encoders [spec]',
  describe: 'List the encoder spec forms, or describe one encoder spec',
  builder: (yargs) =>
    yargs
      .positional('spec', { type: 'string', describe: 'encoder spec to describe, e.g. vit-tiny-random or theia:DIR', coerce: stringOption('spec') })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
  handler: async (args) => {
    // Loaded on demand: the encoder stack starts ONNX Runtime, which other commands should not pay for.
    if (args.spec === undefined) {
      const { KNOWN_ENCODER_SPECS } = await import('../../encoders/registry.js');
      process.stdout.write(args.json ? `${JSON.stringify(KNOWN_ENCODER_SPECS)}\n` : `${KNOWN_ENCODER_SPECS.join('\n')}\n`);
      return;
    }
    const { describeEncoder } = await import('../../encoders/hf/encode_command.js');
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
