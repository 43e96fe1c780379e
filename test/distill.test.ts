/**
 * Distilled state policies: the plain-TypeScript MLP fits a known function and trains reproducibly, the state
 * features encode each joint kind as documented, and a DAgger distillation of a PD expert gives a student that
 * does the task, resumes from its stored episodes to the same network, and is cached under its digest.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { distil, distillEpisodeSeeds, type DistillSettings } from '../src/distill/dagger.js';
import { DistilledExpert } from '../src/distill/distilled_expert.js';
import { demoEpisodeSeeds, distillationDemoStore, loadOrGenerateDemos } from '../src/data/demos.js';
import { HandoffExpert, HandoffGate } from '../src/distill/handoff.js';
import { evaluateStudent, resolveDemoExpert, type TaskDistillation } from '../src/distill/index.js';
import { StateFeatures } from '../src/distill/state_features.js';
import { StateMlp } from '../src/distill/state_mlp.js';
import { distillDigest, distillDir, FileEpisodeStore } from '../src/distill/store.js';
import '../src/envs/domains/index.js';
import { Env } from '../src/envs/env.js';
import type { Physics } from '../src/envs/mujoco.js';
import type { ActionSpec, Expert, Task, TaskDefinition } from '../src/envs/task.js';
import { Rng } from '../src/util/rng.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'bench-distill-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('StateMlp', () => {
  const data = (() => {
    const rng = new Rng(3);
    const count = 2000;
    const inputs = new Float64Array(count * 2);
    const targets = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const a = rng.uniform(-2, 2);
      const b = rng.uniform(5, 15); // an input far from zero with a large spread: normalisation matters
      inputs.set([a, b], 2 * i);
      targets[i] = Math.sin(a) + 0.05 * (b - 10);
    }
    return { count, inputs, targets };
  })();
  const config = { inputDim: 2, hidden: [32, 32], outputDim: 1 };
  const options = { epochs: 60, batchSize: 64, learningRate: 3e-3, seed: 7 };

  it('fits a smooth function of its inputs', () => {
    const { model, losses } = StateMlp.train(config, data, options);
    expect(losses[0]!).toBeGreaterThan(0.05);
    expect(losses.at(-1)!).toBeLessThan(2e-3);
    const out = new Float64Array(1);
    for (const [a, b] of [[-1.5, 6], [0.3, 12], [1.2, 9]] as const) {
      expect(model.act([a, b], out)[0]).toBeCloseTo(Math.sin(a) + 0.05 * (b - 10), 1);
    }
  });

  it('trains reproducibly from its seed and round-trips through its saved weights', () => {
    const a = StateMlp.train(config, data, { ...options, epochs: 3 }).model.toWeights();
    const b = StateMlp.train(config, data, { ...options, epochs: 3 }).model.toWeights();
    const c = StateMlp.train(config, data, { ...options, epochs: 3, seed: 8 }).model.toWeights();
    expect(b).toEqual(a);
    expect(c.layers[0]!.weight).not.toEqual(a.layers[0]!.weight);
    const restored = StateMlp.fromWeights(JSON.parse(JSON.stringify(a)));
    const original = StateMlp.fromWeights(a);
    expect(restored.act([0.5, 11], new Float64Array(1))[0]).toBe(original.act([0.5, 11], new Float64Array(1))[0]);
    expect(() => StateMlp.fromWeights({ ...a, inputMean: [0] })).toThrow(/input normalisation must hold 2 values/);
    expect(() => StateMlp.train(config, { ...data, count: 1 }, options)).toThrow(/at least 2 samples/);
  });
});

describe('StateFeatures', () => {
  it('drops a planar root x, encodes unlimited hinges as cos/sin and keeps every velocity', async () => {
    const cases = [
      // walker: rootz, cos/sin rooty, 6 leg hinges + 9 velocities
      { task: 'walker-walk', dim: 1 + 2 + 6 + 9 },
      // cheetah: rootz, cos/sin rooty, 6 leg hinges + 9 velocities
      { task: 'cheetah-run', dim: 1 + 2 + 6 + 9 },
      // finger: proximal, distal, cos/sin of the spinner + 3 velocities
      { task: 'finger-spin', dim: 2 + 2 + 3 },
    ];
    for (const { task, dim } of cases) {
      const env = await Env.make(task);
      try {
        const features = new StateFeatures(env.physics);
        expect(features.dim, task).toBe(dim);
        env.reset({ seed: 4 });
        const before = features.read(env.physics, new Float64Array(dim)).slice();
        // Moving a planar root along x changes nothing the policy sees.
        const { mj, model, data } = env.physics;
        const rootx = mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT.value, 'rootx');
        if (rootx >= 0) {
          env.physics.views.qpos[(model.jnt_qposadr as Int32Array)[rootx]!] += 7;
          mj.mj_forward(model, data);
          expect(features.read(env.physics, new Float64Array(dim))).toEqual(before);
        }
      } finally {
        env.close();
      }
    }
    const env = await Env.make('finger-spin');
    try {
      env.reset({ seed: 1 });
      const qpos = env.physics.views.qpos;
      const f = new StateFeatures(env.physics).read(env.physics, new Float64Array(7));
      expect(Array.from(f.subarray(0, 4))).toEqual([qpos[0], qpos[1], Math.cos(qpos[2]!), Math.sin(qpos[2]!)]);
      expect(Array.from(f.subarray(4))).toEqual(Array.from(env.physics.views.qvel));
    } finally {
      env.close();
    }
  });
});

/** A point mass on a limited rail driven to x = 0.2 by a PD expert (its state says everything it needs). */
class RailTask implements Task {
  readonly actionSpec: ActionSpec = { dim: 1, low: new Float64Array([-1]), high: new Float64Array([1]) };
  readonly proprioDim = 0;
  initializeEpisode(physics: Physics, rng: Rng): void {
    physics.views.qpos[0] = rng.uniform(-0.4, 0.4);
  }
  applyAction(physics: Physics, action: Float64Array): void {
    physics.views.ctrl[0] = action[0]!;
  }
  proprio(): Float32Array {
    return new Float32Array(0);
  }
  reward(physics: Physics): number {
    return Math.abs(physics.views.qpos[0]! - 0.2) < 0.03 ? 1 : 0;
  }
  success(physics: Physics): boolean {
    return this.reward(physics) > 0;
  }
}

class RailExpert implements Expert {
  readonly name = 'rail-pd';
  calls = 0;
  reset(): void {}
  act(physics: Physics): Float64Array {
    this.calls++;
    return new Float64Array([Math.tanh(8 * (0.2 - physics.views.qpos[0]!) - 1.5 * physics.views.qvel[0]!)]);
  }
}

const teachers: RailExpert[] = [];
const railTask: TaskDefinition = {
  name: 'test-rail',
  domain: 'test',
  family: 'dmc',
  benchmarks: ['test'],
  version: 1,
  horizon: 60,
  timestep: 0.02,
  substeps: 2,
  defaultCamera: 'fixed',
  buildScene: () => `<mujoco><option timestep="0.02"/><worldbody><camera name="fixed" pos="0 -1 0.3" xyaxes="1 0 0 0 0 1"/>
  <body><joint name="x" type="slide" axis="1 0 0" range="-0.5 0.5" damping="0.5"/><geom type="sphere" size="0.05" mass="1"/></body>
  </worldbody><actuator><motor joint="x" gear="2" ctrlrange="-1 1"/></actuator></mujoco>`,
  createTask: () => new RailTask(),
  createExpert: () => {
    const teacher = new RailExpert();
    teachers.push(teacher);
    return teacher;
  },
};

const settings: DistillSettings = {
  teacherDemos: 0,
  rounds: [
    { episodes: 3, teacherShare: 1 },
    { episodes: 3, teacherShare: 0 },
  ],
  episodeSteps: 40,
  hidden: [64, 64],
  epochs: 60,
  batchSize: 32,
  learningRate: 3e-3,
  seed: 5,
};

describe('DAgger distillation', () => {
  it('labels every state with the teacher, gives a student that does the task, and resumes to the same network', async () => {
    const seeds = distillEpisodeSeeds(settings.seed, 0, 3);
    expect(new Set([...seeds, ...distillEpisodeSeeds(settings.seed, 1, 3)]).size).toBe(6);
    const digest = distillDigest(railTask, 'rail-pd', settings, []);
    const dir = distillDir(cacheDir, railTask, 'rail-pd', digest);
    const store = new FileEpisodeStore(dir, 2, 1);
    const first = await distil(railTask, settings, [], store);
    expect(first.loaded).toBe(0);
    expect(first.episodes.map((e) => e.steps)).toEqual([40, 40, 40, 40, 40, 40]);
    expect(teachers.at(-1)!.calls).toBe(240);
    expect(readdirSync(dir).sort()).toEqual(['round-0-0.json', 'round-0-1.json', 'round-0-2.json', 'round-1-0.json', 'round-1-1.json', 'round-1-2.json']);

    const student = new DistilledExpert('student', first.mlp);
    const evaluation = await evaluateStudent(railTask, student, [11, 12, 13]);
    const reference = await evaluateStudent(railTask, new RailExpert(), [11, 12, 13]);
    // The student settles on the target about as fast as the teacher.
    evaluation.returns.forEach((r, i) => expect(r).toBeGreaterThan(0.9 * reference.returns[i]! - 1));
    expect(Math.min(...reference.returns)).toBeGreaterThan(10);

    // Resuming with every episode stored plays none and trains the same network.
    const again = await distil(railTask, settings, [], store);
    expect(again.loaded).toBe(6);
    expect(teachers.at(-1)!.calls).toBe(0);
    expect(again.mlp.toWeights()).toEqual(first.mlp.toWeights());
    expect(distillDigest(railTask, 'rail-pd', { ...settings, epochs: 41 }, [])).not.toBe(digest);
  });

  it("starts from the teacher's demos: each recorded state labelled with the action taken there", async () => {
    const demos = await loadOrGenerateDemos(railTask, { episodes: 3, seed: 0, cacheDir });
    const calls = () => teachers.at(-1)!.calls;
    const result = await distil(railTask, { ...settings, teacherDemos: 3, rounds: [{ episodes: 1, teacherShare: 0 }] }, demos.episodes);
    expect(result.episodes).toHaveLength(4);
    expect(calls()).toBe(40); // only the DAgger episode asks the teacher
    const first = result.episodes[0]!;
    expect(first.steps).toBe(60);
    // Features of a rail state: x and its velocity; the targets are the recorded actions.
    const demo = demos.episodes[0]!;
    expect(first.inputs[0]).toBe(demo.states[1]); // state layout: time, qpos, qvel, ...
    expect(Array.from(first.targets)).toEqual(Array.from(demo.actions));
    const evaluation = await evaluateStudent(railTask, new DistilledExpert('student', result.mlp), [11, 12, 13]);
    expect(Math.min(...evaluation.returns)).toBeGreaterThan(10);
  });

  it('plays a round for its own episodeSteps when it sets them, and a handoff round as the handoff expert drives', async () => {
    const rounds = [{ episodes: 2, teacherShare: 1, episodeSteps: 25 }, { episodes: 1, teacherShare: 0 }];
    const result = await distil(railTask, { ...settings, rounds }, []);
    expect(result.episodes.map((e) => e.steps)).toEqual([25, 25, 40]);
    // A handoff round whose settle time is the whole episode is the teacher's alone: the same episode as a teacher round.
    const handoff = await distil(railTask, { ...settings, rounds: [rounds[0]!, { ...rounds[1]!, handoff: true }], handoffSettleSteps: 40 }, []);
    const teacherRound = await distil(railTask, { ...settings, rounds: [rounds[0]!, { ...rounds[1]!, teacherShare: 1 }] }, []);
    expect(handoff.episodes[2]!.inputs).toEqual(teacherRound.episodes[2]!.inputs);
    expect(handoff.episodes[2]!.inputs).not.toEqual(result.episodes[2]!.inputs);
  });

  it('rejects settings that cannot run', async () => {
    await expect(distil(railTask, { ...settings, rounds: [{ episodes: 2, teacherShare: 1, episodeSteps: 1 }] }, [])).rejects.toThrow(/rounds\[0\]\.episodeSteps must be an integer >= 2/);
    await expect(distil(railTask, { ...settings, handoffSettleSteps: 0 }, [])).rejects.toThrow(/handoffSettleSteps must be a positive integer/);
    await expect(distil(railTask, { ...settings, rounds: [{ episodes: 1, teacherShare: 1, handoff: true }] }, [])).rejects.toThrow(/rounds\[0\]\.handoff needs handoffSettleSteps/);
    await expect(distil(railTask, { ...settings, rounds: [{ episodes: 2, teacherShare: 0.5 }] }, [])).rejects.toThrow(/no student before round 0/);
    await expect(distil(railTask, { ...settings, rounds: [] }, [])).rejects.toThrow(/no student before round 0/);
    await expect(distil(railTask, { ...settings, teacherDemos: 2 }, [])).rejects.toThrow(/start from 2 teacher demos, got 0/);
  });
});

describe('handoff from teacher to student', () => {
  it("gives the student the steps after the success test held for settleSteps in a row, the teacher's from the first failure", () => {
    const gate = new HandoffGate(3);
    const turns = [true, true, true, true, false, true, true, true, true].map((success) => gate.studentTurn(success));
    expect(turns).toEqual([false, false, true, true, false, false, false, true, true]);
    gate.reset();
    expect(gate.studentTurn(true)).toBe(false);
    expect(() => new HandoffGate(0)).toThrow(/settleSteps must be a positive integer/);
  });

  it('drives with the teacher until the task is solved, then with the student, and counts the teacher steps', async () => {
    /** A student that pushes away from the target: every step it acts on fails the test, so the teacher must return. */
    const pushAway: Expert = { name: 'away', reset() {}, act: (physics) => new Float64Array([physics.views.qpos[0]! > 0.2 ? 1 : -1]) };
    const handoff = new HandoffExpert('handoff', new RailExpert(), pushAway, 4);
    const evaluation = await evaluateStudent(railTask, handoff, [11, 12]);
    const teacherAlone = await evaluateStudent(railTask, new RailExpert(), [11, 12]);
    expect(teacherAlone.teacherSteps).toBeUndefined();
    expect(evaluation.teacherSteps).toHaveLength(2);
    // The saboteur gets some steps (after each settled stretch), the teacher most of them, and the return drops.
    for (const [i, steps] of evaluation.teacherSteps!.entries()) {
      expect(steps).toBeGreaterThan(railTask.horizon / 2);
      expect(steps).toBeLessThan(railTask.horizon);
      expect(evaluation.returns[i]!).toBeLessThan(teacherAlone.returns[i]!);
    }
  });
});

describe('resolveDemoExpert', () => {
  const entry = (minReturn: number, extra: Partial<DistillSettings> = {}): TaskDistillation => ({
    settings: { ...settings, ...extra },
    minReturn,
    evaluationEpisodes: 3,
  });

  it('records with the student when it keeps the bar, with the teacher when not, and needs no teacher demos when the settings take none', async () => {
    const kept = await resolveDemoExpert(railTask, { cacheDir, distillation: entry(10) });
    expect(kept.name).toMatch(/^distilled-rail-pd-[0-9a-f]{8}$/);
    expect(kept.evaluation!.meanReturn).toBeGreaterThan(10);
    // Judged on the demo seeds after the teacher demos it was trained on: episodes it would record.
    expect(kept.evaluation!.seeds).toEqual(demoEpisodeSeeds(0, settings.teacherDemos + 3).slice(settings.teacherDemos));
    expect(kept.create()).toBeInstanceOf(DistilledExpert);
    const missed = await resolveDemoExpert(railTask, { cacheDir, distillation: entry(1e6) });
    expect(missed.name).toBe('rail-pd');
    expect(missed.evaluation!.meanReturn).toBe(kept.evaluation!.meanReturn);
    // The same distillation from the cache: nothing replayed.
    const calls = teachers.length;
    const cached = await resolveDemoExpert(railTask, { cacheDir, distillation: entry(10), cachedOnly: true });
    expect(cached.name).toBe(kept.name);
    expect(teachers.length).toBe(calls + 1); // the teacher's name only
  });

  it("keeps a passing student's evaluation episodes as its first demos, identical to recording them, and nothing of a failing one", async () => {
    const dir = mkdtempSync(join(cacheDir, 'kept-'));
    const kept = await resolveDemoExpert(railTask, { cacheDir: dir, distillation: entry(10), ...distillationDemoStore(railTask, dir) });
    // 3 evaluation episodes (the first demo seeds: no teacher demos) are on disk; the 4th is recorded.
    const demos = await loadOrGenerateDemos(railTask, { episodes: 4, seed: 0, cacheDir: dir, expert: kept });
    expect(demos.loaded).toBe(3);
    expect(demos.episodes.slice(0, 3).map((e) => e.episodeReturn)).toEqual(kept.evaluation!.returns);
    const recorded = await loadOrGenerateDemos(railTask, { episodes: 4, seed: 0, cacheDir: mkdtempSync(join(cacheDir, 'recorded-')), expert: kept });
    expect(recorded.loaded).toBe(0);
    expect(demos.episodes).toEqual(recorded.episodes);

    const failing = mkdtempSync(join(cacheDir, 'failing-'));
    let calls = 0;
    const store = distillationDemoStore(railTask, failing);
    const missed = await resolveDemoExpert(railTask, { cacheDir: failing, distillation: entry(1e6), ...store, keepEvaluationEpisodes: (...args) => (calls++, store.keepEvaluationEpisodes(...args)) });
    expect(missed.name).toBe('rail-pd');
    expect(calls).toBe(0);
  });

  it('records with the handoff when the settings ask for it, under a name of its own, its teacher steps in the evaluation', async () => {
    const plain = await resolveDemoExpert(railTask, { cacheDir, distillation: entry(10) });
    const handoff = await resolveDemoExpert(railTask, { cacheDir, distillation: entry(10, { handoffSettleSteps: 5 }) });
    expect(handoff.name).not.toBe(plain.name);
    expect(handoff.create()).toBeInstanceOf(HandoffExpert);
    const steps = handoff.evaluation!.teacherSteps!;
    expect(steps).toHaveLength(3);
    for (const n of steps) expect(n).toBeGreaterThanOrEqual(5);
  });
});
