/**
 * Evaluation throughput on worker threads against the main thread, interleaved in one process:
 *   rollouts: `--envs` envs of `--task` stepped with seeded random actions and rendered at `--size` every step
 *             (LocalVectorEnv vs WorkerVectorEnv with `--workers` threads), env-steps/s. The pools start and warm
 *             up first (`--warmup-steps` steps each, reported apart: thread start-up, WASM compilation and JIT
 *             tier-up happen there), then `--reps` steady-state rollouts of `--steps` steps each. Where the time
 *             goes: on the main thread, physics vs rendering per env-step; on the workers, each one's busy share
 *             of the rollout's wall time and the rest per step (messages, copies, waiting for the other worker and
 *             for this thread); and the parallel ceiling: the same rollouts on `--workers` independent threads (no
 *             message per step) against one thread, what this machine's cores allow any transport.
 *   cell eval: evaluateEpisodes with `--encoder` and an untrained policy over the same episodes, wall time, three
 *             ways: on the main thread (one group: today's serial loop), on the workers in one group (the encoder
 *             and the simulator take turns) and on the workers pipelined (two groups: one group's frames are
 *             encoded while the other's envs step), with the encoder's share of each; the episodes' numbers are
 *             checked equal (`--horizon 0` skips it).
 * The default `--steps 500` is 5,000 env-steps, ~1.5 s of work on one thread: long against the milliseconds of a
 * scheduling hiccup and the start-up, short enough to alternate the modes several times. On a shared machine the
 * ratios move with other load (the load average is printed beside each rep); the ceiling says what was possible.
 *
 *   npx tsx benchmarks/vector_env.ts [--task cheetah-run] [--envs 10] [--size 96] [--workers 2] [--steps 500]
 *     [--warmup-steps 200] [--encoder vit-tiny-random] [--horizon 50] [--reps 3] [--out FILE.json]
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Encoder } from '../src/encoders/encoder.js';
import { createEncoder, parseEncoderSpec } from '../src/encoders/registry.js';
import '../src/envs/index.js';
import { Env } from '../src/envs/env.js';
import { getTask } from '../src/envs/registry.js';
import { LocalVectorEnv, type VectorEnv } from '../src/envs/vector_env.js';
import { WorkerVectorEnv } from '../src/envs/vector_env_workers.js';
import { evaluateEpisodes, splitEvenly } from '../src/eval/rollout.js';
import { createPolicy } from '../src/policies/index.js';
import { frameOptions, observationLook, type RenderSettings } from '../src/protocol/render_settings.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { Rng } from '../src/util/rng.js';
import { workerEntryCode } from '../src/util/worker_code.js';
import type { RolloutThreadInit } from './lib/rollout_thread.js';

const { values: args } = parseArgs({
  options: {
    task: { type: 'string', default: 'cheetah-run' },
    envs: { type: 'string', default: '10' },
    size: { type: 'string', default: '96' },
    workers: { type: 'string', default: '2' },
    steps: { type: 'string', default: '500' },
    'warmup-steps': { type: 'string', default: '200' },
    encoder: { type: 'string', default: 'vit-tiny-random' },
    horizon: { type: 'string', default: '50' },
    reps: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
const int = (name: keyof typeof args, min = 1): number => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got ${args[name]}`);
  return value;
};
const [envCount, size, workers, steps, reps] = (['envs', 'size', 'workers', 'steps', 'reps'] as const).map((k) => int(k)) as number[];
const warmupSteps = int('warmup-steps');
const horizon = int('horizon', 0);
const task = getTask(args.task!);
for (const [name, value] of [['steps', steps!], ['warmup-steps', warmupSteps]] as const) {
  if (value > task.horizon) throw new Error(`--${name} ${value} is beyond ${task.name}'s horizon of ${task.horizon} steps`);
}
const render: RenderSettings = { imageSize: size!, camera: task.defaultCamera, ...observationLook(size!) };
const frame = frameOptions(render);
const A = task.createTask().actionSpec.dim;
const all = [...Array(envCount!).keys()];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
const envStepsPerSecond = (stepCount: number, seconds: number): number => round((envCount! * stepCount) / seconds, 0);

/**
 * CPU seconds of this thread so far, from Linux's per-thread accounting (utime + stime in clock ticks of 1/100 s,
 * the USER_HZ of Linux's ABI); null elsewhere. With process.cpuUsage() it splits a rollout's CPU into this thread's
 * and the others' (the workers'), a split that other load does not change the way it changes wall times.
 */
const THREAD_STAT = '/proc/thread-self/stat';
const hasThreadStat = existsSync(THREAD_STAT);
function threadCpuSeconds(): number | null {
  if (!hasThreadStat) return null;
  const fields = readFileSync(THREAD_STAT, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU milliseconds per env-step during `work`: this thread's and every other thread's of the process (null where unknown). */
async function cpuPerEnvStep(stepCount: number, work: () => Promise<number>): Promise<{ seconds: number; mainMs: number | null; othersMs: number | null }> {
  const process0 = process.cpuUsage();
  const thread0 = threadCpuSeconds();
  const seconds = await work();
  const used = process.cpuUsage(process0);
  const thread1 = threadCpuSeconds();
  const total = (used.user + used.system) / 1e6;
  const mainSeconds = thread0 === null || thread1 === null ? null : thread1 - thread0;
  const perStep = (s: number | null): number | null => (s === null ? null : round((s * 1000) / (envCount! * stepCount), 4));
  return { seconds, mainMs: perStep(mainSeconds), othersMs: perStep(mainSeconds === null ? null : Math.max(0, total - mainSeconds)) };
}

/**
 * `stepCount` steps of every env, a frame rendered after each; seconds (reset excluded). Env i's actions come from
 * its own seeded stream, so every env's trajectory is the same however the envs are grouped. The envs run in
 * `groups` groups (contiguous, as evaluation splits a wave) that step independently: one call in flight per group,
 * so with two groups a worker has the other group's step to do while this thread handles one group's reply.
 */
async function rollouts(envs: VectorEnv, stepCount: number, groups = 1): Promise<number> {
  const streams = all.map((i) => new Rng(1 + i));
  await envs.reset(all, all.map((i) => 100 + i), frame);
  const start = performance.now();
  await Promise.all(
    splitEvenly(all, groups).map(async (indices) => {
      for (let t = 0; t < stepCount; t++) {
        const actions = new Float32Array(indices.length * A);
        indices.forEach((i, k) => {
          for (let a = 0; a < A; a++) actions[k * A + a] = streams[i]!.uniform(-1, 1);
        });
        await envs.step(indices, actions, frame);
      }
    }),
  );
  return (performance.now() - start) / 1000;
}

/** The same rollouts on this thread with physics and rendering timed apart: milliseconds per env-step of each. */
function mainThreadSplit(local: LocalVectorEnv, envs: readonly Env[]): { physicsMs: number; renderMs: number } {
  const rng = new Rng(1);
  local.resetNow(all, all.map((i) => 100 + i), frame);
  let physics = 0;
  let rendering = 0;
  for (let t = 0; t < steps!; t++) {
    const actions = Float32Array.from({ length: envCount! * A }, () => rng.uniform(-1, 1));
    const start = performance.now();
    local.stepNow(all, actions, null);
    const stepped = performance.now();
    for (const env of envs) env.render(frame);
    rendering += performance.now() - stepped;
    physics += stepped - start;
  }
  const perEnvStep = envCount! * steps!;
  return { physicsMs: round(physics / perEnvStep, 4), renderMs: round(rendering / perEnvStep, 4) };
}

/** Threads that each roll out their own envs without a message per step (lib/rollout_thread.ts). */
class IndependentThreads {
  private constructor(private readonly threads: Worker[]) {}

  /** One thread per entry of `counts`, with that many envs. */
  static async start(counts: readonly number[]): Promise<IndependentThreads> {
    const threads = counts.map(
      (count, w) => new Worker(workerEntryCode(import.meta.url, 'lib/rollout_thread'), { eval: true, workerData: { task: task.name, count, frame, seed: 100 + 17 * w } satisfies RolloutThreadInit }),
    );
    await Promise.all(threads.map((t) => IndependentThreads.reply(t)));
    return new IndependentThreads(threads);
  }

  /** Seconds until every thread has done `stepCount` steps, all started at once. */
  async run(stepCount: number): Promise<number> {
    const start = performance.now();
    await Promise.all(
      this.threads.map((t) => {
        const done = IndependentThreads.reply(t);
        t.postMessage(stepCount);
        return done;
      }),
    );
    return (performance.now() - start) / 1000;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => new Promise((done) => { t.once('exit', done); t.postMessage('close'); })));
  }

  private static reply(thread: Worker): Promise<unknown> {
    return new Promise((resolve, reject) => {
      // Each call removes what it added, so repeated runs leave no listeners behind.
      const onMessage = (message: unknown): void => {
        thread.off('error', onError);
        resolve(message);
      };
      const onError = (error: Error): void => {
        thread.off('message', onMessage);
        reject(error);
      };
      thread.once('message', onMessage);
      thread.once('error', onError);
    });
  }
}

/** `encoder` with the wall time of its encode calls added up in `seconds`. */
function timedEncoder(encoder: Encoder): { encoder: Encoder; seconds: () => number } {
  let total = 0;
  return {
    encoder: {
      info: encoder.info,
      encode: async (frames, options) => {
        const start = performance.now();
        try {
          return await encoder.encode(frames, options);
        } finally {
          total += (performance.now() - start) / 1000;
        }
      },
      dispose: () => encoder.dispose(),
    },
    seconds: () => total,
  };
}

async function main(): Promise<void> {
  const W = Math.min(workers!, envCount!);
  console.log(
    `${task.name}, ${envCount} envs at ${size} px, ${W} workers; rollouts of ${steps} steps after ${warmupSteps} warm-up steps; ` +
      `eval with ${args.encoder}, horizon ${horizon}; load average ${loadavg()[0]!.toFixed(1)}`,
  );
  const localEnvs = await Promise.all(Array.from({ length: envCount! }, () => Env.make(task)));
  const local = new LocalVectorEnv(localEnvs);
  const created = performance.now();
  const pool = await WorkerVectorEnv.create(task.name, envCount!, W);
  const poolStartSeconds = round((performance.now() - created) / 1000);
  // The pool's split of the envs (env i on worker i mod W) for the independent threads of the ceiling.
  const shares = Array.from({ length: W }, (_, w) => Math.ceil((envCount! - w) / W));
  const oneThread = await IndependentThreads.start([envCount!]);
  const threads = await IndependentThreads.start(shares);

  // Warm-up, reported apart: the first steps of each pool (JIT tier-up of the renderer, WASM tier-up).
  const warmup = {
    local: envStepsPerSecond(warmupSteps, await rollouts(local, warmupSteps)),
    workers: envStepsPerSecond(warmupSteps, await rollouts(pool, warmupSteps, 2)),
    oneThread: envStepsPerSecond(warmupSteps, await oneThread.run(warmupSteps)),
    threads: envStepsPerSecond(warmupSteps, await threads.run(warmupSteps)),
  };
  console.log(
    `start-up: worker pool ${poolStartSeconds} s; warm-up env-steps/s: main thread ${warmup.local}, workers ${warmup.workers}, ` +
      `independent threads 1: ${warmup.oneThread}, ${W}: ${warmup.threads}`,
  );
  const split = mainThreadSplit(local, localEnvs);
  console.log(`main thread per env-step: physics ${split.physicsMs} ms, rendering ${split.renderMs} ms`);

  const times = { local: [] as number[], workers: [] as number[], pipelined: [] as number[], oneThread: [] as number[], threads: [] as number[] };
  type Mode = keyof typeof times;
  type PoolMode = 'workers' | 'pipelined';
  type CpuSplit = { mainMs: number | null; othersMs: number | null };
  const cpu: Record<Mode, CpuSplit[]> = { local: [], workers: [], pipelined: [], oneThread: [], threads: [] };
  const busyShares: Record<PoolMode, number[][]> = { workers: [], pipelined: [] };
  const overheadMs: Record<PoolMode, number[]> = { workers: [], pipelined: [] };
  const onPool = async (mode: PoolMode): Promise<number> => {
    const before = pool.busySeconds();
    const { seconds, ...split } = await cpuPerEnvStep(steps!, () => rollouts(pool, steps!, mode === 'pipelined' ? 2 : 1));
    cpu[mode].push(split);
    const busy = pool.busySeconds().map((b, w) => b - before[w]!);
    busyShares[mode].push(busy.map((b) => round(b / seconds)));
    // What the busiest worker's own work does not explain: messages, copies, waiting for this thread or the other worker.
    overheadMs[mode].push(round(((seconds - Math.max(...busy)) * 1000) / steps!, 3));
    return seconds;
  };
  const run: Record<Mode, () => Promise<number>> = {
    local: async () => {
      const { seconds, ...split } = await cpuPerEnvStep(steps!, () => rollouts(local, steps!));
      cpu.local.push(split);
      return seconds;
    },
    workers: () => onPool('workers'),
    pipelined: () => onPool('pipelined'),
    oneThread: async () => {
      const { seconds, ...split } = await cpuPerEnvStep(steps!, () => oneThread.run(steps!));
      cpu.oneThread.push(split);
      return seconds;
    },
    threads: async () => {
      const { seconds, ...split } = await cpuPerEnvStep(steps!, () => threads.run(steps!));
      cpu.threads.push(split);
      return seconds;
    },
  };
  const modes = Object.keys(run) as Mode[];
  const rolloutLoads: number[] = [];
  const speedup = (mode: Mode, rep: number): string => (times.local[rep]! / times[mode][rep]!).toFixed(2);
  const poolLine = (mode: PoolMode, rep: number): string =>
    `${speedup(mode, rep)}x (${envStepsPerSecond(steps!, times[mode][rep]!)} env-steps/s; busy ${busyShares[mode][rep]!.join(' / ')} of the wall, ` +
    `${overheadMs[mode][rep]} ms per step besides the busiest one's work; CPU ms per env-step here ${cpu[mode][rep]!.mainMs}, other threads ${cpu[mode][rep]!.othersMs})`;
  for (let rep = 0; rep < reps!; rep++) {
    // Rotating the order spreads a change of load over every mode.
    for (const mode of modes.map((_, i) => modes[(i + rep) % modes.length]!)) times[mode].push(await run[mode]());
    rolloutLoads.push(round(loadavg()[0]!, 1));
    console.log(
      `rep ${rep + 1}: main thread ${envStepsPerSecond(steps!, times.local[rep]!)} env-steps/s (CPU ms per env-step ${cpu.local[rep]!.mainMs}, ` +
        `other threads ${cpu.local[rep]!.othersMs}); workers in one group ${poolLine('workers', rep)}; in two groups ${poolLine('pipelined', rep)}; ` +
        `ceiling (independent threads) ${(times.oneThread[rep]! / times.threads[rep]!).toFixed(2)}x (CPU ms per env-step of the other threads: ` +
        `one ${cpu.oneThread[rep]!.othersMs}, ${W}: ${cpu.threads[rep]!.othersMs}); load average ${rolloutLoads[rep]}`,
    );
  }
  await Promise.all([oneThread.close(), threads.close()]);
  const spread = (slow: number[], fast: number[]): number[] => slow.map((l, i) => round(l / fast[i]!));
  const rollout = {
    warmupEnvStepsPerSecond: warmup,
    poolStartSeconds,
    mainThreadPerEnvStepMs: split,
    envStepsPerSecond: Object.fromEntries(modes.map((m) => [m, envStepsPerSecond(steps!, median(times[m]))])),
    speedup: round(median(times.local) / median(times.workers)),
    speedupSpread: spread(times.local, times.workers),
    pipelinedSpeedup: round(median(times.local) / median(times.pipelined)),
    pipelinedSpeedupSpread: spread(times.local, times.pipelined),
    workerBusyShares: busyShares,
    overheadMsPerStep: overheadMs,
    cpuMsPerEnvStep: cpu,
    ceiling: round(median(times.oneThread) / median(times.threads)),
    ceilingSpread: spread(times.oneThread, times.threads),
    loadAverages: rolloutLoads,
  };
  console.log(
    `rollouts, median speed-up on ${W} workers: one group ${rollout.speedup}x (spread ${rollout.speedupSpread.join(', ')}), ` +
      `two groups ${rollout.pipelinedSpeedup}x (spread ${rollout.pipelinedSpeedupSpread.join(', ')}); ` +
      `ceiling ${rollout.ceiling}x (spread ${rollout.ceilingSpread.join(', ')}); load averages ${rolloutLoads.join(', ')}`,
  );

  const evaluation = horizon > 0 ? await evaluations(local, pool, localEnvs[0]!) : null;
  await pool.close();
  for (const env of localEnvs) env.close();
  const result = { task: task.name, envs: envCount, size, workers: W, steps, warmupSteps, rollout, evaluation };
  if (evaluation && !(evaluation.sameEpisodes && evaluation.encoderOverlap.sameFeatures)) process.exitCode = 1;
  if (args.out) writeFileAtomic(args.out, `${JSON.stringify(result, null, 2)}\n`, 'benchmark results');
}

/**
 * The encoder alone on the frames of one evaluation step split in two halves (as two pipelined groups would send
 * them): the halves one after the other (how groups take turns today) against both calls in flight at once
 * (ONNX Runtime runs them concurrently). Seconds per step each way, reps times alternated, and whether the features
 * are identical: what letting the groups' encoder calls overlap could buy on this machine.
 */
async function encoderOverlap(encoder: Encoder, pool: VectorEnv): Promise<{ sequentialSeconds: number[]; overlappedSeconds: number[]; sameFeatures: boolean }> {
  const { frames } = await pool.reset(all, all.map((i) => 100 + i), frame);
  const bytes = size! * size! * 3;
  const [first, second] = splitEvenly(all, 2).map((half) => ({ data: frames.subarray(half[0]! * bytes, (half.at(-1)! + 1) * bytes), n: half.length, height: size!, width: size! }));
  const sequential = async (): Promise<Float32Array[]> => [(await encoder.encode(first!)).pooled, (await encoder.encode(second!)).pooled];
  const overlapped = async (): Promise<Float32Array[]> => (await Promise.all([encoder.encode(first!), encoder.encode(second!)])).map((e) => e.pooled);
  const reference = await sequential();
  const same = (features: Float32Array[]): boolean => features.every((f, h) => f.length === reference[h]!.length && f.every((v, i) => Object.is(v, reference[h]![i])));
  let sameFeatures = same(await overlapped());
  const timings = { sequentialSeconds: [] as number[], overlappedSeconds: [] as number[] };
  const iterations = 5;
  for (let rep = 0; rep < reps!; rep++) {
    for (const [name, way] of rep % 2 === 0 ? ([['sequentialSeconds', sequential], ['overlappedSeconds', overlapped]] as const) : ([['overlappedSeconds', overlapped], ['sequentialSeconds', sequential]] as const)) {
      const start = performance.now();
      for (let i = 0; i < iterations; i++) sameFeatures &&= same(await way());
      timings[name].push(round((performance.now() - start) / 1000 / iterations, 4));
    }
  }
  return { ...timings, sameFeatures };
}

/** One cell's evaluation on the main thread, on the workers in one group and pipelined, `reps` times each. */
async function evaluations(local: VectorEnv, pool: VectorEnv, env: Env) {
  const timed = timedEncoder(await createEncoder(parseEncoderSpec(args.encoder!), {}));
  const encoder = timed.encoder;
  const spec = { head: 'mlp' as const, featureDim: 3 * encoder.info.pooledDim, proprioDim: env.observationSpec.proprioDim, actionDim: env.actionSpec.dim };
  const policy = await createPolicy(spec, 1);
  const seeds = Array.from({ length: envCount! }, (_, i) => 1000 + i);
  const modes = { local: { envs: local, groups: 1 }, workers: { envs: pool, groups: 1 }, pipelined: { envs: pool, groups: 2 } };
  type EvalMode = keyof typeof modes;
  const evaluate = async (mode: EvalMode): Promise<{ seconds: number; encodeSeconds: number; outcomes: string }> => {
    const encodedBefore = timed.seconds();
    const start = performance.now();
    const outcomes = await evaluateEpisodes({ envs: modes[mode].envs, task, encoder, policy, kind: 'pooled', precision: 'float16', seeds, horizon, render, groups: modes[mode].groups });
    return { seconds: (performance.now() - start) / 1000, encodeSeconds: timed.seconds() - encodedBefore, outcomes: JSON.stringify(outcomes) };
  };
  const seconds: Record<EvalMode, number[]> = { local: [], workers: [], pipelined: [] };
  const encoderShare: Record<EvalMode, number[]> = { local: [], workers: [], pipelined: [] };
  const loads: number[] = [];
  let reference: string | null = null;
  let sameEpisodes = true;
  for (const mode of Object.keys(modes) as EvalMode[]) reference ??= (await evaluate(mode)).outcomes; // warm-up
  for (let rep = 0; rep < reps!; rep++) {
    const order = (Object.keys(modes) as EvalMode[]).map((_, i, all) => all[(i + rep) % all.length]!);
    for (const mode of order) {
      const run = await evaluate(mode);
      seconds[mode].push(run.seconds);
      encoderShare[mode].push(round(run.encodeSeconds / run.seconds));
      sameEpisodes &&= run.outcomes === reference;
    }
    loads.push(round(loadavg()[0]!, 1));
    const r = (mode: EvalMode): string => (seconds[mode][rep]! / seconds.local[rep]!).toFixed(2);
    console.log(
      `rep ${rep + 1}: cell eval wall vs the main thread: workers ${r('workers')}x, pipelined ${r('pipelined')}x ` +
        `(${seconds.local[rep]!.toFixed(1)} s / ${seconds.workers[rep]!.toFixed(1)} s / ${seconds.pipelined[rep]!.toFixed(1)} s; ` +
        `encoder calls ${encoderShare.local[rep]} / ${encoderShare.workers[rep]} / ${encoderShare.pipelined[rep]} of it; load average ${loads[rep]})`,
    );
  }
  const overlap = await encoderOverlap(encoder, pool);
  console.log(
    `encoder alone, one step's ${envCount} frames in two halves: one after the other ${overlap.sequentialSeconds.join(' / ')} s, ` +
      `both in flight ${overlap.overlappedSeconds.join(' / ')} s (median ratio ${round(median(overlap.overlappedSeconds) / median(overlap.sequentialSeconds))}x); ` +
      `features identical: ${overlap.sameFeatures}`,
  );
  await policy.dispose();
  await encoder.dispose();
  const ratio = (mode: EvalMode): number => round(median(seconds[mode]) / median(seconds.local));
  const spread = (mode: EvalMode): number[] => seconds.local.map((l, i) => round(seconds[mode][i]! / l));
  const summary = {
    seconds,
    encoderShare,
    workersWallRatio: ratio('workers'),
    workersWallRatioSpread: spread('workers'),
    pipelinedWallRatio: ratio('pipelined'),
    pipelinedWallRatioSpread: spread('pipelined'),
    sameEpisodes,
    encoderOverlap: overlap,
    loadAverages: loads,
  };
  console.log(
    `cell eval, median wall vs the main thread: workers ${summary.workersWallRatio}x (spread ${summary.workersWallRatioSpread.join(', ')}), ` +
      `pipelined ${summary.pipelinedWallRatio}x (spread ${summary.pipelinedWallRatioSpread.join(', ')}); load averages ${loads.join(', ')}; same episodes: ${sameEpisodes}`,
  );
  return summary;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
