/**
 * `bench render`: a PNG of one frame, or a GIF of an expert rollout, from the software renderer; with --factor, a
 * contact sheet of that factor's values (one tile per value of a split).
 */
import { extname } from 'node:path';
import type { CommandModule } from 'yargs';
import { ExpertRollout } from '../../envs/expert_rollout.js';
import { renderContactSheet } from '../../envs/factors/contact_sheet.js';
import { SPLITS } from '../../envs/factors/factor_table.js';
import { describeVariant } from '../../envs/factors/variant.js';
import { checkSplit, evaluationSet, parseFactorSet, trainingSet } from '../../envs/factors/variant_sets.js';
import type { TaskDefinition } from '../../envs/task.js';
import { encodeGif, encodePng } from '../../envs/render/image_io.js';
import { MAX_RENDER_SIZE, MIN_RENDER_SIZE } from '../../envs/render/renderer.js';
import { prepareOutputFile, writeFileAtomic } from '../../util/atomic.js';
import { integerOption, requiredStringOption, seedOption, stringOption } from '../option_checks.js';
import { lookupTask, TASK_OPTION } from '../task_lookup.js';

interface RenderArgs {
  task: string;
  seed: number;
  camera?: string;
  size: number;
  steps?: number;
  out: string;
  factor?: string;
  split: string;
  grid: string;
}

/** GIFs keep at most about this many frames (every k-th step), so files stay small at any horizon. */
const MAX_GIF_FRAMES = 100;
/** Browsers slow GIF frames shorter than 20 ms down to 100 ms, so play at most 50 frames per second. */
const MAX_GIF_FPS = 50;

export const renderCommand: CommandModule<object, RenderArgs> = {
  command: 'render',
  describe: 'Render a task: a PNG of the frame after reset (or after --steps expert steps), or a GIF of an expert rollout',
  builder: (yargs) =>
    yargs
      .option('task', TASK_OPTION)
      .option('seed', { default: 0, requiresArg: true, describe: 'episode reset seed', coerce: seedOption() })
      .option('camera', { type: 'string', requiresArg: true, describe: "camera name (default: the task's observation camera)", coerce: stringOption('camera') })
      .option('size', { default: 224, requiresArg: true, describe: 'image width and height in pixels', coerce: integerOption('size', MIN_RENDER_SIZE, MAX_RENDER_SIZE) })
      .option('steps', {
        requiresArg: true,
        describe: 'expert steps to play (PNG: frame after them, default 0; GIF: rollout length, default the horizon)',
        coerce: integerOption('steps', 0),
      })
      .option('out', requiredStringOption('out', 'output file, .png or .gif'))
      .option('factor', { type: 'string', requiresArg: true, describe: 'contact sheet of a factor (or a pair, a+b): one tile per value (PNG; --size is the tile size)', coerce: stringOption('factor') })
      .option('split', { type: 'string', default: 'seen', requiresArg: true, describe: `with --factor: whose values to draw (${SPLITS.join(', ')}; seen = the first training values)`, coerce: stringOption('split') })
      .option('grid', { type: 'string', default: '4x4', requiresArg: true, describe: 'with --factor: columns x rows of the sheet', coerce: stringOption('grid') }),
  handler: async (args) => {
    const format = extname(args.out).toLowerCase();
    if (format !== '.png' && format !== '.gif') throw new Error(`--out must end in .png or .gif, got '${args.out}'`);
    const task = await lookupTask(args.task);
    if (args.factor !== undefined) return renderFactorSheet(task, args, format);
    const steps = args.steps ?? (format === '.gif' ? task.horizon : 0);
    if (steps > task.horizon) throw new Error(`--steps must be at most the horizon of '${task.name}' (${task.horizon}), got ${steps}`);
    if (format === '.gif' && steps < 1) throw new Error('--steps must be at least 1 for a GIF');
    prepareOutputFile(args.out, '--out file');

    const rollout = await ExpertRollout.create(task);
    try {
      const { env } = rollout;
      const size = args.size;
      const frame = (): Uint8Array => env.render({ width: size, height: size, camera: args.camera }).rgb;
      const camera = args.camera ?? task.defaultCamera;
      // A tiny render fails fast on an unknown camera, before any rollout.
      env.reset({ seed: args.seed });
      env.render({ width: MIN_RENDER_SIZE, height: MIN_RENDER_SIZE, camera });
      let bytes: Uint8Array;
      let what: string;
      if (format === '.png') {
        // After the rollout the physics holds the state after `steps` steps (or the last one, if it terminated).
        if (steps > 0) rollout.episode(args.seed, { maxSteps: steps });
        bytes = encodePng(frame(), size, size);
        what = `PNG ${size}x${size}, ${steps === 0 ? 'after reset' : `after ${steps} expert steps`}`;
      } else {
        const stride = Math.max(1, Math.ceil(steps / MAX_GIF_FRAMES));
        const frames: Uint8Array[] = [];
        let last = -1;
        const episode = rollout.episode(args.seed, {
          maxSteps: steps,
          onState: (t) => {
            if (t % stride === 0) {
              frames.push(frame());
              last = t;
            }
          },
        });
        if (last !== episode.length) frames.push(frame());
        // Real time when possible: one frame per `stride` control steps of simulated time.
        const fps = Math.min(MAX_GIF_FPS, 1 / (stride * task.timestep * task.substeps));
        bytes = encodeGif(frames, size, size, fps);
        what = `GIF ${size}x${size}, ${frames.length} frames (every ${stride} of ${episode.length} expert steps, ${fps.toFixed(1)} fps), return ${episode.episodeReturn.toFixed(1)}`;
      }
      writeFileAtomic(args.out, bytes, `rendered ${format.slice(1).toUpperCase()}`);
      process.stdout.write(`wrote ${args.out}: ${what}; task ${task.name}, seed ${args.seed}, camera '${camera}'\n`);
    } finally {
      rollout.close();
    }
  },
};

/** `--factor F --grid CxR`: the frame after reset in each of the split's first C x R values of the factor set. */
async function renderFactorSheet(task: TaskDefinition, args: RenderArgs, format: string): Promise<void> {
  if (format !== '.png') throw new Error(`--factor draws a contact sheet: --out must end in .png, got '${args.out}'`);
  const grid = /^(\d+)x(\d+)$/.exec(args.grid);
  const [cols, rows] = grid ? [Number(grid[1]), Number(grid[2])] : [0, 0];
  if (!(cols >= 1 && rows >= 1 && cols * rows <= 64)) throw new Error(`--grid must be CxR with 1 <= C x R <= 64 (e.g. 4x4), got '${args.grid}'`);
  const factors = parseFactorSet(args.factor!);
  checkSplit(factors, args.split);
  const count = cols * rows;
  const set = args.split === 'seen' ? trainingSet(task, factors, count, 1) : evaluationSet(task, factors, 1, args.split, count);
  const sheet = await renderContactSheet(task, set.variants, { seed: args.seed, size: args.size, cols, rows, ...(args.camera ? { camera: args.camera } : {}) });
  writeFileAtomic(args.out, encodePng(sheet.rgb, sheet.width, sheet.height), 'contact sheet');
  const lines = set.variants.slice(0, count).map((v, i) => `  [${Math.floor(i / cols) + 1},${(i % cols) + 1}] ${describeVariant(v)}`);
  process.stdout.write(`wrote ${args.out}: ${cols}x${rows} contact sheet of ${factors.join('+')} (${args.split}), ${sheet.width}x${sheet.height}; task ${task.name}, seed ${args.seed}\n${lines.join('\n')}\n`);
}
