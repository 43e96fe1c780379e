/**
 * Distilling a task's (expensive) expert into a state-feedback MLP with DAgger-style relabelling:
 *
 *   teacher episodes: the teacher's own demos (it drove; every state is labelled with its action), given by the
 *                caller, so the demos a planner records anyway are the distillation's first data;
 *   round r:     the student trained on everything so far drives (the teacher's action is executed instead with
 *                probability `teacherShare`), and the teacher labels every state the pair visits, so the
 *                student learns to recover from its own mistakes.
 *
 * The student is retrained from scratch (seeded) on all labelled states after the teacher episodes and after
 * every round. Every round's episode is handed to `store` as soon as it is complete, and taken from it when
 * present, so an interrupted distillation resumes where it stopped and ends with the same network. Round episode
 * seeds come from the settings' seed, never from demo or evaluation seeds.
 */
import { Env } from '../envs/env.js';
import { expertRng } from '../envs/expert_rollout.js';
import type { Expert, TaskDefinition } from '../envs/task.js';
import { Rng } from '../util/rng.js';
import { StateFeatures } from './state_features.js';
import { HandoffGate, TASK_SUCCESS, type HandoffTest } from './handoff.js';
import { StateMlp } from './state_mlp.js';

export interface DistillRound {
  /** Labelled episodes in this round. */
  episodes: number;
  /** Probability that a step executes the teacher's action rather than the student's. */
  teacherShare: number;
  /** Policy steps per episode of this round; the settings' `episodeSteps` when omitted. */
  episodeSteps?: number;
  /**
   * Drive as the handoff demo expert does (settings' `handoffSettleSteps`): the teacher until the task's success
   * test has held that many steps in a row, the student (mixed by `teacherShare`) after, so the labels fall where
   * the student holds.
   */
  handoff?: boolean;
}

export interface DistillSettings {
  /** How many of the teacher's demo episodes (full horizon, demo base seed 0) the distillation starts from. */
  teacherDemos: number;
  rounds: readonly DistillRound[];
  /** Policy steps per labelled episode (from the reset; shorter than the horizon to spend labels on variety). */
  episodeSteps: number;
  hidden: readonly number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /**
   * When set, the demo expert is not the student alone but the handoff of handoff.ts: the teacher drives until the
   * task's success test has held for this many consecutive steps, the student while it keeps holding.
   */
  handoffSettleSteps?: number;
  /** The handoff's test (handoff.ts); the task's success test when omitted. */
  handoffTest?: HandoffTest;
  /**
   * The handoff demo expert resets its teacher whenever the teacher takes the turn back (handoff.ts). Labelling
   * rounds need no reset: their teacher labels every step, so its plan follows the episode.
   */
  handoffRestartTeacher?: boolean;
}

/** One labelled episode: the states it visited and the teacher's action in each. */
export interface LabelledEpisode {
  seed: number;
  steps: number;
  /** [steps, featureDim] state features. */
  inputs: Float64Array;
  /** [steps, actionDim] teacher actions (clipped to the action box). */
  targets: Float64Array;
  /** Summed reward of the executed actions. */
  executedReturn: number;
  /** Seconds the episode took (teacher planning dominates). */
  seconds: number;
}

/** A recorded teacher episode: states before each action and the actions applied (a demo episode is one). */
export interface TeacherEpisode {
  seed: number;
  length: number;
  stateSize: number;
  actionDim: number;
  /** [length, stateSize] full physics states (Physics.getState). */
  states: Float64Array;
  /** [length, actionDim] */
  actions: Float32Array;
  episodeReturn: number;
}

export interface LabelledEpisodeStore {
  load(round: number, index: number): LabelledEpisode | null;
  save(round: number, index: number, episode: LabelledEpisode): void;
}

export interface DistillResult {
  mlp: StateMlp;
  /** All labelled episodes: the teacher's, then round by round. */
  episodes: LabelledEpisode[];
  /** Mean squared error per epoch of the last training. */
  losses: number[];
  /** Round episodes taken from the store rather than played. */
  loaded: number;
  /** Seconds this call spent (playing the episodes not loaded, and training). */
  seconds: number;
}

/** Reset seeds of the labelled episodes of `round` (an independent stream per round). */
export function distillEpisodeSeeds(seed: number, round: number, episodes: number): number[] {
  const rng = new Rng(seed).fork(0x444147 + round);
  return Array.from({ length: episodes }, () => rng.nextUint32());
}

export function validateDistillSettings(settings: DistillSettings): void {
  const { rounds, teacherDemos } = settings;
  if (!Number.isInteger(teacherDemos) || teacherDemos < 0) throw new Error('distillation settings: teacherDemos must be an integer >= 0');
  rounds.forEach((r, i) => {
    if (!Number.isInteger(r.episodes) || r.episodes < 1) throw new Error(`distillation settings: rounds[${i}].episodes must be a positive integer`);
    if (!(r.teacherShare >= 0 && r.teacherShare <= 1)) throw new Error(`distillation settings: rounds[${i}].teacherShare must be in [0, 1]`);
    if (r.handoff && settings.handoffSettleSteps === undefined) throw new Error(`distillation settings: rounds[${i}].handoff needs handoffSettleSteps`);
    if (r.episodeSteps !== undefined && !(Number.isInteger(r.episodeSteps) && r.episodeSteps >= 2)) {
      throw new Error(`distillation settings: rounds[${i}].episodeSteps must be an integer >= 2`);
    }
  });
  if (teacherDemos === 0 && (rounds.length === 0 || rounds[0]!.teacherShare !== 1)) {
    throw new Error('distillation settings: without teacher demos there is no student before round 0, so its teacherShare must be 1');
  }
  if (!Number.isInteger(settings.episodeSteps) || settings.episodeSteps < 2) throw new Error('distillation settings: episodeSteps must be an integer >= 2');
  const settle = settings.handoffSettleSteps;
  if (settle !== undefined && !(Number.isInteger(settle) && settle >= 1)) throw new Error('distillation settings: handoffSettleSteps must be a positive integer');
  if ((settings.handoffTest || settings.handoffRestartTeacher) && settle === undefined) {
    throw new Error('distillation settings: handoffTest and handoffRestartTeacher need handoffSettleSteps');
  }
}

export async function distil(
  task: TaskDefinition,
  settings: DistillSettings,
  teacherEpisodes: readonly TeacherEpisode[],
  store: LabelledEpisodeStore | null = null,
  onEpisode?: (done: number, total: number) => void,
): Promise<DistillResult> {
  validateDistillSettings(settings);
  if (teacherEpisodes.length !== settings.teacherDemos) {
    throw new Error(`distil: the settings start from ${settings.teacherDemos} teacher demos, got ${teacherEpisodes.length}`);
  }
  const env = await Env.make(task);
  const teacher = task.createExpert();
  const started = performance.now();
  try {
    const features = new StateFeatures(env.physics);
    const actionDim = env.actionSpec.dim;
    const config = { inputDim: features.dim, hidden: settings.hidden, outputDim: actionDim };
    const episodes = teacherEpisodes.map((e) => labelTeacherEpisode(env, features, e));
    const total = settings.rounds.reduce((n, r) => n + r.episodes, 0);
    let loaded = 0;
    let student: StateMlp | null = null;
    let losses: number[] = [];
    const train = (seed: number): void => {
      ({ model: student, losses } = StateMlp.train(config, stack(episodes, features.dim, actionDim), {
        epochs: settings.epochs,
        batchSize: settings.batchSize,
        learningRate: settings.learningRate,
        seed,
      }));
    };
    if (episodes.length > 0) train(settings.seed - 1);
    for (let round = 0; round < settings.rounds.length; round++) {
      const { episodes: count, teacherShare, episodeSteps = settings.episodeSteps, handoff } = settings.rounds[round]!;
      const gate = handoff && settings.handoffSettleSteps !== undefined ? new HandoffGate(settings.handoffSettleSteps) : null;
      const seeds = distillEpisodeSeeds(settings.seed, round, count);
      for (let i = 0; i < count; i++) {
        let episode = store?.load(round, i) ?? null;
        if (episode) loaded++;
        else {
          episode = labelEpisode(env, teacher, student, features, seeds[i]!, episodeSteps, teacherShare, gate, settings.handoffTest);
          store?.save(round, i, episode);
        }
        episodes.push(episode);
        onEpisode?.(episodes.length - teacherEpisodes.length, total);
      }
      train(settings.seed + round);
    }
    return { mlp: student!, episodes, losses, loaded, seconds: (performance.now() - started) / 1000 };
  } finally {
    teacher.dispose?.();
    env.close();
  }
}

/** A teacher episode as labelled states: the features of each recorded state and the action taken there. */
function labelTeacherEpisode(env: Env, features: StateFeatures, episode: TeacherEpisode): LabelledEpisode {
  if (episode.stateSize !== env.physics.stateSize || episode.actionDim !== env.actionSpec.dim) {
    throw new Error(`distil: teacher episode ${episode.seed} has states of ${episode.stateSize} and actions of ${episode.actionDim} values, the task ${env.physics.stateSize} and ${env.actionSpec.dim}`);
  }
  const inputs = new Float64Array(episode.length * features.dim);
  env.reset({ seed: episode.seed });
  for (let t = 0; t < episode.length; t++) {
    env.physics.setState(episode.states.subarray(t * episode.stateSize, (t + 1) * episode.stateSize));
    features.read(env.physics, inputs.subarray(t * features.dim, (t + 1) * features.dim));
  }
  return { seed: episode.seed, steps: episode.length, inputs, targets: Float64Array.from(episode.actions), executedReturn: episode.episodeReturn, seconds: 0 };
}

/** Plays one episode, executing the teacher's or the student's action, and labels every state with the teacher's. */
function labelEpisode(
  env: Env,
  teacher: Expert,
  student: StateMlp | null,
  features: StateFeatures,
  seed: number,
  steps: number,
  teacherShare: number,
  gate: HandoffGate | null = null,
  test: HandoffTest = TASK_SUCCESS,
): LabelledEpisode {
  const started = performance.now();
  const { dim, low, high } = env.actionSpec;
  const inputs = new Float64Array(steps * features.dim);
  const targets = new Float64Array(steps * dim);
  const studentAction = new Float64Array(dim);
  // Which actor executes each step is drawn from its own stream, independent of the teacher's.
  const mixing = new Rng(seed).fork(0x4d4958);
  env.reset({ seed });
  teacher.reset(env.physics, expertRng(seed));
  gate?.reset();
  let executedReturn = 0;
  let length = 0;
  for (let t = 0; t < steps; t++) {
    const x = features.read(env.physics, inputs.subarray(t * features.dim, (t + 1) * features.dim));
    const label = teacher.act(env.physics, env.task, t);
    for (let i = 0; i < dim; i++) targets[t * dim + i] = Math.min(high[i]!, Math.max(low[i]!, label[i]!));
    let action: Float64Array = targets.subarray(t * dim, (t + 1) * dim);
    const studentMayAct = student !== null && (!gate || gate.studentTurn(test.passes(env.physics, env.task)));
    if (studentMayAct && mixing.random() >= teacherShare) action = student.act(x, studentAction);
    const result = env.step(action);
    executedReturn += result.reward;
    length = t + 1;
    if (result.terminated || result.truncated) break;
  }
  return {
    seed,
    steps: length,
    inputs: inputs.slice(0, length * features.dim),
    targets: targets.slice(0, length * dim),
    executedReturn,
    seconds: (performance.now() - started) / 1000,
  };
}

function stack(episodes: readonly LabelledEpisode[], inputDim: number, outputDim: number) {
  const count = episodes.reduce((n, e) => n + e.steps, 0);
  const inputs = new Float64Array(count * inputDim);
  const targets = new Float64Array(count * outputDim);
  let row = 0;
  for (const e of episodes) {
    inputs.set(e.inputs, row * inputDim);
    targets.set(e.targets, row * outputDim);
    row += e.steps;
  }
  return { count, inputs, targets };
}
