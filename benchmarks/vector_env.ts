/**
 * Evaluation throughput on worker threads against the main thread, interleaved in one process:
 *   rollouts: `--envs` envs of `--task` stepped with seeded random actions and rendered at `--size` every step
 *             (LocalVectorEnv vs WorkerVectorEnv with `--workers` threads), steps/s;
 *   cell eval: evaluateEpisodes with `--encoder` and an untrained policy over the same episodes, wall time, three
 *             ways: on the main thread (one group: today's serial loop), on the workers in one group (the encoder
 *             and the simulator take turns) and on the workers pipelined (two groups: one group's frames are
 *             encoded while the other's envs step); the episodes' numbers are checked equal.
 * On a shared machine the ratios move with other load; repeat and read the spread.
 *
 *   npx tsx benchmarks/vector_env.ts [--task cheetah-run] [--envs 10] [--size 96] [--workers 2] [--steps 50]
 *                                    [--encoder vit-tiny-random] [--horizon 50] [--reps 3] [--out FILE.json]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createEncoder, parseEncoderSpec } from '../src/encoders/registry.js';
import '../src/envs/index.js';
import { Env } from '../src/envs/env.js';
import { getTask } from '../src/envs/registry.js';
import { LocalVectorEnv, type VectorEnv } from '../src/envs/vector_env.js';
import { WorkerVectorEnv } from '../src/envs/vector_env_workers.js';
import { evaluateEpisodes } from '../src/eval/rollout.js';
import { createPolicy } from '../src/policies/index.js';
import { frameOptions, observationLook, type RenderSettings } from '../src/protocol/render_settings.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { Rng } from '../src/util/rng.js';

const { values: args } = parseArgs({
  options: {
    task: { type: 'string', default: 'cheetah-run' },
    envs: { type: 'string', default: '10' },
    size: { type: 'string', default: '96' },
    workers: { type: 'string', default: '2' },
    steps: { type: 'string', default: '50' },
    encoder: { type: 'string', default: 'vit-tiny-random' },
    horizon: { type: 'string', default: '50' },
    reps: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
const int = (name: keyof typeof args): number => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got ${args[name]}`);
  return value;
};
const [envCount, size, workers, steps, horizon, reps] = (['envs', 'size', 'workers', 'steps', 'horizon', 'reps'] as const).map(int) as number[];
const task = getTask(args.task!);
const render: RenderSettings = { imageSize: size!, camera: task.defaultCamera, ...observationLook(size!) };
const frame = frameOptions(render);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `steps` steps of every env with seeded random actions, a frame rendered after each; seconds. */
async function rollouts(envs: VectorEnv): Promise<number> {
  const rng = new Rng(1);
  const all = [...Array(envCount!).keys()];
  const start = performance.now();
  await envs.reset(all, all.map((i) => 100 + i), frame);
  const A = task.createTask().actionSpec.dim;
  for (let t = 0; t < steps!; t++) {
    const actions = Float32Array.from({ length: envCount! * A }, () => rng.uniform(-1, 1));
    await envs.step(all, actions, frame);
  }
  return (performance.now() - start) / 1000;
}

async function main(): Promise<void> {
  const localEnvs = await Promise.all(Array.from({ length: envCount! }, () => Env.make(task)));
  const local = new LocalVectorEnv(localEnvs);
  const pool = await WorkerVectorEnv.create(task.name, envCount!, workers!);
  const encoder = await createEncoder(parseEncoderSpec(args.encoder!), {});
  const spec = { head: 'mlp' as const, featureDim: 3 * encoder.info.pooledDim, proprioDim: localEnvs[0]!.observationSpec.proprioDim, actionDim: localEnvs[0]!.actionSpec.dim };
  const policy = await createPolicy(spec, 1);
  const seeds = Array.from({ length: envCount! }, (_, i) => 1000 + i);
  const evaluate = async (envs: VectorEnv, groups: number): Promise<{ seconds: number; outcomes: unknown }> => {
    const start = performance.now();
    const outcomes = await evaluateEpisodes({ envs, task, encoder, policy, kind: 'pooled', precision: 'float16', seeds, horizon: horizon!, render, groups });
    return { seconds: (performance.now() - start) / 1000, outcomes };
  };
  const evalModes = { local: { envs: local, groups: 1 }, workers: { envs: pool as VectorEnv, groups: 1 }, pipelined: { envs: pool as VectorEnv, groups: 2 } };
  type EvalMode = keyof typeof evalModes;
  console.log(`${task.name}, ${envCount} envs at ${size} px, ${workers} workers; rollouts of ${steps} steps; eval with ${args.encoder}, horizon ${horizon}; load average ${loadavg()[0]!.toFixed(1)}`);
  await rollouts(local); // warm-up: renderer buffers, worker JITs
  await rollouts(pool);
  const times = { rolloutsLocal: [] as number[], rolloutsWorkers: [] as number[], evalLocal: [] as number[], evalWorkers: [] as number[], evalPipelined: [] as number[] };
  const evalTimes: Record<EvalMode, number[]> = { local: times.evalLocal, workers: times.evalWorkers, pipelined: times.evalPipelined };
  const loads: number[] = [];
  let sameNumbers = true;
  for (let rep = 0; rep < reps!; rep++) {
    const order = rep % 2 === 0 ? ['local', 'workers'] : ['workers', 'local'];
    for (const which of order) (which === 'local' ? times.rolloutsLocal : times.rolloutsWorkers).push(await rollouts(which === 'local' ? local : pool));
    // Rotating the order spreads a change of load over every mode.
    const modes = (['local', 'workers', 'pipelined'] as const).map((_, i, all) => all[(i + rep) % all.length]!);
    const results: Partial<Record<EvalMode, unknown>> = {};
    for (const mode of modes) {
      const { seconds, outcomes } = await evaluate(evalModes[mode].envs, evalModes[mode].groups);
      evalTimes[mode].push(seconds);
      results[mode] = JSON.stringify(outcomes);
    }
    sameNumbers &&= results.local === results.workers && results.local === results.pipelined;
    loads.push(Number(loadavg()[0]!.toFixed(1)));
    const r = (a: number[], b: number[]): string => (a[rep]! / b[rep]!).toFixed(2);
    console.log(
      `rep ${rep + 1}: rollouts ${r(times.rolloutsLocal, times.rolloutsWorkers)}x faster on workers; cell eval wall vs the main thread: ` +
        `workers ${r(times.evalWorkers, times.evalLocal)}x, pipelined ${r(times.evalPipelined, times.evalLocal)}x ` +
        `(${times.evalLocal[rep]!.toFixed(1)} s / ${times.evalWorkers[rep]!.toFixed(1)} s / ${times.evalPipelined[rep]!.toFixed(1)} s; load average ${loads[rep]})`,
    );
  }
  await pool.close();
  for (const env of localEnvs) env.close();
  policy.dispose();
  await encoder.dispose();
  const stepsPerSecond = (seconds: number): number => Number(((envCount! * steps!) / seconds).toFixed(1));
  const result = {
    task: task.name,
    envs: envCount,
    size,
    workers,
    rolloutStepsPerSecond: { local: stepsPerSecond(median(times.rolloutsLocal)), workers: stepsPerSecond(median(times.rolloutsWorkers)) },
    rolloutSpeedup: Number((median(times.rolloutsLocal) / median(times.rolloutsWorkers)).toFixed(2)),
    rolloutSpeedupSpread: times.rolloutsLocal.map((l, i) => Number((l / times.rolloutsWorkers[i]!).toFixed(2))),
    evalSeconds: { local: times.evalLocal, workers: times.evalWorkers, pipelined: times.evalPipelined },
    evalWallRatio: Number((median(times.evalWorkers) / median(times.evalLocal)).toFixed(2)),
    evalWallRatioSpread: times.evalLocal.map((l, i) => Number((times.evalWorkers[i]! / l).toFixed(2))),
    pipelinedEvalWallRatio: Number((median(times.evalPipelined) / median(times.evalLocal)).toFixed(2)),
    pipelinedEvalWallRatioSpread: times.evalLocal.map((l, i) => Number((times.evalPipelined[i]! / l).toFixed(2))),
    sameEpisodes: sameNumbers,
    loadAverages: loads,
  };
  console.log(
    `median: rollouts ${result.rolloutSpeedup}x (spread ${result.rolloutSpeedupSpread.join(', ')}); cell eval wall vs the main thread: workers ` +
      `${result.evalWallRatio}x (spread ${result.evalWallRatioSpread.join(', ')}), pipelined ${result.pipelinedEvalWallRatio}x ` +
      `(spread ${result.pipelinedEvalWallRatioSpread.join(', ')}); load averages ${loads.join(', ')}; same episodes: ${sameNumbers}`,
  );
  if (!sameNumbers) process.exitCode = 1;
  if (args.out) writeFileAtomic(args.out, `${JSON.stringify(result, null, 2)}\n`, 'benchmark results');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
