/**
 * Software renderer throughput at 84x84 and 224x224 (single thread), and the ratio to native MuJoCo's OpenGL
 * renderer on the same scene, camera and size when the native reference tool is available.
 *
 *   npx tsx benchmarks/render.ts [--seconds 2] [--task cheetah-run] [--variants] [--baseline DIR]
 *   MJNATIVE=path/to/mjnative npx tsx benchmarks/render.ts     # adds the native ratio
 *
 * --variants also times each supersampling and texture-filter setting; --baseline DIR also times the renderer of
 * another checkout of this repository (e.g. the main branch, for before/after ratios). All renderers draw the
 * same states in interleaved rounds, so machine load affects them alike; frames are drawn while the simulation
 * runs (stepping is not timed). The native tool is built by the anchors' build.sh (Debian's MuJoCo 2.2 through
 * Mesa's llvmpipe). Reports peak RSS at the end.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { stringOption } from '../src/cli/option_checks.js';
import '../src/envs/domains/index.js';
import { Env } from '../src/envs/env.js';
import { getTask } from '../src/envs/registry.js';
import type { Physics } from '../src/envs/mujoco.js';
import { Renderer } from '../src/envs/render/renderer.js';
import type { RenderOptions } from '../src/envs/render/types.js';
import { mjcfForMujoco22, nativeTool } from './native_mujoco.js';

const SIZES = [84, 224] as const;

/** One renderer configuration to time: draws a frame of `size` from `camera`. */
interface Contender {
  name: string;
  draw: (size: number, camera: string) => void;
}

interface Speed {
  wall: number;
  cpu: number;
}

/**
 * Frames per second of each contender, stepping the simulation (untimed) between rounds: per wall-clock second,
 * and per second of this process's CPU time (steadier than wall-clock on a loaded machine).
 */
function measureSoftware(env: Env, contenders: Contender[], camera: string, size: number, seconds: number): Speed[] {
  const action = new Float64Array(env.actionSpec.dim);
  for (const c of contenders) for (let i = 0; i < 50; i++) c.draw(size, camera);
  const busy = contenders.map(() => 0), cpuMicros = contenders.map(() => 0);
  let frames = 0;
  let step = 0;
  while (busy.reduce((a, b) => a + b, 0) < seconds * 1000 * contenders.length) {
    // Deterministic, varied motion: a slow sinusoidal action pattern, from a fresh episode at the horizon.
    for (let k = 0; k < action.length; k++) action[k] = Math.sin(0.05 * step + k);
    const { terminated, truncated } = env.step(action);
    if (terminated || truncated) env.reset({ seed: 0 });
    step++;
    contenders.forEach((c, i) => {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let k = 0; k < 10; k++) c.draw(size, camera);
      const c1 = process.cpuUsage(c0);
      busy[i]! += performance.now() - t0;
      cpuMicros[i]! += c1.user + c1.system;
    });
    frames += 10;
  }
  return contenders.map((_, i) => ({ wall: (frames * 1000) / busy[i]!, cpu: (frames * 1e6) / cpuMicros[i]! }));
}

/** Native MuJoCo frames/s on the same MJCF, or null (with the reason printed) when unavailable. */
function measureNative(binary: string | null, mjcf: string, camera: string, size: number): number | null {
  if (!binary) return null;
  const dir = mkdtempSync(join(tmpdir(), 'render-bench-'));
  try {
    const path = join(dir, 'model.xml');
    writeFileSync(path, mjcfForMujoco22(mjcf).xml);
    const out = execFileSync(binary, ['render', path, String(size), String(size), camera, 'rgb'], { encoding: 'utf8', timeout: 120_000 });
    const match = /([\d.]+) frames\/s/.exec(out);
    if (!match) throw new Error(`unexpected output from ${binary}: ${out.trim()}`);
    return Number(match[1]);
  } catch (err) {
    console.log(`native renderer failed at ${size}x${size}: ${(err as Error).message.split('\n')[0]}`);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function contender(name: string, renderer: { render(options: RenderOptions): unknown }, options: Partial<RenderOptions> = {}): Contender {
  return { name, draw: (size, camera) => renderer.render({ width: size, height: size, camera, ...options }) };
}

/** The Renderer class of another checkout of this repository (its src/envs/render/renderer.ts). */
async function baselineRenderer(dir: string, physics: Physics): Promise<{ render(options: RenderOptions): unknown }> {
  const url = pathToFileURL(resolve(dir, 'src/envs/render/renderer.ts')).href;
  const module = (await import(url)) as { Renderer?: new (physics: Physics) => { render(options: RenderOptions): unknown } };
  if (!module.Renderer) throw new Error(`--baseline ${dir}: src/envs/render/renderer.ts exports no Renderer`);
  return new module.Renderer(physics);
}

const args = await yargs(hideBin(process.argv))
  .strict()
  .option('seconds', { type: 'number', default: 2, describe: 'timed seconds per renderer and size' })
  .option('task', { default: 'cheetah-run', coerce: stringOption('task'), describe: 'scene to draw (its default camera)' })
  .option('variants', { type: 'boolean', default: false, describe: 'also time supersampling and linear texture filtering' })
  .option('baseline', { type: 'string', describe: "another checkout of this repository whose renderer is timed alongside" })
  .check((a) => {
    if (!(a.seconds > 0)) throw new Error(`--seconds must be a positive number, got ${a.seconds}`);
    return true;
  })
  .parseAsync();

const task = getTask(args.task);
const env = await Env.make(task);
env.reset({ seed: 0 });
const camera = task.defaultCamera;
const contenders = [contender('default', new Renderer(env.physics))];
if (args.variants) {
  for (const [name, options] of [
    ['nearest x1', { supersample: 1, textureFilter: 'nearest' }],
    ['linear x1', { supersample: 1, textureFilter: 'linear' }],
    ['nearest x4', { supersample: 4, textureFilter: 'nearest' }],
    ['linear x4', { supersample: 4, textureFilter: 'linear' }],
    ['linear x16', { supersample: 16, textureFilter: 'linear' }],
  ] as const) {
    contenders.push(contender(name, new Renderer(env.physics), options));
  }
}
if (args.baseline) contenders.push(contender(`baseline ${args.baseline}`, await baselineRenderer(args.baseline, env.physics)));
console.log(`scene: ${task.name}, camera '${camera}', ${env.physics.model.ngeom} geoms`);
const binary = nativeTool('MJNATIVE');
if (!binary) console.log('skipping the native MuJoCo ratio');
const mjcf = task.buildScene();
for (const size of SIZES) {
  const speeds = measureSoftware(env, contenders, camera, size, args.seconds);
  const native = measureNative(binary, mjcf, camera, size);
  console.log(`${size}x${size}${native ? `: native ${native.toFixed(1)} frames/s (wall-clock)` : ''}`);
  speeds.forEach((s, i) => {
    const ratios = [`${(s.cpu / speeds[0]!.cpu).toFixed(2)}x default`];
    if (native) ratios.push(`${(s.wall / native).toFixed(1)}x native`);
    console.log(`  ${contenders[i]!.name}: ${s.wall.toFixed(0)} frames/s wall-clock, ${s.cpu.toFixed(0)} per CPU-second (${ratios.join(', ')})`);
  });
}
env.close();
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
