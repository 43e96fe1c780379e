/**
 * Software renderer throughput on the cheetah-run scene at 84x84 and 224x224 (single thread), and the ratio to
 * native MuJoCo's OpenGL renderer on the same scene, camera and size when the native reference tool is available.
 *
 *   npx tsx benchmarks/render.ts [--seconds 2]
 *   MJNATIVE=path/to/mjnative npx tsx benchmarks/render.ts     # adds the native ratio
 *
 * The native tool is built by the anchors' build.sh (Debian's MuJoCo 2.2 through Mesa's llvmpipe). Frames of the
 * software renderer are drawn while the simulation runs (stepping is not timed). Reports peak RSS at the end.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/envs/domains/index.js';
import { Env } from '../src/envs/env.js';
import { listTasks } from '../src/envs/registry.js';
import { Renderer } from '../src/envs/render/renderer.js';
import { mjcfForMujoco22, nativeTool } from './native_mujoco.js';

const TASK = 'cheetah-run';
const SIZES = [84, 224] as const;

function argSeconds(): number {
  const i = process.argv.indexOf('--seconds');
  const value = i >= 0 ? Number(process.argv[i + 1]) : 2;
  if (!(value > 0)) throw new Error(`--seconds must be a positive number, got ${process.argv[i + 1]}`);
  return value;
}

/**
 * Frames per second of the software renderer, stepping the simulation (untimed) between frames: per wall-clock
 * second, and per second of this process's CPU time (steadier than wall-clock on a loaded machine).
 */
function measureSoftware(env: Env, renderer: Renderer, camera: string, size: number, seconds: number): { wall: number; cpu: number } {
  const action = new Float64Array(env.actionSpec.dim);
  const { mj, model, data } = env.physics;
  for (let i = 0; i < 50; i++) renderer.render({ width: size, height: size, camera });
  let frames = 0;
  let busy = 0;
  let cpuMicros = 0;
  let step = 0;
  while (busy < seconds * 1000) {
    // Deterministic, varied motion: a slow sinusoidal action pattern.
    for (let k = 0; k < action.length; k++) action[k] = Math.sin(0.05 * step + k);
    env.physics.data.ctrl.set(action);
    mj.mj_step(model, data);
    step++;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let k = 0; k < 10; k++) renderer.render({ width: size, height: size, camera });
    const c1 = process.cpuUsage(c0);
    busy += performance.now() - t0;
    cpuMicros += c1.user + c1.system;
    frames += 10;
  }
  return { wall: (frames * 1000) / busy, cpu: (frames * 1e6) / cpuMicros };
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

async function main(): Promise<void> {
  const seconds = argSeconds();
  if (!listTasks().some((t) => t.name === TASK)) throw new Error(`task '${TASK}' is not registered`);
  const env = await Env.make(TASK);
  env.reset({ seed: 0 });
  const camera = env.definition.defaultCamera;
  const renderer = new Renderer(env.physics);
  const mjcf = env.definition.buildScene();
  console.log(`scene: ${TASK}, camera '${camera}', ${env.physics.model.ngeom} geoms`);
  const binary = nativeTool('MJNATIVE');
  if (!binary) console.log('skipping the native MuJoCo ratio');
  for (const size of SIZES) {
    const software = measureSoftware(env, renderer, camera, size, seconds);
    const native = measureNative(binary, mjcf, camera, size);
    const ratio = native ? `; native ${native.toFixed(1)} frames/s (wall-clock), ratio ${(software.wall / native).toFixed(1)}x` : '';
    console.log(`${size}x${size}: software ${software.wall.toFixed(0)} frames/s wall-clock, ${software.cpu.toFixed(0)} per CPU-second${ratio}`);
  }
  env.close();
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

await main();
