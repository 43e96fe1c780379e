/**
 * The behaviour-cloning policy contract between the training/evaluation pipeline and the tfjs models.
 *
 * Per sample the policy sees `features` (the FLARE-fused encoder output, see flare.ts) and `proprio`, and
 * predicts an action. Layouts per sample:
 *   head 'mlp':  features [3 * D]            ([e(t-1) - e(t-2), e(t) - e(t-1), e(t)] of pooled vectors)
 *   head 'conv': features [3, T, C]          (the same fusion of spatial token grids, T = grid * grid tokens)
 */
import type { FlareSamples } from './flare.js';

export type PolicyHead = 'mlp' | 'conv';

export interface PolicySpec {
  head: PolicyHead;
  /** Per-sample fused feature length (3 * D for 'mlp', 3 * T * C for 'conv'). */
  featureDim: number;
  /** Token grid for the conv head: T = grid * grid tokens of C channels. */
  tokens?: { grid: number; channels: number };
  proprioDim: number;
  actionDim: number;
}

/** A training set: S samples, row-major. */
export interface BcDataset {
  count: number;
  /** [S, featureDim]: the rows themselves, or episodes' frames fused on demand (flare.ts). */
  features: Float32Array | FlareSamples;
  /** [S, proprioDim] */
  proprio: Float32Array;
  /** [S, actionDim] */
  actions: Float32Array;
}

export interface BcPolicy {
  readonly spec: PolicySpec;
  /** One epoch (every sample once, shuffled from `seed`) of Adam on MSE; returns the mean loss. */
  trainEpoch(data: BcDataset, seed: number): Promise<number>;
  /** Deterministic actions [N, actionDim] with BatchNorm in inference mode (asynchronous on ONNX Runtime). */
  predict(features: Float32Array, proprio: Float32Array, n: number): Float32Array | Promise<Float32Array>;
  /** Frees the model; resolves once ONNX Runtime has released its sessions (rejects, naming the policy, if not). */
  dispose(): Promise<void>;
}
