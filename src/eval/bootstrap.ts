/**
 * Seeded bootstrap of task scores over policy seeds and evaluation episodes (the two sources of noise in a cell's
 * number), paired across runs: two runs of the same protocol meet the same evaluation episodes (reset seeds) and
 * the same policy seeds, so one draw of seeds and episodes is applied to every run, and a difference of two runs is
 * measured on matched samples.
 */
import { createHash } from 'node:crypto';
import { Rng } from '../util/rng.js';

/** Replicates drawn per interval; enough for stable 2.5 / 97.5 percentiles. */
export const BOOTSTRAP_REPLICATES = 2000;
/** An arbitrary fixed seed: the same inputs give the same intervals on every machine. */
export const BOOTSTRAP_SEED = 13_2024;

/** A generator for one named group (e.g. task x encoder) that does not depend on which other groups are drawn. */
export function groupRng(seed: number, group: string): Rng {
  const hash = createHash('sha256').update(`${seed}\n${group}`).digest();
  return new Rng(hash.readUInt32LE(0));
}

/**
 * Replicates of one task's score (mean over seeds of the mean over episodes) in every run.
 * `runs` [R][S][K]: per run, per policy seed, the episode scores of the scored evaluation; every run must have the
 * same S seeds and, per seed, the same number of episodes (they are paired by position). Each replicate draws S
 * seeds with replacement, then, within each drawn seed, K episodes with replacement, and scores every run on that
 * draw. Returns one Float64Array of `replicates` scores per run.
 */
export function pairedTaskReplicates(runs: readonly (readonly (readonly number[])[])[], replicates: number, rng: Rng): Float64Array[] {
  if (runs.length === 0) throw new Error('pairedTaskReplicates: needs at least one run');
  const seeds = runs[0]!.length;
  if (seeds === 0) throw new Error('pairedTaskReplicates: needs at least one seed');
  const episodes = runs[0]!.map((e) => e.length);
  runs.forEach((run, r) => {
    if (run.length !== seeds) throw new Error(`pairedTaskReplicates: run ${r} has ${run.length} seeds, run 0 has ${seeds}`);
    run.forEach((e, s) => {
      if (e.length !== episodes[s] || e.length === 0) throw new Error(`pairedTaskReplicates: seed ${s} of run ${r} has ${e.length} episodes, expected ${episodes[s]} (> 0)`);
    });
  });
  const out = runs.map(() => new Float64Array(replicates));
  const sums = new Float64Array(runs.length);
  for (let b = 0; b < replicates; b++) {
    sums.fill(0);
    for (let s = 0; s < seeds; s++) {
      const seed = rng.int(seeds);
      const K = episodes[seed]!;
      const cellSums = new Float64Array(runs.length);
      for (let k = 0; k < K; k++) {
        const episode = rng.int(K);
        for (let r = 0; r < runs.length; r++) cellSums[r] += runs[r]![seed]![episode]!;
      }
      for (let r = 0; r < runs.length; r++) sums[r] += cellSums[r]! / K;
    }
    for (let r = 0; r < runs.length; r++) out[r]![b] = sums[r]! / seeds;
  }
  return out;
}

/** Element-wise mean of equally long replicate vectors (a family from its tasks, a benchmark from its families). */
export function meanOfReplicates(parts: readonly Float64Array[]): Float64Array {
  if (parts.length === 0) throw new Error('meanOfReplicates: nothing to average');
  const out = new Float64Array(parts[0]!.length);
  for (const p of parts) {
    if (p.length !== out.length) throw new Error(`meanOfReplicates: replicate vectors of length ${p.length} and ${out.length}`);
    for (let i = 0; i < out.length; i++) out[i] += p[i]!;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= parts.length;
  return out;
}
