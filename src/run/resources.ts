/**
 * Things a run builds once and shares between cells: encoders, demo sets, replay and evaluation environments,
 * and the features of the most recent (task, encoder) pair (cells are ordered so that pairs run back to back).
 */
import type { DemoSet } from '../data/demos.js';
import { loadOrGenerateDemos } from '../data/demos.js';
import { loadOrComputeFeatures, type DemoFeatures, type FeatureKind } from '../data/features.js';
import type { Encoder } from '../encoders/encoder.js';
import { Env } from '../envs/env.js';
import { getTask } from '../envs/registry.js';
import type { TaskDefinition } from '../envs/task.js';
import { createProgress } from '../util/progress.js';
import type { RunDependencies } from './deps.js';
import { DEMO_BASE_SEED } from '../protocol/seeds.js';
import { taskSettings, type Profile } from '../protocol/profiles.js';

export class RunResources {
  private readonly encoders = new Map<string, Encoder>();
  private readonly demoSets = new Map<string, { set: DemoSet; seconds: number; reported: boolean }>();
  private readonly replayEnvs = new Map<string, Env>();
  private readonly evalEnvs = new Map<string, Env[]>();
  private lastFeatures: { id: string; features: DemoFeatures; seconds: number } | null = null;

  constructor(
    private readonly deps: RunDependencies,
    private readonly profile: Profile,
    private readonly cacheDir: string,
    private readonly threads: number | undefined,
    private readonly quiet: boolean,
  ) {}

  async encoder(spec: string): Promise<Encoder> {
    let encoder = this.encoders.get(spec);
    if (!encoder) {
      encoder = await this.deps.createEncoder(spec, this.threads === undefined ? {} : { threads: this.threads });
      this.encoders.set(spec, encoder);
    }
    return encoder;
  }

  /**
   * The task's demo set at the profile's size, and the seconds spent loading or generating it; those seconds are
   * reported once per process, to the first caller that asks with `report` (the task's first cell).
   */
  async demos(task: TaskDefinition, report = false): Promise<{ set: DemoSet; seconds: number }> {
    const known = this.demoSets.get(task.name) ?? (await this.loadDemos(task));
    const seconds = report && !known.reported ? known.seconds : 0;
    if (report) known.reported = true;
    return { set: known.set, seconds };
  }

  private async loadDemos(task: TaskDefinition): Promise<{ set: DemoSet; seconds: number; reported: boolean }> {
    const started = performance.now();
    const total = taskSettings(this.profile, task).demos;
    const progress = createProgress({ label: `demos ${task.name}`, total, quiet: this.quiet });
    let set: DemoSet;
    try {
      set = await loadOrGenerateDemos(task, {
        episodes: total,
        seed: DEMO_BASE_SEED,
        cacheDir: this.cacheDir,
        onProgress: (p) => progress.update(p.done, p.loaded ? `${p.loaded} cached` : ''),
      });
    } finally {
      progress.stop();
    }
    const entry = { set, seconds: (performance.now() - started) / 1000, reported: false };
    this.demoSets.set(task.name, entry);
    return entry;
  }

  async replayEnv(task: TaskDefinition): Promise<Env> {
    let env = this.replayEnvs.get(task.name);
    if (!env) {
      env = await Env.make(task);
      this.replayEnvs.set(task.name, env);
    }
    return env;
  }

  /** `count` environments of the task for parallel evaluation (reused across cells). */
  async evalEnvsFor(task: TaskDefinition, count: number): Promise<Env[]> {
    const envs = this.evalEnvs.get(task.name) ?? [];
    while (envs.length < count) envs.push(await Env.make(task));
    this.evalEnvs.set(task.name, envs);
    return envs.slice(0, count);
  }

  /** Demo features of (task, encoder, kind), from memory, the disk cache or computed; with the seconds spent. */
  async features(task: TaskDefinition, encoderSpec: string, kind: FeatureKind, horizon: number): Promise<{ features: DemoFeatures; seconds: number }> {
    const id = `${task.name}\n${encoderSpec}\n${kind}\n${horizon}`;
    if (this.lastFeatures?.id === id) return { features: this.lastFeatures.features, seconds: 0 };
    this.lastFeatures = null; // let the previous pair's arrays go before computing the next
    const started = performance.now();
    const features = await loadOrComputeFeatures({
      task,
      demos: (await this.demos(task)).set,
      encoder: await this.encoder(encoderSpec),
      env: await this.replayEnv(task),
      kind,
      imageSize: this.profile.imageSize,
      maxSteps: horizon,
      cacheDir: this.cacheDir,
      quiet: this.quiet,
    });
    const seconds = (performance.now() - started) / 1000;
    this.lastFeatures = { id, features, seconds };
    return { features, seconds };
  }

  async dispose(): Promise<void> {
    for (const env of this.replayEnvs.values()) env.close();
    for (const envs of this.evalEnvs.values()) for (const env of envs) env.close();
    for (const encoder of this.encoders.values()) await encoder.dispose();
    this.replayEnvs.clear();
    this.evalEnvs.clear();
    this.encoders.clear();
    this.demoSets.clear();
    this.lastFeatures = null;
  }
}

/** The policy-step horizon a profile uses for a task. */
export function profileHorizon(profile: Profile, taskName: string): number {
  const task = getTask(taskName);
  const h = taskSettings(profile, task).horizon;
  return h === null ? task.horizon : Math.min(h, task.horizon);
}
