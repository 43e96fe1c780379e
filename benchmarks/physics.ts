/**
 * Physics overhead of the Env API: `env.step` without pixels vs a bare `mj_step` loop on the same model, and
 * (optionally) the bare WASM loop vs native MuJoCo's `mj_step` on the same MJCF.
 *
 *   npx tsx benchmarks/physics.ts [--blocks 20] [--native /path/to/mjnative] [--native-steps 200000]
 *
 * The native tool is ../shared/anchors/mujoco-native (its build.sh); the path may also come from MJNATIVE.
 * Every variant drives the controls with the native tool's sinusoid, ctrl[u] = sin(0.01 i + u). The machine is
 * shared and noisy, so the variants are interleaved block by block and only ratios are reported.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import '../src/envs/domains/cheetah.js';
import '../src/envs/domains/reacher.js';
import { Env } from '../src/envs/env.js';
import { compilePhysics, type Physics } from '../src/envs/mujoco.js';

const TASKS = ['cheetah-run', 'reacher-easy'];
/** Unmeasured episodes per variant before timing (JavaScript JIT warm-up). */
const WARMUP_BLOCKS = 10;

interface Rates {
  /** Steps per second of each variant, summed over blocks. */
  envSteps: number;
  envSeconds: number;
  bareSteps: number;
  bareSeconds: number;
}

/** [steps, dim] the native tool's control signal, precomputed so no variant pays for Math.sin in its loop. */
function sinusoid(steps: number, dim: number): Float64Array {
  const out = new Float64Array(steps * dim);
  for (let i = 0; i < steps; i++) for (let u = 0; u < dim; u++) out[i * dim + u] = Math.sin(0.01 * i + u);
  return out;
}

function bareLoop(physics: Physics, controls: Float64Array, steps: number, dim: number): number {
  const { mj, model, data } = physics;
  const ctrl = data.ctrl as Float64Array;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    for (let u = 0; u < dim; u++) ctrl[u] = controls[i * dim + u]!;
    mj.mj_step(model, data);
  }
  return (performance.now() - t0) / 1000;
}

function envLoop(env: Env, controls: Float64Array, steps: number, dim: number): number {
  // The caller's action buffer is refilled each step, as the bare loop fills ctrl.
  const action = new Float64Array(dim);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    for (let u = 0; u < dim; u++) action[u] = controls[i * dim + u]!;
    env.step(action);
  }
  return (performance.now() - t0) / 1000;
}

async function measureEnvVsBare(task: string, blocks: number): Promise<Rates> {
  const env = await Env.make(task);
  // The bare loop runs on the env's own model and data, restarted from the same (deterministic) reset state, so
  // both variants simulate exactly the same motion on the same memory.
  const dim = env.actionSpec.dim;
  const steps = env.horizon;
  const controls = sinusoid(steps, dim);
  const rates: Rates = { envSteps: 0, envSeconds: 0, bareSteps: 0, bareSeconds: 0 };
  const runEnv = (seed: number): number => {
    env.reset({ seed });
    return envLoop(env, controls, steps, dim);
  };
  const runBare = (seed: number): number => {
    env.reset({ seed });
    return bareLoop(env.physics, controls, steps, dim);
  };
  try {
    for (let b = -WARMUP_BLOCKS; b < blocks; b++) {
      const seed = Math.max(b, 0);
      const envFirst = b % 2 === 0;
      const first = envFirst ? runEnv(seed) : runBare(seed);
      const second = envFirst ? runBare(seed) : runEnv(seed);
      if (b < 0) continue; // warm-up: let the JIT optimise both loops first
      rates.envSteps += steps;
      rates.envSeconds += envFirst ? first : second;
      rates.bareSteps += steps;
      rates.bareSeconds += envFirst ? second : first;
    }
  } finally {
    env.close();
  }
  return rates;
}

/** Bare WASM loop from the model's default state (as the native tool runs it), steps per second. */
async function wasmDefaultStateRate(task: string, mjcf: string, steps: number): Promise<number> {
  const physics = await compilePhysics(task, mjcf);
  try {
    const dim = physics.model.nu;
    const controls = sinusoid(steps, dim);
    bareLoop(physics, controls, Math.min(steps, 20000), dim); // warm-up
    physics.mj.mj_resetData(physics.model, physics.data);
    return steps / bareLoop(physics, controls, steps, dim);
  } finally {
    physics.dispose();
  }
}

function nativeRate(binary: string, mjcfPath: string, steps: number): number {
  const out = execFileSync(binary, ['step', mjcfPath, String(steps)], { encoding: 'utf8' });
  const match = /step: ([0-9.]+) steps\/s/.exec(out);
  if (!match) throw new Error(`native tool output not understood: ${out.trim()}`);
  return Number(match[1]);
}

async function main(): Promise<void> {
  const args = await yargs(hideBin(process.argv))
    .option('blocks', { type: 'number', default: 20, describe: 'episodes of 1000 steps per variant' })
    .option('native', { type: 'string', describe: 'path of the native mjnative tool (or env MJNATIVE)' })
    .option('native-steps', { type: 'number', default: 200000 })
    .option('tasks', { type: 'string', default: TASKS.join(','), describe: 'comma-separated task names' })
    .strict()
    .parse();
  if (!Number.isInteger(args.blocks) || args.blocks < 1) throw new Error(`--blocks must be a positive integer, got ${args.blocks}`);
  const native = args.native ?? process.env.MJNATIVE;

  for (const task of args.tasks.split(',')) {
    const r = await measureEnvVsBare(task, args.blocks);
    const envRate = r.envSteps / r.envSeconds;
    const bareRate = r.bareSteps / r.bareSeconds;
    console.log(
      `${task}: env.step ${envRate.toFixed(0)} steps/s, bare mj_step ${bareRate.toFixed(0)} steps/s, ` +
        `env/bare = ${(envRate / bareRate).toFixed(3)}x (${r.envSteps} steps each)`,
    );
    if (!native) continue;
    const env = await Env.make(task);
    const mjcf = env.definition.buildScene();
    env.close();
    const dir = mkdtempSync(join(tmpdir(), 'physics-bench-'));
    try {
      const path = join(dir, `${task}.xml`);
      writeFileSync(path, mjcf);
      const steps = args['native-steps'];
      // Interleave: native, wasm, native, wasm; report the ratio of the sums.
      let nativeSeconds = 0;
      let wasmSeconds = 0;
      for (let round = 0; round < 2; round++) {
        nativeSeconds += steps / nativeRate(native, path, steps);
        wasmSeconds += steps / (await wasmDefaultStateRate(task, mjcf, steps));
      }
      console.log(
        `${task}: native mj_step ${((2 * steps) / nativeSeconds).toFixed(0)} steps/s, wasm bare ${((2 * steps) / wasmSeconds).toFixed(0)} steps/s, ` +
          `wasm/native = ${(nativeSeconds / wasmSeconds).toFixed(3)}x`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

await main();
