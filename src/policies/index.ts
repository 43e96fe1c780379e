/** Behaviour-cloning policies: `createPolicy` builds the head named by a `PolicySpec`. */
import { selectTfBackend } from './backend.js';
import { ConvHeadModel, checkConvGrid } from './conv_head.js';
import { OrtConvHeadModel } from './conv_head_ort.js';
import { MlpModel, OrtMlpModel } from './mlp_policy.js';
import type { PolicySpec } from './policy.js';
import type { AdamOptions } from './adam.js';
import { initScales, type PolicyInit } from './init.js';
import type { PolicyEngine, TrainingOptions } from './training.js';
import { DEFAULT_TRAINING, TfBcPolicy } from './training.js';

export type { BcDataset, BcPolicy, PolicyHead, PolicySpec } from './policy.js';
export type { TfBackendInfo, TfBackendRequest } from './backend.js';
export { selectTfBackend, TF_BACKEND_REQUESTS } from './backend.js';
export { FlareHistory, flareFuseEpisode, flareFuseTokenEpisode } from './flare.js';
export type { PolicyEngine, TrainingOptions } from './training.js';
export type { PolicyInit } from './init.js';
export { isPolicyInit, POLICY_INITS } from './init.js';
export { DEFAULT_TRAINING, TfBcPolicy } from './training.js';

/** Overrides of the protocol's training settings (tests, ablations). */
export interface TrainingOverrides {
  batchSize?: number;
  adam?: Partial<AdamOptions>;
  init?: PolicyInit;
  /** Where the policy trains (training.ts; default: the engine of the running backend, backend.ts) and on how many ONNX Runtime threads. */
  engine?: PolicyEngine;
  threads?: number;
}

/**
 * Builds a policy whose initial weights depend only on `spec` and `seed` (PyTorch default initialisation drawn
 * from `Rng(seed)`). Initialises the tfjs backend first (`selectTfBackend('auto')`) unless one is already set; the
 * policy trains on `options.engine`, by default the engine 'auto' gives with that backend (backend.ts).
 * `options` overrides the protocol's batch size 256, Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8) and init ('mjrl').
 */
export async function createPolicy(spec: PolicySpec, seed: number, options: TrainingOverrides = {}): Promise<TfBcPolicy> {
  validatePolicySpec(spec);
  if (!Number.isFinite(seed)) throw new Error(`createPolicy: seed must be a finite number, got ${seed}`);
  const training: TrainingOptions = {
    batchSize: options.batchSize ?? DEFAULT_TRAINING.batchSize,
    adam: { ...DEFAULT_TRAINING.adam, ...options.adam },
    init: options.init ?? DEFAULT_TRAINING.init,
    ...(options.engine !== undefined && { engine: options.engine }),
    ...(options.threads !== undefined && { threads: options.threads }),
  };
  initScales(training.init); // names a bad init before any work
  if (!Number.isInteger(training.batchSize) || training.batchSize < 2) {
    throw new Error(`createPolicy: batchSize must be an integer >= 2, got ${training.batchSize}`);
  }
  const backend = await selectTfBackend();
  training.engine ??= backend.engine;
  const onOrt = training.engine === 'onnxruntime';
  const model =
    spec.head === 'conv'
      ? onOrt
        ? await OrtConvHeadModel.create(spec, seed, training)
        : new ConvHeadModel(spec, seed, training)
      : onOrt
        ? await OrtMlpModel.create(spec, seed, training)
        : new MlpModel(spec, seed, training);
  return new TfBcPolicy(spec, model, training);
}

/** Throws an error naming the first field of `spec` that is missing or inconsistent. */
export function validatePolicySpec(spec: PolicySpec): void {
  if (spec === null || typeof spec !== 'object') throw new Error('PolicySpec: expected an object');
  if (spec.head !== 'mlp' && spec.head !== 'conv') {
    throw new Error(`PolicySpec: head must be 'mlp' or 'conv', got ${JSON.stringify(spec.head)}`);
  }
  const positive = (name: string, value: unknown): void => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new Error(`PolicySpec: ${name} must be a positive integer, got ${JSON.stringify(value)}`);
    }
  };
  positive('featureDim', spec.featureDim);
  positive('actionDim', spec.actionDim);
  if (typeof spec.proprioDim !== 'number' || !Number.isInteger(spec.proprioDim) || spec.proprioDim < 0) {
    throw new Error(`PolicySpec: proprioDim must be an integer >= 0, got ${JSON.stringify(spec.proprioDim)}`);
  }
  if (spec.head === 'mlp') {
    if (spec.featureDim % 3 !== 0) {
      throw new Error(`PolicySpec: an 'mlp' head takes FLARE-fused features of 3 * D values, got featureDim ${spec.featureDim}`);
    }
    return;
  }
  if (!spec.tokens) throw new Error("PolicySpec: a 'conv' head needs tokens: { grid, channels }");
  positive('tokens.grid', spec.tokens.grid);
  positive('tokens.channels', spec.tokens.channels);
  checkConvGrid(spec.tokens.grid);
  const expected = 3 * spec.tokens.grid * spec.tokens.grid * spec.tokens.channels;
  if (spec.featureDim !== expected) {
    throw new Error(
      `PolicySpec: featureDim must be 3 * grid^2 * channels = ${expected} for a 'conv' head with tokens ` +
        `${JSON.stringify(spec.tokens)}, got ${spec.featureDim}`,
    );
  }
}
