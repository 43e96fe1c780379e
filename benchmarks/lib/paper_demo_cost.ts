/**
 * The `paper` profile's demo cost of one task, in CPU-seconds: its demos (the profile's count for the task) times
 * the CPU-seconds per full-horizon episode of the expert that records them, plus what choosing that expert cost
 * (a distillation). A distillation records the teacher's first demos itself; when the teacher then records the
 * paper demos after all (the student missed the bar), those are the paper's first demos, read from the demo
 * store, so their CPU time is counted once. When the student keeps the bar, its evaluation episodes are its demos
 * of those seeds (kept by the demo store), counted once too.
 */
import type { TaskDefinition } from '../../src/envs/task.js';
import { getProfile, taskProtocol } from '../../src/protocol/profiles.js';

export interface PaperDemoCostInput {
  /** CPU-seconds per full-horizon episode of the expert that records the paper demos. */
  cpuPerEpisode: number;
  /** CPU-seconds spent choosing the demo expert (a distillation, its teacher demos included; 0 when cached). */
  distillCpu?: number;
  /** Of `distillCpu`, the CPU-seconds of teacher demos that are also paper demos (the teacher records them). */
  reusedTeacherDemoCpu?: number;
  /**
   * The distilled student's evaluation episodes that the demo store keeps as its demos (played inside
   * `distillCpu`): the paper's demos of the same seeds are not recorded again.
   */
  keptEvaluationEpisodes?: number;
}

export interface PaperDemoCost {
  /** Paper demos of the task. */
  demos: number;
  cpuSeconds: number;
}

export function paperDemoCost(task: TaskDefinition, input: PaperDemoCostInput): PaperDemoCost {
  const demos = taskProtocol(getProfile('paper'), task).demos;
  const recorded = demos - Math.min(demos, input.keptEvaluationEpisodes ?? 0);
  const cpuSeconds = recorded * input.cpuPerEpisode + (input.distillCpu ?? 0) - (input.reusedTeacherDemoCpu ?? 0);
  return { demos, cpuSeconds };
}
