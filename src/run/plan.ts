/** Turning a run's options into its list of cells (task x encoder x seed) and parsing the CLI's list options. */
import type { CellKey } from '../results/run_dir.js';

/** A planned cell: task name, encoder spec string (e.g. "vit-tiny-random", "onnx:model.onnx") and policy seed. */
export type CellSpec = CellKey;

export interface Shard {
  /** 0-based shard index. */
  index: number;
  count: number;
}

/**
 * All cells in a fixed order (task, then encoder, then seed: cells that share features run back to back).
 * With a shard, the cells whose position modulo `count` equals `index`; every shard of the same options sees
 * the same full list, so the shards partition it exactly.
 */
export function planCells(tasks: readonly string[], encoders: readonly string[], seeds: readonly number[], shard?: Shard): CellSpec[] {
  if (tasks.length === 0) throw new Error('planCells: no tasks to run');
  if (encoders.length === 0) throw new Error('planCells: no encoders to run');
  if (seeds.length === 0) throw new Error('planCells: no seeds to run');
  for (const [name, list] of [['tasks', tasks], ['encoders', encoders], ['seeds', seeds.map(String)]] as const) {
    const dup = list.find((v, i) => list.indexOf(v) !== i);
    if (dup !== undefined) throw new Error(`${name}: '${dup}' is listed twice`);
  }
  const cells: CellSpec[] = [];
  for (const task of tasks) for (const encoder of encoders) for (const seed of seeds) cells.push({ task, encoder, seed });
  return shard ? cells.filter((_, i) => i % shard.count === shard.index) : cells;
}

/** "100,200,300" -> [100, 200, 300]; seeds are non-negative integers. */
export function parseSeeds(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) {
    throw new Error(`--seeds: expected a comma-separated list of non-negative integers (e.g. 100,200,300), got '${text}'`);
  }
  return parts.map((p) => {
    if (!/^\d+$/.test(p) || !Number.isSafeInteger(Number(p))) {
      throw new Error(`--seeds: '${p}' is not a non-negative integer (expected e.g. 100,200,300; got '${text}')`);
    }
    return Number(p);
  });
}

/** "1/4" -> { index: 0, count: 4 } (the CLI counts shards from 1). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i < 1 || i > n) throw new Error(`--shard: expected i/n with 1 <= i <= n (e.g. 2/4), got '${text}'`);
  return { index: i - 1, count: n };
}

/** A comma-separated list option, trimmed, empty entries rejected. */
export function parseList(option: string, text: string): string[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new Error(`${option}: empty entry in '${text}' (expected a comma-separated list)`);
  return parts;
}
