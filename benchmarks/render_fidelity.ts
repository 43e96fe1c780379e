/**
 * The software renderer's look against native MuJoCo's OpenGL renderer, task by task: for every registered task's
 * default camera, after a seeded reset and a few expert steps, both renderers draw the same state at the same size
 * and the script reports the mean absolute RGB difference (in 1/255 per channel, over all pixels) and the share of
 * pixels away from silhouette edges where both segmentations name the same geom. Renderer variants (supersampling,
 * texture filtering) are measured the same way, with their frames/s as a ratio to the default in the same run.
 *
 *   MJCHECK=path/to/mjcheck npx tsx benchmarks/render_fidelity.ts [--sizes 64,96,256] [--seed 0] [--steps 5]
 *       [--task reacher-easy ...] [--variants] [--frames 40] [--out DIR] [--json FILE]
 *
 * mjcheck is native MuJoCo 2.2 (Debian's libmujoco) rendering one fixed state through Mesa's EGL; the script
 * explains how to build it when MJCHECK is missing. The exported MJCF copy is adapted to MuJoCo 2.2 (see
 * native_mujoco.ts); the harness's own scene is unchanged. Not part of CI.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { integerOption, seedOption } from '../src/cli/option_checks.js';
import { ExpertRollout } from '../src/envs/expert_rollout.js';
import { getTask, listTasks } from '../src/envs/index.js';
import type { Physics } from '../src/envs/mujoco.js';
import { encodePng } from '../src/envs/render/image_io.js';
import { Renderer } from '../src/envs/render/renderer.js';
import type { RenderOptions } from '../src/envs/render/types.js';
import type { TaskDefinition } from '../src/envs/task.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { observationLook } from '../src/protocol/render_settings.js';
import { mjcfForMujoco22, mjcheckState, nativeTool, readPpm } from './native_mujoco.js';

/** A renderer configuration to compare; the first one is the default observation look. */
interface Variant {
  name: string;
  /** Renderer options for frames of `size` pixels. */
  options: (size: number) => Partial<RenderOptions>;
}

/** The observation look of the run's frames (`observationLook`), then each combination the options offer. */
const DEFAULT_VARIANT: Variant = { name: 'default', options: (size) => observationLook(size) };
const EXTRA_VARIANTS: Variant[] = [
  { name: 'nearest x1', options: () => ({ supersample: 1, textureFilter: 'nearest' }) },
  { name: 'linear x1', options: () => ({ supersample: 1, textureFilter: 'linear' }) },
  { name: 'nearest x4', options: () => ({ supersample: 4, textureFilter: 'nearest' }) },
  { name: 'linear x4', options: () => ({ supersample: 4, textureFilter: 'linear' }) },
  { name: 'linear x16', options: () => ({ supersample: 16, textureFilter: 'linear' }) },
];

interface NativeFrame {
  rgb: Uint8Array;
  /** [H, W] geom id per pixel, -1 for background or non-geom objects. */
  segmentation: Int32Array;
  version: string;
}

interface VariantResult {
  variant: string;
  /** Mean |ours - native| per channel over all pixels, in 1/255. */
  meanAbsRgb: number;
  /** The same over pixels away from silhouette edges only. */
  meanAbsRgbInterior: number;
  /** Share of pixels (in %) that differ by more than 8/255 in some channel. */
  pixelsOver8: number;
  framesPerSecond: number;
}

interface TaskResult {
  task: string;
  version: number;
  camera: string;
  size: number;
  mjcfChanges: string[];
  /** Share (in %) of interior pixels where both segmentations name the same geom. */
  segmentationAgreement: number;
  interiorPixels: number;
  variants: VariantResult[];
}

/** Runs mjcheck on the task's current state and decodes its RGB and segmentation frames. */
function renderNative(binary: string, dir: string, task: TaskDefinition, xml: string, state: string, size: number): NativeFrame {
  const model = join(dir, `${task.name}.xml`), statePath = join(dir, `${task.name}.state`), prefix = join(dir, task.name);
  writeFileSync(model, xml);
  writeFileSync(statePath, state);
  const out = execFileSync(binary, [model, statePath, String(size), String(size), task.defaultCamera, prefix], {
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const rgb = readPpm(`${prefix}_rgb.ppm`);
  const seg = readPpm(`${prefix}_seg.ppm`);
  if (rgb.width !== size || rgb.height !== size) throw new Error(`mjcheck wrote ${rgb.width}x${rgb.height}, expected ${size}x${size}`);
  // Segmentation colour = scene-geom index + 1 packed as R + 256 G + 65536 B; the table maps it to the model object.
  const geomOfSceneIndex = new Map<number, number>();
  for (const line of readFileSync(`${prefix}_segmap.txt`, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const [index, , objtype, objid] = line.trim().split(/\s+/).map(Number);
    geomOfSceneIndex.set(index!, objtype === MJOBJ_GEOM ? objid! : -1);
  }
  const segmentation = new Int32Array(size * size);
  for (let p = 0; p < size * size; p++) {
    const colour = seg.rgb[3 * p]! + 256 * seg.rgb[3 * p + 1]! + 65536 * seg.rgb[3 * p + 2]!;
    segmentation[p] = colour === 0 ? -1 : geomOfSceneIndex.get(colour - 1) ?? -1;
  }
  const version = /native mujoco ([^:]+):/.exec(out)?.[1] ?? 'unknown';
  return { rgb: rgb.rgb, segmentation, version };
}

/** mjtObj.mjOBJ_GEOM in MuJoCo 2.2 and 3.x. */
const MJOBJ_GEOM = 5;

/** [H, W] 1 where the 3x3 neighbourhood holds a single id in `segmentation`. */
function interiorMask(segmentation: Int32Array, size: number): Uint8Array {
  const mask = new Uint8Array(size * size);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const id = segmentation[j * size + i]!;
      let uniform = true;
      for (let dj = -1; dj <= 1 && uniform; dj++) {
        for (let di = -1; di <= 1; di++) {
          const ii = Math.min(size - 1, Math.max(0, i + di)), jj = Math.min(size - 1, Math.max(0, j + dj));
          if (segmentation[jj * size + ii] !== id) {
            uniform = false;
            break;
          }
        }
      }
      mask[j * size + i] = uniform ? 1 : 0;
    }
  }
  return mask;
}

function rgbDifference(ours: Uint8Array, native: Uint8Array, interior: Uint8Array): Omit<VariantResult, 'variant' | 'framesPerSecond'> {
  let sum = 0, sumInterior = 0, interiorCount = 0, over = 0;
  for (let p = 0; p < interior.length; p++) {
    const d0 = Math.abs(ours[3 * p]! - native[3 * p]!), d1 = Math.abs(ours[3 * p + 1]! - native[3 * p + 1]!), d2 = Math.abs(ours[3 * p + 2]! - native[3 * p + 2]!);
    sum += d0 + d1 + d2;
    if (interior[p]) {
      sumInterior += d0 + d1 + d2;
      interiorCount++;
    }
    if (d0 > 8 || d1 > 8 || d2 > 8) over++;
  }
  return {
    meanAbsRgb: sum / (3 * interior.length),
    meanAbsRgbInterior: interiorCount > 0 ? sumInterior / (3 * interiorCount) : 0,
    pixelsOver8: (100 * over) / interior.length,
  };
}

/** |ours - native| per pixel (max over channels), scaled x8 so small differences show, as a grey image. */
function differenceImage(ours: Uint8Array, native: Uint8Array): Uint8Array {
  const out = new Uint8Array(ours.length);
  for (let p = 0; p < ours.length; p += 3) {
    const d = Math.max(Math.abs(ours[p]! - native[p]!), Math.abs(ours[p + 1]! - native[p + 1]!), Math.abs(ours[p + 2]! - native[p + 2]!));
    out[p] = out[p + 1] = out[p + 2] = Math.min(255, 8 * d);
  }
  return out;
}

/**
 * Frames per CPU-second of this process (steadier than wall-clock on a shared machine) for each variant on the
 * fixed state, each with a renderer of its own (as an environment has; switching sizes would re-make buffers and
 * the skybox image), interleaved in rounds so that machine load affects all alike.
 */
function measureSpeed(physics: Physics, camera: string, size: number, variants: Variant[], frames: number): number[] {
  const renderers = variants.map(() => new Renderer(physics));
  const draw = (k: number) => renderers[k]!.render({ width: size, height: size, camera, ...variants[k]!.options(size) });
  const micros = variants.map(() => 0);
  variants.forEach((_, k) => {
    for (let f = 0; f < 3; f++) draw(k);
  });
  // Each round starts with another variant, so that no variant always follows the same one (caches, GC).
  const rounds = Math.max(5, variants.length);
  const perRound = Math.max(1, Math.ceil(frames / rounds));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const k = (r + i) % variants.length;
      const c0 = process.cpuUsage();
      for (let f = 0; f < perRound; f++) draw(k);
      const c = process.cpuUsage(c0);
      micros[k]! += c.user + c.system;
    }
  }
  return micros.map((us) => (rounds * perRound * 1e6) / us);
}

/** Plays the task's expert for `steps` steps from a seeded reset and hands the live physics to `visit`. */
async function atExpertState<T>(task: TaskDefinition, seed: number, steps: number, visit: (physics: Physics) => Promise<T>): Promise<T> {
  const rollout = await ExpertRollout.create(task);
  try {
    rollout.episode(seed, { maxSteps: Math.max(1, steps) });
    return await visit(rollout.env.physics);
  } finally {
    rollout.close();
  }
}

/** What mjcheck is given: the MuJoCo 2.2 copy of the scene, what was changed in it, and the state file. */
interface ExportedScene {
  xml: string;
  changes: string[];
  state: string;
}

/** Compares one task's state at every size in `args.sizes`. */
async function measureTask(
  binary: string,
  dir: string,
  task: TaskDefinition,
  args: { sizes: number[]; seed: number; steps: number; frames: number; out?: string },
  variants: Variant[],
): Promise<TaskResult[]> {
  const mjcf = task.buildScene();
  const { xml, changes } = mjcfForMujoco22(mjcf);
  return atExpertState(task, args.seed, args.steps, async (physics) => {
    const scene: ExportedScene = { xml, state: await mjcheckState(physics, mjcf), changes };
    return args.sizes.map((size) => compareFrames(binary, dir, task, physics, scene, size, args, variants));
  });
}

/** Both renderers on the current state at one size: RGB difference per variant, segmentation agreement, speed. */
function compareFrames(
  binary: string,
  dir: string,
  task: TaskDefinition,
  physics: Physics,
  scene: ExportedScene,
  size: number,
  args: { frames: number; out?: string },
  variants: Variant[],
): TaskResult {
  const native = renderNative(binary, dir, task, scene.xml, scene.state, size);
  const renderer = new Renderer(physics);
  const camera = task.defaultCamera;
  const ours = renderer.render({ width: size, height: size, camera, segmentation: true });
  const interior = interiorMask(ours.segmentation!, size);
  let interiorCount = 0, agree = 0;
  for (let p = 0; p < interior.length; p++) {
    if (!interior[p]) continue;
    interiorCount++;
    if (ours.segmentation![p] === native.segmentation[p]) agree++;
  }
  const fps = measureSpeed(physics, camera, size, variants, args.frames);
  const results = variants.map((v, k): VariantResult => {
    const rgb = renderer.render({ width: size, height: size, camera, ...v.options(size) }).rgb;
    if (args.out) {
      const name = `${task.name}_${size}_${v.name.replace(/ /g, '_')}`;
      writeFileAtomic(join(args.out, `${name}.png`), encodePng(rgb, size, size), 'rendered frame');
      writeFileAtomic(join(args.out, `${name}_diff.png`), encodePng(differenceImage(rgb, native.rgb), size, size), 'difference image');
    }
    return { variant: v.name, ...rgbDifference(rgb, native.rgb, interior), framesPerSecond: fps[k]! };
  });
  if (args.out) writeFileAtomic(join(args.out, `${task.name}_${size}_native.png`), encodePng(native.rgb, size, size), 'native frame');
  return {
    task: task.name,
    version: task.version,
    camera,
    size,
    mjcfChanges: scene.changes,
    segmentationAgreement: interiorCount > 0 ? (100 * agree) / interiorCount : 0,
    interiorPixels: interiorCount,
    variants: results,
  };
}

function table(rows: TaskResult[], variants: Variant[]): string {
  const header = ['task', 'size', 'seg agree %', 'fps', ...variants.flatMap((v) => [`${v.name} |dRGB|`, 'interior', '>8 %', 'fps ratio'])];
  const cells = rows.map((r) => [
    `${r.task} v${r.version}`,
    String(r.size),
    r.segmentationAgreement.toFixed(2),
    r.variants[0]!.framesPerSecond.toFixed(0),
    ...r.variants.flatMap((v) => [
      v.meanAbsRgb.toFixed(2),
      v.meanAbsRgbInterior.toFixed(2),
      v.pixelsOver8.toFixed(1),
      (v.framesPerSecond / r.variants[0]!.framesPerSecond).toFixed(2),
    ]),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells].map((line) => line.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** Per size and variant: the worst task's |dRGB| (the goal is <= 2 on every task) and the geometric-mean speed. */
function summary(rows: TaskResult[], variants: Variant[], sizes: number[]): string {
  const lines = ['worst |dRGB| over tasks (goal <= 2 / 255) and geometric-mean frames/s ratio to the default:'];
  for (const size of sizes) {
    const atSize = rows.filter((r) => r.size === size);
    if (atSize.length === 0) continue;
    const cells = variants.map((v, k) => {
      const worst = Math.max(...atSize.map((r) => r.variants[k]!.meanAbsRgb));
      const ratio = Math.exp(atSize.reduce((sum, r) => sum + Math.log(r.variants[k]!.framesPerSecond / r.variants[0]!.framesPerSecond), 0) / atSize.length);
      return `${v.name} ${worst.toFixed(2)} (${ratio.toFixed(2)}x)`;
    });
    lines.push(`  ${size} px: ${cells.join('; ')}`);
  }
  return lines.join('\n');
}

/** A comma-separated list of integers in [min, max]. */
function listOfIntegers(flag: string, value: unknown, min: number, max: number): number[] {
  const items = String(value).split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new Error(`--${flag} must list at least one integer in [${min}, ${max}]`);
  return items.map((item) => integerOption(flag, min, max)(item));
}

const args = await yargs(hideBin(process.argv))
  .strict()
  .usage('MJCHECK=path/to/mjcheck $0 [options]')
  .option('sizes', {
    default: '64,96,256',
    coerce: (value: unknown) => listOfIntegers('sizes', value, 64, 512),
    describe: 'sides of the square frames, pixels (default: the smoke, quick and paper observation sizes)',
  })
  .option('seed', { default: 0, coerce: seedOption(), describe: 'reset seed of every task' })
  .option('steps', { default: 5, coerce: integerOption('steps', 1, 10_000), describe: 'expert steps before the compared frame' })
  .option('task', { type: 'string', array: true, describe: 'only these tasks (default: every registered task)' })
  .option('variants', { type: 'boolean', default: false, describe: 'also measure the renderer variants (supersampling, texture filtering)' })
  .option('frames', { default: 40, coerce: integerOption('frames', 1, 100_000), describe: 'frames timed per variant and task' })
  .option('out', { type: 'string', describe: 'write ours, native and difference PNGs per task into this folder' })
  .option('json', { type: 'string', describe: 'also write the rows to this JSON file' })
  .parseAsync();

const binary = nativeTool('MJCHECK');
if (!binary) {
  console.log('render_fidelity compares against native MuJoCo and cannot run without it.');
  process.exit(2);
}
const tasks = args.task?.length ? args.task.map(getTask) : listTasks();
const variants = [DEFAULT_VARIANT, ...(args.variants ? EXTRA_VARIANTS : [])];
if (args.out) mkdirSync(args.out, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'render-fidelity-'));
const rows: TaskResult[] = [];
let compared = 0;
try {
  for (const task of tasks) {
    try {
      rows.push(...(await measureTask(binary, dir, task, args, variants)));
      compared++;
    } catch (err) {
      console.log(`${task.name}: not compared: ${(err as Error).message.split('\n')[0]}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${compared} of ${tasks.length} tasks at ${args.sizes.join(', ')} px, seed ${args.seed}, ${args.steps} expert steps`);
console.log(table(rows, variants));
console.log(summary(rows, variants, args.sizes));
if (args.json) writeFileAtomic(args.json, `${JSON.stringify(rows, null, 2)}\n`, 'benchmark results');
