/**
 * ONNX Runtime's idle intra-op threads spinning (`allow_spinning` 1) against sleeping (0) in encoder sessions,
 * alternated in one script so that both sides see the same machine load:
 *   encoder: `--encoder` alone on seeded random frames at `--size`, batches of `--batches` frames, frames/s and
 *            CPU-ms per frame; the features of both settings are checked bit-identical;
 *   eval:    one cell's evaluation (evaluateEpisodes, untrained policy) of `--envs` envs of `--task`, `--horizon`
 *            steps, in each of `--modes` (local: the main thread; pipelined: `--workers` env workers, two groups
 *            whose stepping overlaps the other group's encoding), wall and CPU seconds; episodes checked equal;
 *   run:     a cold `bench run` in a child process per setting (`--run-args`, fresh cache and output directories,
 *            `BENCH_ORT_SPINNING` set), `--run-reps` times, wall and CPU seconds (needs `npm run build`).
 * `--parts` picks which of the three run (default all).
 * Every repetition runs the two settings in alternating order. On a shared machine read the spread and the load
 * averages printed beside each repetition.
 *
 *   npx tsx benchmarks/ort_spinning.ts [--parts encoder,eval,run] [--encoder vit-tiny-random] [--size 96] [--batches 10,64] [--iters 3]
 *       [--task cheetah-run] [--envs 10] [--horizon 20] [--workers 2] [--modes local,pipelined] [--reps 3]
 *       [--run-reps 1] [--first spin|sleep] [--run-args "--suite cortexbench --tasks reacher-easy --encoders vit-tiny-random --profile smoke --env-workers 2"]
 *       [--out FILE.json]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { integerListOption, integerOption } from '../src/cli/option_checks.js';
import type { Encoder, FrameBatch } from '../src/encoders/encoder.js';
import { SPINNING_ENV } from '../src/encoders/ort.js';
import { createEncoder, parseEncoderSpec } from '../src/encoders/registry.js';
import '../src/envs/index.js';
import { Env } from '../src/envs/env.js';
import { getTask } from '../src/envs/registry.js';
import { LocalVectorEnv, type VectorEnv } from '../src/envs/vector_env.js';
import { WorkerVectorEnv } from '../src/envs/vector_env_workers.js';
import { evaluateEpisodes } from '../src/eval/rollout.js';
import { createPolicy } from '../src/policies/index.js';
import { observationLook, type RenderSettings } from '../src/protocol/render_settings.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { Rng } from '../src/util/rng.js';

const argv = await yargs(hideBin(process.argv))
  .option('parts', { type: 'string', default: 'encoder,eval,run' })
  .option('encoder', { type: 'string', default: 'vit-tiny-random' })
  .option('size', { type: 'number', default: 96 })
  .option('batches', { type: 'string', default: '10,64' })
  .option('iters', { type: 'number', default: 3, describe: 'encoder calls per batch size and setting in a repetition' })
  .option('task', { type: 'string', default: 'cheetah-run' })
  .option('envs', { type: 'number', default: 10 })
  .option('horizon', { type: 'number', default: 20 })
  .option('workers', { type: 'number', default: 2 })
  .option('modes', { type: 'string', default: 'local,pipelined' })
  .option('reps', { type: 'number', default: 3 })
  .option('run-reps', { type: 'number', default: 1 })
  .option('run-args', { type: 'string', default: '--suite cortexbench --tasks reacher-easy --encoders vit-tiny-random --profile smoke --env-workers 2' })
  .option('first', { choices: ['spin', 'sleep'] as const, default: 'spin' as const, describe: 'the setting the first repetition starts with' })
  .option('out', { type: 'string' })
  .strict()
  .parseAsync();
const size = integerOption('--size', 1)(argv.size);
const batches = integerListOption('--batches', 1)(argv.batches);
const iters = integerOption('--iters', 1)(argv.iters);
const envCount = integerOption('--envs', 1)(argv.envs);
const horizon = integerOption('--horizon', 1)(argv.horizon);
const workers = integerOption('--workers', 1)(argv.workers);
const reps = integerOption('--reps', 1)(argv.reps);
const runReps = integerOption('--run-reps', 1)(argv['run-reps']);
const PARTS = ['encoder', 'eval', 'run'] as const;
const parts = argv.parts.split(',').map((p) => {
  if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--parts: expected a list of ${PARTS.join(', ')}, got '${p}'`);
  return p as (typeof PARTS)[number];
});
const EVAL_MODES = ['local', 'pipelined'] as const;
type EvalMode = (typeof EVAL_MODES)[number];
const modes = argv.modes.split(',').map((m) => {
  if (!(EVAL_MODES as readonly string[]).includes(m)) throw new Error(`--modes: expected a list of ${EVAL_MODES.join(', ')}, got '${m}'`);
  return m as EvalMode;
});

type Setting = 'spin' | 'sleep';
const SETTINGS: readonly Setting[] = ['spin', 'sleep'];
/** Settings in the order of repetition `rep`: alternating, so a trend in the load hits both sides alike. */
const orderOf = (rep: number): Setting[] => ((rep % 2 === 0) === (argv.first === 'spin') ? ['spin', 'sleep'] : ['sleep', 'spin']);
const envValue = (setting: Setting): string => (setting === 'spin' ? '1' : '0');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuSeconds = (): number => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
};
const load = (): number => Number(loadavg()[0]!.toFixed(1));
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** An encoder whose ORT session was created with the setting (the environment variable is read at creation). */
async function encoderWith(setting: Setting): Promise<Encoder> {
  const before = process.env[SPINNING_ENV];
  process.env[SPINNING_ENV] = envValue(setting);
  try {
    return await createEncoder(parseEncoderSpec(argv.encoder), { framePreprocessing: 'processor' });
  } finally {
    if (before === undefined) delete process.env[SPINNING_ENV];
    else process.env[SPINNING_ENV] = before;
  }
}

/** `value` timed with wall and this process's CPU seconds. */
async function timed<T>(work: () => Promise<T>): Promise<{ wall: number; cpu: number; value: T }> {
  const [start, cpu] = [performance.now(), cpuSeconds()];
  const value = await work();
  return { wall: (performance.now() - start) / 1000, cpu: cpuSeconds() - cpu, value };
}

interface Sample { wall: number[]; cpu: number[] }
const emptySamples = (): Record<Setting, Sample> => ({ spin: { wall: [], cpu: [] }, sleep: { wall: [], cpu: [] } });
const summary = (samples: Record<Setting, Sample>) => ({
  wall: { spin: samples.spin.wall.map((x) => round(x)), sleep: samples.sleep.wall.map((x) => round(x)) },
  cpu: { spin: samples.spin.cpu.map((x) => round(x)), sleep: samples.sleep.cpu.map((x) => round(x)) },
  /** Sleep's wall over spin's per repetition (< 1: sleeping is faster). */
  wallRatioSleepOverSpin: samples.sleep.wall.map((w, i) => round(w / samples.spin.wall[i]!)),
  medianWallRatioSleepOverSpin: round(median(samples.sleep.wall) / median(samples.spin.wall)),
  cpuRatioSleepOverSpin: samples.sleep.cpu.map((c, i) => round(c / samples.spin.cpu[i]!)),
});

async function encoderPart(encoders: Record<Setting, Encoder>, loads: number[]) {
  const largest = Math.max(...batches);
  const rng = new Rng(7);
  const data = Uint8Array.from({ length: largest * size * size * 3 }, () => Math.floor(rng.uniform(0, 256)));
  const frames = (n: number): FrameBatch => ({ data: data.subarray(0, n * size * size * 3), n, height: size, width: size });
  let identical = true;
  for (const n of batches) {
    // Warm-up and the identity check: the setting changes scheduling only, never a value.
    const [a, b] = [await encoders.spin.encode(frames(n)), await encoders.sleep.encode(frames(n))];
    identical &&= Buffer.from(a.pooled.buffer, a.pooled.byteOffset, a.pooled.byteLength).equals(Buffer.from(b.pooled.buffer, b.pooled.byteOffset, b.pooled.byteLength));
  }
  const perBatch: Record<number, Record<Setting, Sample>> = {};
  for (const n of batches) perBatch[n] = emptySamples();
  for (let rep = 0; rep < reps; rep++) {
    for (const n of batches) {
      for (const setting of orderOf(rep)) {
        const { wall, cpu } = await timed(async () => {
          for (let i = 0; i < iters; i++) await encoders[setting].encode(frames(n));
        });
        perBatch[n]![setting].wall.push(wall);
        perBatch[n]![setting].cpu.push(cpu);
      }
      const s = perBatch[n]!;
      const fps = (setting: Setting): string => ((n * iters) / s[setting].wall[rep]!).toFixed(1);
      console.log(`encoder rep ${rep + 1}, batch ${n}: spin ${fps('spin')} frames/s, sleep ${fps('sleep')} frames/s; CPU-s spin ${s.spin.cpu[rep]!.toFixed(2)}, sleep ${s.sleep.cpu[rep]!.toFixed(2)}; load ${load()}`);
    }
    loads.push(load());
  }
  const byBatch = Object.fromEntries(batches.map((n) => {
    const s = perBatch[n]!;
    const fps = (setting: Setting): number => round((n * iters) / median(s[setting].wall), 1);
    return [n, { framesPerSecond: { spin: fps('spin'), sleep: fps('sleep') }, ...summary(s) }];
  }));
  return { identicalFeatures: identical, batches: byBatch };
}

async function evalPart(encoders: Record<Setting, Encoder>, loads: number[]) {
  const task = getTask(argv.task);
  const render: RenderSettings = { imageSize: size, camera: task.defaultCamera, ...observationLook(size) };
  const localEnvs = await Promise.all(Array.from({ length: envCount }, () => Env.make(task)));
  const vectorEnvs: Record<EvalMode, VectorEnv> = {
    local: new LocalVectorEnv(localEnvs),
    pipelined: await WorkerVectorEnv.create(task.name, envCount, workers),
  };
  const info = encoders.spin.info;
  const spec = { head: 'mlp' as const, featureDim: 3 * info.pooledDim, proprioDim: localEnvs[0]!.observationSpec.proprioDim, actionDim: localEnvs[0]!.actionSpec.dim };
  const policy = await createPolicy(spec, 1);
  const seeds = Array.from({ length: envCount }, (_, i) => 1000 + i);
  const evaluate = (mode: EvalMode, setting: Setting) =>
    timed(async () => JSON.stringify(await evaluateEpisodes({
      envs: vectorEnvs[mode], task, encoder: encoders[setting], policy, kind: 'pooled', precision: 'float16', seeds, horizon, render, groups: mode === 'pipelined' ? 2 : 1,
    })));
  const samples: Record<EvalMode, Record<Setting, Sample>> = { local: emptySamples(), pipelined: emptySamples() };
  let sameEpisodes = true;
  let reference: string | null = null;
  // Warm-up: renderer buffers, worker JITs, the encoder's first batch shapes.
  for (const mode of modes) reference = (await evaluate(mode, 'sleep')).value;
  for (let rep = 0; rep < reps; rep++) {
    for (const mode of modes) {
      for (const setting of orderOf(rep)) {
        const { wall, cpu, value } = await evaluate(mode, setting);
        samples[mode][setting].wall.push(wall);
        samples[mode][setting].cpu.push(cpu);
        sameEpisodes &&= value === reference;
      }
      const s = samples[mode];
      console.log(`eval rep ${rep + 1}, ${mode}: spin ${s.spin.wall[rep]!.toFixed(1)} s wall / ${s.spin.cpu[rep]!.toFixed(1)} CPU-s, sleep ${s.sleep.wall[rep]!.toFixed(1)} s / ${s.sleep.cpu[rep]!.toFixed(1)} CPU-s; load ${load()}`);
    }
    loads.push(load());
  }
  await (vectorEnvs.pipelined as WorkerVectorEnv).close();
  for (const env of localEnvs) env.close();
  await policy.dispose();
  return { task: task.name, envs: envCount, horizon, workers, sameEpisodes, modes: Object.fromEntries(modes.map((m) => [m, summary(samples[m])])) };
}

/** A cold `bench run` in a child process with the setting: wall, and the child's CPU seconds (from `time`). */
function coldRun(setting: Setting): { wall: number; cpu: number } {
  const dir = mkdtempSync(join(tmpdir(), 'ort-spinning-'));
  try {
    const runArgs = argv['run-args'].split(/\s+/).filter((a) => a.length > 0);
    const start = performance.now();
    const timesFile = join(dir, 'time.txt');
    execFileSync('/usr/bin/time', ['-f', '%U %S', '-o', timesFile, process.execPath, 'bin/bench.js', 'run', ...runArgs, '--out', join(dir, 'out'), '--cache-dir', join(dir, 'cache')], {
      env: { ...process.env, [SPINNING_ENV]: envValue(setting) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const wall = (performance.now() - start) / 1000;
    const [user, system] = execFileSync('cat', [timesFile], { encoding: 'utf8' }).trim().split(/\s+/).map(Number) as [number, number];
    return { wall, cpu: user + system };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runPart(loads: number[]) {
  const samples = emptySamples();
  for (let rep = 0; rep < runReps; rep++) {
    for (const setting of orderOf(rep)) {
      const { wall, cpu } = coldRun(setting);
      samples[setting].wall.push(wall);
      samples[setting].cpu.push(cpu);
      console.log(`run rep ${rep + 1}, ${setting}: ${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} CPU-s; load ${load()}`);
    }
    loads.push(load());
  }
  return { args: argv['run-args'], ...summary(samples) };
}

async function main(): Promise<void> {
  console.log(`${argv.encoder} at ${size} px; ${SETTINGS.join(' vs ')} (idle ONNX Runtime threads spin-wait / sleep); ${reps} reps; load average ${load()}`);
  const encoders: Record<Setting, Encoder> = { spin: await encoderWith('spin'), sleep: await encoderWith('sleep') };
  const loads = { encoder: [] as number[], eval: [] as number[], run: [] as number[] };
  const encoder = parts.includes('encoder') ? await encoderPart(encoders, loads.encoder) : null;
  const evaluation = parts.includes('eval') ? await evalPart(encoders, loads.eval) : null;
  await encoders.spin.dispose();
  await encoders.sleep.dispose();
  const run = parts.includes('run') ? runPart(loads.run) : null;
  const result = { encoder: argv.encoder, size, iters, encoderThroughput: encoder, evaluation, run, loadAverages: loads };
  console.log(JSON.stringify(result, null, 2));
  if ((encoder && !encoder.identicalFeatures) || (evaluation && !evaluation.sameEpisodes)) {
    console.error('spinning changed a number: features or episodes differ');
    process.exitCode = 1;
  }
  if (argv.out) writeFileAtomic(argv.out, `${JSON.stringify(result, null, 2)}\n`, 'benchmark results');
}

await main();
