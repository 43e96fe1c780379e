/** A task's protocol facts in one flat record, as `bench tasks` lists them. */
import { FAMILIES, metricName, type TaskFamily } from './families.js';
import type { TaskDefinition } from './task.js';

export interface TaskFacts {
  task: string;
  family: TaskFamily;
  benchmarks: string[];
  version: number;
  /** Policy steps per episode. */
  horizon: number;
  /** Physics timestep (s) and physics steps per policy step. */
  timestep: number;
  substeps: number;
  /** Seconds per policy step: timestep x substeps. */
  control_timestep: number;
  camera: string;
  action_dim: number;
  proprio_dim: number;
  metric: string;
  /** Adroit's success rule: goal reached on more than this many steps; null for other families. */
  goal_steps: number | null;
  paper_demos: number;
  /** Evaluation episodes per evaluation point in VC-1's protocol, and in Theia's. */
  paper_eval_episodes: number;
  theia_eval_episodes: number;
  expert: string;
}

/** The facts of a definition (makes its Task and Expert objects, which cost no simulation). */
export function taskFacts(definition: TaskDefinition): TaskFacts {
  const task = definition.createTask();
  const expert = definition.createExpert();
  expert.dispose?.();
  const family = FAMILIES[definition.family];
  return {
    task: definition.name,
    family: definition.family,
    benchmarks: [...definition.benchmarks],
    version: definition.version,
    horizon: definition.horizon,
    timestep: definition.timestep,
    substeps: definition.substeps,
    control_timestep: Number((definition.timestep * definition.substeps).toPrecision(12)),
    camera: definition.defaultCamera,
    action_dim: task.actionSpec.dim,
    proprio_dim: task.proprioDim,
    metric: metricName(definition),
    goal_steps: definition.goalSteps ?? null,
    paper_demos: family.paperDemos,
    paper_eval_episodes: family.paperEvalEpisodes,
    theia_eval_episodes: family.theiaEvalEpisodes,
    expert: expert.name,
  };
}
