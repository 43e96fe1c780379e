/**
 * MuJoCo's WASM heap over the work of a run, by kind of operation and over a run-shaped loop of every task in one
 * process (issue 12: a 12-task quick run exhausted it, "Could not allocate memory", near its end).
 *
 *   npx tsx benchmarks/wasm_heap.ts [--part ops|run|both] [--reps 3] [--rounds 2] [--tasks a,b] [--keep-envs]
 *
 * ops: per task and kind of operation (compile and close an env, an episode of steps, renders, an expert rollout,
 *   resets into factor variants that rebuild the model, replayed states rendered), the operation `reps` times after
 *   one unmeasured warm-up, with what each repetition leaves alive (native objects counted by benchmarks/lib/
 *   native_census.ts: MjModel / MjData and their heap bytes) and the heap's growth.
 * run: task after task (`rounds` times over the list), what a quick run does with the simulator: the replay env and
 *   the task's evaluation envs held by RunResources, the probe's and the demos' expert rollouts, recorded states
 *   replayed and rendered, evaluation steps rendered, the evaluation envs reset into a sweep's factor variants; then
 *   the task released as the runner does after its last cell (`--keep-envs`: kept to the end, the runner's behaviour
 *   before the fix). Prints the heap and the live objects after each task; the heap after the first and the last
 *   round show whether it is bounded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { Env } from '../src/envs/env.js';
import { ExpertRollout, restoreEpisodeState, type StateFrame } from '../src/envs/expert_rollout.js';
import { trainingSet } from '../src/envs/factors/variant_sets.js';
import type { SceneVariant } from '../src/envs/factors/variant.js';
import { getTask, listTasks } from '../src/envs/index.js';
import { loadMujoco, wasmHeapBytes, type Mujoco } from '../src/envs/mujoco.js';
import type { TaskDefinition } from '../src/envs/task.js';
import { LocalVectorEnv } from '../src/envs/vector_env.js';
import { getProfile, taskProtocol } from '../src/protocol/profiles.js';
import { frameOptions } from '../src/protocol/render_settings.js';
import { defaultRunDependencies } from '../src/run/default_deps.js';
import { RunResources } from '../src/run/resources.js';
import { NativeCensus, type CensusCount } from './lib/native_census.js';

const args = await yargs(hideBin(process.argv))
  .option('part', { choices: ['ops', 'run', 'both'] as const, default: 'both' as const })
  .option('reps', { type: 'number', default: 3, describe: 'measured repetitions of each operation (ops)' })
  .option('rounds', { type: 'number', default: 2, describe: 'passes over the task list (run)' })
  .option('tasks', { type: 'string', describe: 'comma-separated tasks (default: every cortexbench task)' })
  .option('keep-envs', { type: 'boolean', default: false, describe: 'run: keep every task envs to the end' })
  .option('expert-steps', { type: 'number', default: 2, describe: 'steps of each expert rollout' })
  .strict()
  .parse();

const profile = getProfile('quick');
const tasks = args.tasks ? args.tasks.split(',').map((name) => getTask(name.trim())) : listTasks('cortexbench');
const mj = await loadMujoco();
const census = new NativeCensus(mj);
const MiB = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const describeLive = (c: CensusCount): string => `${c.models} MjModel + ${c.data} MjData live (${MiB(c.bytes)})`;

/** Variants of a factor that rebuilds the model (distractors, else object size), or none when neither applies. */
function rebuildVariants(definition: TaskDefinition, count: number): SceneVariant[] {
  for (const factor of ['distractors', 'object-size'] as const) {
    try {
      return [...trainingSet(definition, [factor], count, 1).variants];
    } catch {
      // The factor does not apply to this task.
    }
  }
  return [];
}

/** States of a zero-action episode, to replay and render as demo frames are. */
function recordStates(env: Env, seed: number, steps: number): StateFrame[] {
  env.reset({ seed });
  const zero = new Float64Array(env.actionSpec.dim);
  const frames: StateFrame[] = [];
  for (let t = 0; t < steps; t++) {
    frames.push({ seed, variant: env.variant, state: env.physics.getState() });
    if (env.step(zero).truncated) break;
  }
  return frames;
}

interface Operation {
  name: string;
  /** One repetition (`rep` numbers it), on the task's shared env where it needs one. */
  run(definition: TaskDefinition, env: Env, rep: number): Promise<void> | void;
}

function operations(): Operation[] {
  const frame = (definition: TaskDefinition) => frameOptions(taskProtocol(profile, definition).render);
  return [
    {
      name: 'compile + close',
      async run(definition) {
        (await Env.make(definition)).close();
      },
    },
    {
      name: 'episode (reset + 20 steps)',
      run(_definition, env, rep) {
        env.reset({ seed: rep });
        const zero = new Float64Array(env.actionSpec.dim);
        for (let t = 0; t < 20 && !env.step(zero).truncated; t++);
      },
    },
    {
      name: 'render x4',
      run(definition, env) {
        for (let i = 0; i < 4; i++) env.render(frame(definition));
      },
    },
    {
      name: 'expert rollout',
      async run(definition, _env, rep) {
        const rollout = await ExpertRollout.create(definition);
        try {
          rollout.episode(rep, { maxSteps: args['expert-steps'] });
        } finally {
          rollout.close();
        }
      },
    },
    {
      name: 'rebuild (factor variant reset)',
      run(definition, env, rep) {
        const variants = rebuildVariants(definition, 3);
        if (variants.length > 0) env.reset({ seed: rep, variant: variants[rep % variants.length]! });
      },
    },
    {
      name: 'replay + render x4',
      run(definition, env, rep) {
        for (const state of recordStates(env, rep, 4)) {
          restoreEpisodeState(env, state);
          env.render(frame(definition));
        }
      },
    },
  ];
}

interface OpRow {
  operation: string;
  objectsPerRep: number;
  bytesPerRep: number;
  heapGrowth: number;
}

async function measureOperations(): Promise<void> {
  console.log(`ops: ${args.reps} measured repetitions per task and operation after one warm-up; tasks ${tasks.map((t) => t.name).join(', ')}`);
  const rows: OpRow[] = [];
  for (const op of operations()) {
    let objects = 0;
    let bytes = 0;
    const leakers: string[] = [];
    const heapBefore = wasmHeapBytes(mj);
    for (const definition of tasks) {
      const env = await Env.make(definition);
      try {
        await op.run(definition, env, 0);
        const before = census.live();
        for (let rep = 1; rep <= args.reps; rep++) await op.run(definition, env, rep);
        const after = census.live();
        const left = after.models + after.data - before.models - before.data;
        objects += left;
        bytes += after.bytes - before.bytes;
        if (left > 0) leakers.push(`${definition.name} ${MiB((after.bytes - before.bytes) / args.reps)}`);
      } finally {
        env.close();
      }
    }
    const reps = args.reps * tasks.length;
    const row = { operation: op.name, objectsPerRep: objects / reps, bytesPerRep: bytes / reps, heapGrowth: wasmHeapBytes(mj) - heapBefore };
    rows.push(row);
    console.log(
      `  ${row.operation.padEnd(32)} left alive per repetition: ${row.objectsPerRep.toFixed(2)} objects, ${MiB(row.bytesPerRep)}; heap grew ${MiB(row.heapGrowth)} over ${reps} repetitions`,
    );
    if (leakers.length > 0) console.log(`    left per repetition by: ${leakers.join(', ')}`);
  }
  console.log(`ops: after them ${describeLive(census.live())}, heap ${MiB(wasmHeapBytes(mj))}`);
}

async function runShaped(mujoco: Mujoco): Promise<void> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'bench-wasm-heap-'));
  const resources = new RunResources(defaultRunDependencies(), cacheDir, { quiet: true, warn: (line) => console.log(line) });
  console.log(`run: ${args.rounds} rounds over ${tasks.length} tasks, quick profile's evaluation envs, ${args['keep-envs'] ? 'every task kept to the end (before the fix)' : 'each task released after its work (the runner)'}`);
  const started = performance.now();
  const heapAfterRound: number[] = [];
  try {
    for (let round = 0; round < args.rounds; round++) {
      for (const definition of tasks) {
        const protocol = taskProtocol(profile, definition);
        const frame = frameOptions(protocol.render);
        const count = protocol.evalEpisodes;
        const indices = Array.from({ length: count }, (_, i) => i);
        const seeds = indices.map((i) => 1000 * round + i);
        const replay = await resources.replayEnv(definition);
        const { envs: evalEnvs, release } = await resources.evalEnvsFor(definition, count);
        // The probe's and the demos' expert rollouts (each its own ExpertRollout, as in a run).
        for (let r = 0; r < 2; r++) {
          const rollout = await ExpertRollout.create(definition);
          try {
            rollout.episode(round * 2 + r, { maxSteps: args['expert-steps'] });
          } finally {
            rollout.close();
          }
        }
        // Demo features: recorded states replayed and rendered on the replay env.
        await new LocalVectorEnv([replay]).renderStates(recordStates(replay, round, 8), frame);
        // Evaluation: every episode reset and stepped with frames.
        await evalEnvs.reset(indices, seeds, frame);
        const zeros = new Float32Array(count * replay.actionSpec.dim);
        for (let t = 0; t < 5; t++) await evalEnvs.step(indices, zeros, frame);
        // A sweep's evaluation scenes: resets into variants that rebuild the model.
        const variants = rebuildVariants(definition, count);
        if (variants.length > 0) await evalEnvs.reset(indices, seeds, frame, indices.map((i) => variants[i % variants.length]!));
        release();
        if (!args['keep-envs']) await resources.releaseTask(definition);
        console.log(`  round ${round + 1} ${definition.name.padEnd(22)} heap ${MiB(wasmHeapBytes(mujoco))}, ${describeLive(census.live())}`);
      }
      heapAfterRound.push(wasmHeapBytes(mujoco));
    }
    console.log(`run: heap after each round ${heapAfterRound.map(MiB).join(', ')}; ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } catch (error) {
    console.log(`run: FAILED after ${((performance.now() - started) / 1000).toFixed(0)} s at heap ${MiB(wasmHeapBytes(mujoco))}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    await resources.dispose();
    rmSync(cacheDir, { recursive: true, force: true });
  }
  console.log(`run: after disposing the resources ${describeLive(census.live())}, heap ${MiB(wasmHeapBytes(mujoco))}`);
}

console.log(`heap at start ${MiB(wasmHeapBytes(mj))}`);
if (args.part !== 'run') await measureOperations();
if (args.part !== 'ops') await runShaped(mj);
census.stop();
