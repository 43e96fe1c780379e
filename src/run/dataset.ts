/**
 * The behaviour-cloning training set of one cell: FLARE-fused demo features (+ proprio) and demo actions, and the
 * shuffled-action control that breaks the pairing between observations and actions.
 */
import type { DemoFeatures } from '../data/features.js';
import type { DemoEpisode } from '../envs/expert_rollout.js';
import { FlareSamples } from '../policies/flare.js';
import type { BcDataset } from '../policies/policy.js';
import { Rng } from '../util/rng.js';

/**
 * One sample per used demo step: features [S, 3W] = fuse(e(t-2), e(t-1), e(t)) with the history clamped at the
 * episode start (e(-1) = e(-2) = e(0)), fused per mini-batch from the cached frames (no fused copy is held),
 * proprio [S, P] and actions [S, A] from the demo.
 */
export function buildDataset(episodes: readonly DemoEpisode[], features: DemoFeatures): BcDataset {
  if (episodes.length !== features.lengths.length) {
    throw new Error(`buildDataset: ${episodes.length} demo episodes but features for ${features.lengths.length}`);
  }
  const P = episodes[0]?.proprioDim ?? 0;
  const A = episodes[0]?.actionDim ?? 0;
  const samples = new FlareSamples(features.frames, features.lengths);
  const data: BcDataset = {
    count: samples.count,
    features: samples,
    proprio: new Float32Array(samples.count * P),
    actions: new Float32Array(samples.count * A),
  };
  let s = 0;
  episodes.forEach((episode, ep) => {
    if (episode.proprioDim !== P || episode.actionDim !== A) throw new Error(`buildDataset: episode ${ep} has different proprio/action sizes`);
    for (let t = 0; t < features.lengths[ep]!; t++, s++) {
      data.proprio.set(episode.proprio.subarray(t * P, (t + 1) * P), s * P);
      data.actions.set(episode.actions.subarray(t * A, (t + 1) * A), s * A);
    }
  });
  return data;
}

/** The control: the same samples with action rows permuted across samples (seeded), so actions carry no signal. */
export function shuffleActions(data: BcDataset, seed: number): BcDataset {
  const A = data.actions.length / Math.max(data.count, 1);
  const order = new Int32Array(data.count);
  for (let i = 0; i < data.count; i++) order[i] = i;
  // 0x5348 is "SH" (shuffle) in ASCII: forks the control's permutation off the policy seed, so it is independent
  // of the policy's initialisation and minibatch order drawn from the same seed.
  new Rng(seed).fork(0x5348).shuffle(order);
  const actions = new Float32Array(data.actions.length);
  for (let i = 0; i < data.count; i++) actions.set(data.actions.subarray(order[i]! * A, (order[i]! + 1) * A), i * A);
  return { ...data, actions };
}
