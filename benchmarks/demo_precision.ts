/**
 * How precisely a policy must follow a task's demos: the recorded expert actions replayed open loop, (a) with
 * Gaussian noise of each std added to every action component (clipped to the action box), (b) in the NEXT demo's
 * episode (another layout or target: what a policy scores that ignores the observation and plays a memorised demo).
 * A task whose demos fail under noise far below the behaviour-cloning policy's training error, or that no demo
 * solves in another episode, cannot beat its shuffled-action control by imitation with few demos.
 *
 *   npx tsx benchmarks/demo_precision.ts --task pen [--episodes 10] [--noise 0,0.05,0.1,0.2] [--cache-dir DIR]
 *
 * The demos are the cached `bench demos` set (generated and cached when missing); noise draws come from seed 1.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { integerOption, listOption } from '../src/cli/option_checks.js';
import { loadOrGenerateDemos } from '../src/data/demos.js';
import { Env } from '../src/envs/env.js';
import type { DemoEpisode } from '../src/envs/expert_rollout.js';
import { episodeScore } from '../src/envs/families.js';
import { getTask } from '../src/envs/index.js';
import { DEMO_BASE_SEED } from '../src/protocol/seeds.js';
import { Rng } from '../src/util/rng.js';

const args = await yargs(hideBin(process.argv))
  .strict()
  .option('task', { type: 'string', demandOption: true, describe: 'task name' })
  .option('episodes', { default: 10, coerce: integerOption('episodes', 2, 10_000), describe: 'demo episodes to replay' })
  .option('noise', { default: '0,0.05,0.1,0.2', coerce: listOption('noise'), describe: 'action noise stds, comma-separated' })
  .option('cache-dir', { type: 'string', describe: 'demo cache root (default: $BENCH_CACHE_DIR or .cache/bench)' })
  .parseAsync();

const noiseStds = args.noise.map((text) => {
  const std = Number(text);
  if (!Number.isFinite(std) || std < 0) throw new Error(`--noise: expected non-negative numbers, got '${text}'`);
  return std;
});
const task = getTask(args.task);
const demos = await loadOrGenerateDemos(task, { seed: DEMO_BASE_SEED, episodes: args.episodes, ...(args['cache-dir'] ? { cacheDir: args['cache-dir'] } : {}) });
const env = await Env.make(task);
const A = env.actionSpec.dim;

/** Plays `demo`'s actions (its last action held past its end) from the reset of `seed`; returns the episode score. */
function replay(seed: number, demo: DemoEpisode, noiseStd: number, rng: Rng): number {
  env.reset({ seed });
  const action = new Float64Array(A);
  let episodeReturn = 0;
  let successSteps = 0;
  let successAtLastStep = false;
  for (let t = 0; t < env.horizon; t++) {
    const row = Math.min(t, demo.length - 1) * A;
    for (let i = 0; i < A; i++) {
      const noisy = demo.actions[row + i]! + noiseStd * rng.normal();
      action[i] = Math.min(env.actionSpec.high[i]!, Math.max(env.actionSpec.low[i]!, noisy));
    }
    const step = env.step(action);
    episodeReturn += step.reward;
    successAtLastStep = step.info.success;
    if (step.info.success) successSteps++;
    if (step.terminated || step.truncated) break;
  }
  return episodeScore(task, { episodeReturn, successSteps, successAtLastStep });
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const episodes = demos.episodes;
try {
  for (const std of noiseStds) {
    const rng = new Rng(1);
    const scores = episodes.map((demo) => replay(demo.seed, demo, std, rng));
    console.log(`${task.name}: own episode, action noise std ${std}: mean score ${mean(scores).toFixed(1)} over ${scores.length} demos`);
  }
  const rng = new Rng(1);
  const swapped = episodes.map((demo, i) => replay(episodes[(i + 1) % episodes.length]!.seed, demo, 0, rng));
  console.log(`${task.name}: the next demo's episode, no noise: mean score ${mean(swapped).toFixed(1)} over ${swapped.length} demos`);
} finally {
  env.close();
}
