/** Turning a run's options into its list of cells (task x training scenes x encoder x seed). */
import type { CellKey } from '../results/run_dir.js';
import type { TrainingFactors } from './scenes.js';

/**
 * A planned cell: task name, encoder spec string (e.g. "vit-tiny-random", "onnx:model.onnx"), policy seed and, in a
 * sweep, the training factors (factor set and K; absent: the canonical scene).
 */
export type CellSpec = CellKey & { training?: TrainingFactors };

export interface Shard {
  /** 0-based shard index. */
  index: number;
  count: number;
}

/**
 * All cells in a fixed order (task, then training scenes, then encoder, then seed: cells that share demos and
 * features run back to back). With a shard, the cells whose position modulo `count` equals `index`; every shard of
 * the same options sees the same full list, so the shards partition it exactly. An empty shard is an error that
 * says so. `trainings` lists a sweep's training factors; a plain run has the one canonical scene.
 */
export function planCells(
  tasks: readonly string[],
  encoders: readonly string[],
  seeds: readonly number[],
  shard?: Shard,
  trainings: readonly (TrainingFactors | null)[] = [null],
): CellSpec[] {
  if (tasks.length === 0) throw new Error('planCells: no tasks to run');
  if (encoders.length === 0) throw new Error('planCells: no encoders to run');
  if (seeds.length === 0) throw new Error('planCells: no seeds to run');
  for (const [name, list] of [['tasks', tasks], ['encoders', encoders], ['seeds', seeds.map(String)]] as const) {
    const dup = list.find((v, i) => list.indexOf(v) !== i);
    if (dup !== undefined) throw new Error(`${name}: '${dup}' is listed twice`);
  }
  const cells: CellSpec[] = [];
  for (const task of tasks) {
    for (const training of trainings) {
      for (const encoder of encoders) for (const seed of seeds) cells.push(training ? { task, encoder, seed, training } : { task, encoder, seed });
    }
  }
  if (!shard) return cells;
  const mine = cells.filter((_, i) => i % shard.count === shard.index);
  if (mine.length === 0) {
    throw new Error(
      `--shard ${shard.index + 1}/${shard.count} is empty: the plan has ${cells.length} cell(s), so only shards 1 to ` +
        `${Math.min(cells.length, shard.count)} of ${shard.count} have work; nothing to run`,
    );
  }
  return mine;
}
