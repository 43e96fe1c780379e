/**
 * Child process of benchmarks/eval_then_now.ts: builds one cell's evaluation (task, envs, encoder, an untrained
 * policy of a given seed) from the sources of the tree given by `--tree` (this checkout or an older one), then
 * answers each `{ mode }` message with one timed evaluateEpisodes call: wall and CPU seconds and the outcomes.
 *
 * Trees before the vector env (evaluateEpisodes took an array of envs) run mode 'local' only; later trees also
 * 'workers' (WorkerVectorEnv, one group) and 'pipelined' (WorkerVectorEnv, two groups). Everything the child reads
 * from a tree is typed here by the shape this script uses, since the two trees' types are not one program.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { EVAL_MODES, type ChildReply, type ChildRequest, type EvalMode } from './eval_cell_protocol.js';

interface Closable {
  close(): void | Promise<void>;
}
interface TaskShape {
  name: string;
  version: number;
  defaultCamera: string;
}
interface EnvShape extends Closable {
  observationSpec: { proprioDim: number };
  actionSpec: { dim: number };
}
interface EncoderShape {
  info: { pooledDim: number };
  dispose(): Promise<void>;
}
type Evaluate = (options: Record<string, unknown>) => Promise<unknown[]>;

const { values: args } = parseArgs({
  options: {
    tree: { type: 'string' },
    task: { type: 'string' },
    envs: { type: 'string' },
    episodes: { type: 'string' },
    size: { type: 'string' },
    encoder: { type: 'string' },
    horizon: { type: 'string' },
    'policy-seed': { type: 'string' },
    workers: { type: 'string' },
  },
});
const need = (name: keyof typeof args): string => {
  const value = args[name];
  if (value === undefined) throw new Error(`eval_cell_child: --${name} is required`);
  return value;
};
const tree = resolve(need('tree'));
const int = (name: keyof typeof args): number => {
  const value = Number(need(name));
  if (!Number.isInteger(value) || value < 0) throw new Error(`eval_cell_child: --${name} must be a non-negative integer, got ${args[name]}`);
  return value;
};

/** A module of `tree`'s sources, e.g. 'envs/env.ts'. */
async function source<T>(path: string): Promise<T> {
  const file = join(tree, 'src', path);
  if (!existsSync(file)) throw new Error(`eval_cell_child: ${file} does not exist (is --tree a checkout of this project?)`);
  return (await import(pathToFileURL(file).href)) as T;
}

async function main(): Promise<void> {
  const [envCount, episodes, size, horizon, policySeed, workers] = (['envs', 'episodes', 'size', 'horizon', 'policy-seed', 'workers'] as const).map(int) as number[];
  const hasVectorEnv = existsSync(join(tree, 'src/envs/vector_env.ts'));
  await source('envs/index.ts');
  const { Env } = await source<{ Env: { make(task: TaskShape): Promise<EnvShape> } }>('envs/env.ts');
  const { getTask } = await source<{ getTask(name: string): TaskShape }>('envs/registry.ts');
  const { observationLook } = await source<{ observationLook(size: number): Record<string, unknown> }>('protocol/render_settings.ts');
  const { createEncoder, parseEncoderSpec } = await source<{
    createEncoder(spec: unknown, options: object): Promise<EncoderShape>;
    parseEncoderSpec(text: string): unknown;
  }>('encoders/registry.ts');
  const { createPolicy } = await source<{ createPolicy(spec: object, seed: number): Promise<{ dispose(): void }> }>('policies/index.ts');
  const { evaluateEpisodes } = await source<{ evaluateEpisodes: Evaluate }>('eval/rollout.ts');

  const task = getTask(need('task'));
  const render = { imageSize: size, camera: task.defaultCamera, ...observationLook(size!) };
  const envs = await Promise.all(Array.from({ length: envCount! }, () => Env.make(task)));
  const encoder = await createEncoder(parseEncoderSpec(need('encoder')), {});
  const policy = await createPolicy(
    { head: 'mlp', featureDim: 3 * encoder.info.pooledDim, proprioDim: envs[0]!.observationSpec.proprioDim, actionDim: envs[0]!.actionSpec.dim },
    policySeed!,
  );
  const seeds = Array.from({ length: episodes! }, (_, i) => 1000 + i);
  const common = { task, encoder, policy, kind: 'pooled', precision: 'float16', seeds, horizon, render };

  // Before the vector env: the env array itself. After: a LocalVectorEnv over the same envs, or a worker pool.
  let vector: { local: unknown; pool: (Closable & object) | null } = { local: envs, pool: null };
  if (hasVectorEnv) {
    const { LocalVectorEnv } = await source<{ LocalVectorEnv: new (envs: EnvShape[]) => object }>('envs/vector_env.ts');
    const { WorkerVectorEnv } = await source<{ WorkerVectorEnv: { create(task: string, size: number, workers: number): Promise<Closable & object> } }>(
      'envs/vector_env_workers.ts',
    );
    vector = { local: new LocalVectorEnv(envs), pool: await WorkerVectorEnv.create(task.name, envCount!, workers!) };
  }
  const modes: EvalMode[] = hasVectorEnv ? [...EVAL_MODES] : ['local'];
  const optionsFor = (mode: EvalMode): Record<string, unknown> =>
    mode === 'local' ? { ...common, envs: vector.local, ...(hasVectorEnv ? { groups: 1 } : {}) } : { ...common, envs: vector.pool, groups: mode === 'workers' ? 1 : 2 };

  const send = (reply: ChildReply): void => void process.send!(reply);
  process.on('message', (request: ChildRequest) => {
    void (async () => {
      if ('stop' in request) {
        await vector.pool?.close();
        for (const env of envs) env.close();
        await policy.dispose();
        await encoder.dispose();
        process.disconnect();
        return;
      }
      try {
        if (!modes.includes(request.mode)) throw new Error(`the tree ${tree} has no evaluation mode '${request.mode}' (it has ${modes.join(', ')})`);
        const cpu = process.cpuUsage();
        const start = performance.now();
        const outcomes = await evaluateEpisodes(optionsFor(request.mode));
        const used = process.cpuUsage(cpu);
        send({ kind: 'result', mode: request.mode, seconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6, outcomes });
      } catch (error) {
        send({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  send({ kind: 'ready', modes, taskVersion: task.version });
}

main().catch((error: unknown) => {
  process.send?.({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ChildReply);
  process.exitCode = 1;
  process.disconnect?.();
});
