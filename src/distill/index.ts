/**
 * Cheap demonstrations: the expert that records a task's demos. Tasks whose expert plans on the simulator
 * (seconds per step of planning) may have a distillation entry below: their planner is distilled into a
 * state-feedback MLP (dagger.ts), the student is evaluated at the full horizon (on its own, or in the handoff of
 * handoff.ts where the planner gets the task solved and the student keeps it so), and it records the demos when
 * it keeps the task's bar; otherwise the planner records them. The trained student, its evaluation
 * and every labelled episode are cached (store.ts), so the distillation runs once per task version, teacher
 * and settings, and resumes when interrupted.
 */
import { hingeVelocity } from '../envs/domains/finger.js';
import { Env } from '../envs/env.js';
import { ExpertRollout, type DemoEpisode } from '../envs/expert_rollout.js';
import type { Expert, TaskDefinition } from '../envs/task.js';
import { resolveCacheDir } from '../util/cache_dir.js';
import { DEMO_BASE_SEED, demoEpisodeSeeds } from '../util/demo_seeds.js';
import { distil, type DistillSettings, type TeacherEpisode } from './dagger.js';
import { DistilledExpert } from './distilled_expert.js';
import { HandoffExpert } from './handoff.js';
import { StateFeatures } from './state_features.js';
import { StateMlp } from './state_mlp.js';
import { DISTILL_FORMAT_VERSION, distillDigest, distillDir, FileEpisodeStore, readPolicyFile, writePolicyFile, type DistilledPolicyFile, type StudentEvaluation } from './store.js';

export type { DistillSettings, TeacherEpisode } from './dagger.js';
export type { StudentEvaluation } from './store.js';

export interface TaskDistillation {
  settings: DistillSettings;
  /** Mean return over the evaluation episodes the student must reach to record demos (the expert's bar). */
  minReturn: number;
  /** Full-horizon episodes the student is evaluated on (20, as the expert bars), on demo seeds (evaluationSeeds). */
  evaluationEpisodes: number;
}

const SHARED = { hidden: [128, 128], epochs: 30, batchSize: 256, learningRate: 1e-3, seed: 1 } as const;
/** The spin speed below which finger-spin's handoff gives the turn back to the planner: 7 rad/s above the reward's. */
const FINGER_HANDOFF_SPIN = 22;
/**
 * finger-spin: the planner flicks the spinner to ~30 rad/s about every 16 steps and lets it coast; its students
 * never learn the flick (labels between flicks are nearly noise: an MLP fits 0.40 of a label variance of 0.54), so
 * the handoff keeps the planner for the flicks and the student for the coasting. The turn goes back to the planner
 * below 22 rad/s, before the spin falls under the reward's 15 (with the success test and 10 settle steps the
 * planner took over too late to flick in time: 669-706 on the first three demo seeds), and the planner replans from
 * scratch each time it takes over (its carried plan is stale after a student stint). 12 planner-driven 300-step
 * episodes, 16 200-step handoff episodes at teacherShare 0.5, 16 300-step handoff episodes: 11,600 labels.
 * Screened on the 20 demo seeds: handing back at 20 rad/s 739.0 (min 700; bar 740; the planner driving 561 of
 * 1000 steps), at 22 rad/s 747.9 (min 673; 650 steps; 12.7 CPU-s per episode against the planner's 17.7 at that
 * load); see the README's "Demonstrations" for the adopted run.
 */
const FINGER_SPIN: DistillSettings = {
  ...SHARED,
  teacherDemos: 0,
  episodeSteps: 300,
  rounds: [
    { episodes: 12, teacherShare: 1 },
    { episodes: 16, teacherShare: 0.5, episodeSteps: 200, handoff: true },
    { episodes: 16, teacherShare: 0, episodeSteps: 300, handoff: true },
  ],
  handoffSettleSteps: 1,
  handoffTest: { name: `spin >= ${FINGER_HANDOFF_SPIN} rad/s`, passes: (physics) => -hingeVelocity(physics) >= FINGER_HANDOFF_SPIN },
  handoffRestartTeacher: true,
};

/** As the expert bars: 20 seeds at the full horizon. */
const EVALUATION_EPISODES = 20;

/**
 * Distillation settings of the planner tasks whose demos a distilled expert records (the README's "Demonstrations"
 * gives the numbers). The other three planner tasks have none: walker-walk's and cheetah-run's students kept no bar
 * within their planners' demo cost (an entry whose student misses is pure cost), and walker-stand's planner now
 * records its demos for less than its handoff did:
 *   walker-stand: version 1's planner (36-39 CPU-s per episode on the fastest host) recorded its paper demos by a
 *     handoff (no teacher demos; 24 planner-driven 300-step episodes, 32 of 150 steps half student-driven, 24 of 200
 *     by the handoff, the turn coming back at the first step the success test fails, 10 settle steps: 16,800 labels;
 *     its student alone never got up: 138-196): 933.4 over the 100 demos for 2,424 CPU-s with the distillation (AMD
 *     EPYC host). Version 2's planner plans on a coarser model copy with a feet term (walker.ts) at ~15 CPU-s per
 *     episode there and returns 976.0 over the 20 demo seeds, so it records them itself.
 *   walker-walk: handoffs as walker-stand version 1's (16 planner-driven 300-step episodes, then handoff rounds;
 *     students of 128x128 and 256x256 on 4,800-19,200 labels) returned 862-910 on the first 2-5 demo seeds (bar 900)
 *     with the planner still driving 470-815 of 1000 steps at 18-28.5 CPU-s per episode (the planner alone 26.5-29.7 at
 *     that load, load 3-5), gates that let the student drive through 3 or 15 failing steps 869.9 and 737.9. Why: the
 *     success test (tall, upright within ~26 degrees, at >= 1 m/s) fails on ~24% of the planner's own walking steps
 *     (31-39 failing stretches per episode on seeds #0-#4), the student walks ~20 steps between takeovers, and a
 *     handoff's planner steps cost more (~38 ms) than the planner's alone (~28 ms, replanning every second step).
 *   cheetah-run: the generic DAgger settings (20 teacher demos, two rounds of eight 150-step episodes) gave a student
 *     of 72.2 (bar 640) for 228 CPU-s beyond the teacher demos; a student alone (hidden [256, 256], rounds of 8
 *     episodes: 300 steps by the planner, 300 mixed, then student-driven 300, 500, 500, 1000, 1000, 1000) returned
 *     111.8, 100.0, 94.6, 230.1, 347.8, 348.2, 496.9, 491.8 over the 20 evaluation seeds after each round (39,200
 *     labels 1,220 CPU-s, trainings 947 CPU-s, against ~2,710 for the planner's 100 demos). It starts slowly (2.4
 *     m/s over its first 100 steps), runs at 5-6.6 m/s where the planner runs ~7, and 6 of 20 falter late.
 */
export const DISTILLATIONS: Readonly<Record<string, TaskDistillation>> = {
  'finger-spin': { settings: FINGER_SPIN, minReturn: 740, evaluationEpisodes: EVALUATION_EPISODES },
};

/** Which expert records a task's demos: its name (demo caches key on it) and a factory. */
export interface DemoExpert {
  name: string;
  create: () => Expert;
  /** The student's evaluation, for distilled experts. */
  evaluation?: StudentEvaluation;
  /** What resolving it cost now: seconds spent distilling and evaluating (0 when cached). */
  seconds: number;
}

export interface DemoExpertOptions {
  cacheDir?: string;
  /**
   * The teacher's first `episodes` demos (full horizon, demo base seed 0), e.g. from the demo store: the
   * distillation's first data. Needed only when a distillation runs.
   */
  teacherDemos?: (episodes: number) => Promise<readonly TeacherEpisode[]>;
  onProgress?: (message: string) => void;
  /** Fail instead of distilling when no distillation is cached (demo workers: the caller distilled first). */
  cachedOnly?: boolean;
  /** The distillation to use instead of the task's entry in DISTILLATIONS (a task without one, e.g. a test's). */
  distillation?: TaskDistillation;
  /**
   * Receives the evaluation's episodes when a distillation runs now and its student keeps the bar: they are demos
   * of the expert named `expertName` (demo seeds at the full horizon in the canonical scene, played as the demo
   * store plays them), so the caller stores them and the demo set does not record them again.
   */
  keepEvaluationEpisodes?: (expertName: string, episodes: readonly DemoEpisode[]) => void;
}

/**
 * The evaluation episodes' reset seeds: demo seeds, so a student is judged on episodes it would record and as every
 * expert's bar is measured (benchmarks/experts.ts), the ones after the teacher demos it was trained on. Its DAgger
 * episodes come from a stream of their own (dagger.ts).
 */
function evaluationSeeds(settings: DistillSettings, episodes: number): number[] {
  return demoEpisodeSeeds(DEMO_BASE_SEED, settings.teacherDemos + episodes).slice(settings.teacherDemos);
}

/**
 * The expert that records `task`'s demos: the task's own expert unless it has a distillation entry and the
 * distilled student keeps the bar. Distils (or loads the cached distillation) on first use.
 */
export async function resolveDemoExpert(task: TaskDefinition, options: DemoExpertOptions = {}): Promise<DemoExpert> {
  const teacherName = task.createExpert().name;
  const own: DemoExpert = { name: teacherName, create: () => task.createExpert(), seconds: 0 };
  const entry = options.distillation ?? DISTILLATIONS[task.name];
  if (!entry) return own;
  const started = performance.now();
  const seeds = evaluationSeeds(entry.settings, entry.evaluationEpisodes);
  const digest = distillDigest(task, teacherName, entry.settings, seeds);
  const dir = distillDir(resolveCacheDir(options.cacheDir), task, teacherName, digest);
  let file = readPolicyFile(dir, digest);
  if (!file && options.cachedOnly) throw new Error(`task '${task.name}': no cached distillation in ${dir}`);
  let evaluationEpisodes: DemoEpisode[] = [];
  if (!file) ({ file, evaluationEpisodes } = await distilAndEvaluate(task, entry, teacherName, digest, dir, seeds, options));
  const seconds = (performance.now() - started) / 1000;
  if (file.evaluation.meanReturn < entry.minReturn) {
    options.onProgress?.(
      `${task.name}: distilled student returns ${file.evaluation.meanReturn.toFixed(1)} < ${entry.minReturn}; demos come from '${teacherName}'`,
    );
    return { ...own, evaluation: file.evaluation, seconds };
  }
  const mlp = StateMlp.fromWeights(file.weights);
  const name = `distilled-${teacherName}-${digest.slice(0, 8)}`;
  if (evaluationEpisodes.length > 0) options.keepEvaluationEpisodes?.(name, evaluationEpisodes);
  return { name, create: () => demoExpertOf(task, entry.settings, name, mlp), evaluation: file.evaluation, seconds };
}

/** The expert a distillation records with: the student, or the teacher-student handoff when the settings ask for it. */
function demoExpertOf(task: TaskDefinition, settings: DistillSettings, name: string, mlp: StateMlp): Expert {
  const student = new DistilledExpert(name, mlp);
  const settle = settings.handoffSettleSteps;
  if (settle === undefined) return student;
  return new HandoffExpert(name, task.createExpert(), student, settle, { test: settings.handoffTest, restartTeacher: settings.handoffRestartTeacher });
}

/**
 * The demo expert named `name`: the task's own, or its distilled student (which must be cached already). Demo
 * workers use it to rebuild, in their own thread, the expert the caller chose.
 */
export async function demoExpertByName(task: TaskDefinition, name: string, cacheDir: string): Promise<DemoExpert> {
  const own: DemoExpert = { name: task.createExpert().name, create: () => task.createExpert(), seconds: 0 };
  if (own.name === name) return own;
  const distilled = await resolveDemoExpert(task, { cacheDir, cachedOnly: true });
  if (distilled.name === name) return distilled;
  throw new Error(`task '${task.name}' has no demo expert named '${name}' (its own is '${own.name}', its distilled one '${distilled.name}')`);
}

async function distilAndEvaluate(
  task: TaskDefinition,
  entry: TaskDistillation,
  teacher: string,
  digest: string,
  dir: string,
  seeds: number[],
  options: DemoExpertOptions,
): Promise<{ file: DistilledPolicyFile; evaluationEpisodes: DemoEpisode[] }> {
  const started = performance.now();
  const dims = await Env.make(task).then((env) => {
    try {
      return { inputDim: new StateFeatures(env.physics).dim, actionDim: env.actionSpec.dim };
    } finally {
      env.close();
    }
  });
  const store = new FileEpisodeStore(dir, dims.inputDim, dims.actionDim);
  const { teacherDemos: wanted } = entry.settings;
  const source = options.teacherDemos;
  if (wanted > 0 && !source) throw new Error(`task '${task.name}': distilling needs the teacher's demos (DemoExpertOptions.teacherDemos)`);
  const teacherEpisodes = wanted > 0 && source ? await source(wanted) : [];
  const result = await distil(task, entry.settings, teacherEpisodes, store, (done, total) =>
    options.onProgress?.(`${task.name}: distilling, DAgger episode ${done}/${total}`),
  );
  const evaluationEpisodes: DemoEpisode[] = [];
  const evaluation = await evaluateStudent(task, demoExpertOf(task, entry.settings, 'student', result.mlp), seeds, (episode) => evaluationEpisodes.push(episode));
  const file: DistilledPolicyFile = {
    format: DISTILL_FORMAT_VERSION,
    task: task.name,
    taskVersion: task.version,
    teacher,
    digest,
    weights: result.mlp.toWeights(),
    evaluation,
    labelledSteps: result.episodes.reduce((n, e) => n + e.steps, 0),
    seconds: (performance.now() - started) / 1000,
  };
  writePolicyFile(dir, file);
  return { file, evaluationEpisodes };
}

/**
 * Full-horizon returns of `expert` from each seed (and, for a handoff, the steps its teacher drove); `onEpisode`
 * receives each episode played.
 */
export async function evaluateStudent(
  task: TaskDefinition,
  expert: Expert,
  seeds: readonly number[],
  onEpisode?: (episode: DemoEpisode) => void,
): Promise<StudentEvaluation> {
  // An ExpertRollout plays each seed as the demo store records it (its expert stream, executed actions), so the
  // evaluation on demo seeds is the demos the expert would record there.
  const rollout = await ExpertRollout.create(task, undefined, () => expert);
  const teacherSteps: number[] = [];
  try {
    const returns = seeds.map((seed) => {
      const episode = rollout.episode(seed);
      onEpisode?.(episode);
      const { episodeReturn } = episode;
      if (expert instanceof HandoffExpert) teacherSteps.push(expert.teacherSteps);
      return episodeReturn;
    });
    const meanReturn = returns.reduce((a, b) => a + b, 0) / returns.length;
    return { seeds: [...seeds], returns, meanReturn, ...(teacherSteps.length > 0 ? { teacherSteps } : {}) };
  } finally {
    rollout.close();
  }
}
