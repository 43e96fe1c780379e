/**
 * The task families (the paper's "suites": DMC, MetaWorld, Adroit) in one table: what a family's score means,
 * how the paper runs it, and the ONE episode score formula. A benchmark's mean is the mean over its families.
 */
import type { TaskDefinition } from './task.js';

export type TaskFamily = 'dmc' | 'metaworld' | 'adroit';

/** Families in the paper's order (tables print them so). */
export const TASK_FAMILIES: readonly TaskFamily[] = ['dmc', 'metaworld', 'adroit'];

/**
 * How an episode is scored: 'return' = return / 10 (per-step rewards in [0, 1] over 1000 steps: 0-100);
 * 'last-step-success' = success at the last step, 0 or 100; 'goal-steps' = 100 when the goal is reached on more
 * than the task's `goalSteps` steps, else 0.
 */
export type MetricKind = 'return' | 'last-step-success' | 'goal-steps';

export interface FamilyFacts {
  readonly family: TaskFamily;
  /** The paper's name for the suite. */
  readonly title: string;
  readonly metric: MetricKind;
  /** The metric in words. */
  readonly metricName: string;
  /** Demos per task in the paper's protocol (VC-1 / CortexBench). */
  readonly paperDemos: number;
  /** Evaluation episodes per evaluation point in VC-1's protocol. */
  readonly paperEvalEpisodes: number;
  /** Theia's evaluation episodes per evaluation point (25 on every suite). */
  readonly theiaEvalEpisodes: number;
  /** Policy steps per episode in the paper; null where it is a task fact (Adroit: pen 100, relocate 200). */
  readonly horizon: number | null;
}

export const FAMILIES: Readonly<Record<TaskFamily, FamilyFacts>> = {
  dmc: {
    family: 'dmc',
    title: 'DMC',
    metric: 'return',
    metricName: 'return / 10',
    paperDemos: 100,
    paperEvalEpisodes: 10,
    theiaEvalEpisodes: 25,
    horizon: 1000,
  },
  metaworld: {
    family: 'metaworld',
    title: 'MetaWorld',
    metric: 'last-step-success',
    metricName: 'success at the last step, %',
    paperDemos: 25,
    paperEvalEpisodes: 25,
    theiaEvalEpisodes: 25,
    horizon: 500,
  },
  adroit: {
    family: 'adroit',
    title: 'Adroit',
    metric: 'goal-steps',
    metricName: 'success if the goal is reached on more than N steps, %',
    paperDemos: 100,
    paperEvalEpisodes: 25,
    theiaEvalEpisodes: 25,
    horizon: null,
  },
};

export function isTaskFamily(name: string): name is TaskFamily {
  return (TASK_FAMILIES as readonly string[]).includes(name);
}

/** What one episode produced, as far as its score is concerned. */
export interface EpisodeTally {
  episodeReturn: number;
  /** The task's success test after the last step. */
  successAtLastStep: boolean;
  /** Steps (after the reset) on which the task's success test held. */
  successSteps: number;
}

type ScoredTask = Pick<TaskDefinition, 'family' | 'horizon' | 'goalSteps'>;

/** Whether an episode counts as solved in its family's metric (DMC: its success test at the last step). */
export function episodeSucceeded(task: ScoredTask, episode: EpisodeTally): boolean {
  return FAMILIES[task.family].metric === 'goal-steps' ? episode.successSteps > goalSteps(task) : episode.successAtLastStep;
}

/**
 * Score of one episode in its family's metric. `horizon` is the number of policy steps the episode was run for
 * (a profile may shorten it; the task's own horizon by default). A DMC return over H < 1000 steps is scaled to the
 * task's full horizon: score = (return x 1000 / H) / 10 = 100 x the mean per-step reward, which is return / 10
 * when H = 1000. Success metrics are not scaled.
 */
export function episodeScore(task: ScoredTask, episode: EpisodeTally, horizon = task.horizon): number {
  if (FAMILIES[task.family].metric === 'return') return (episode.episodeReturn * task.horizon) / horizon / 10;
  return episodeSucceeded(task, episode) ? 100 : 0;
}

/** The metric of a task run for `horizon` steps, as recorded in result rows. */
export function metricName(task: ScoredTask, horizon = task.horizon): string {
  switch (FAMILIES[task.family].metric) {
    case 'return':
      return horizon === task.horizon ? 'return/10' : `return/10 scaled to ${task.horizon} steps (horizon ${horizon})`;
    case 'last-step-success':
      return `success at last step % (horizon ${horizon})`;
    case 'goal-steps':
      return `success if goal reached on > ${goalSteps(task)} steps % (horizon ${horizon})`;
  }
}

function goalSteps(task: ScoredTask): number {
  if (task.goalSteps === undefined) throw new Error(`${FAMILIES[task.family].title} tasks need goalSteps (their success rule)`);
  return task.goalSteps;
}
