/** The pieces a run is built from, injectable so that tests can swap a slow or missing piece for a small fake. */
import type { Encoder, EncoderOptions } from '../encoders/encoder.js';
import type { EncoderSpec } from '../encoders/registry.js';
import type { EntropyProbe } from '../eval/entropy_cache.js';
import type { TfBackendInfo, TfBackendRequest } from '../policies/backend.js';
import type { PolicyInit } from '../policies/init.js';
import type { PolicyEngine } from '../policies/training.js';
import type { BcPolicy, PolicySpec } from '../policies/policy.js';

export interface RunDependencies {
  /** The encoder registry's reading of a spec string; unknown specs throw. Called once per spec, before any work. */
  parseEncoderSpec(spec: string): EncoderSpec;
  createEncoder(spec: EncoderSpec, options: EncoderOptions): Promise<Encoder>;
  /** A policy whose initial weights depend only on `spec`, `seed` and `init`, trained in mini-batches of `batchSize` on `engine`. */
  createPolicy(spec: PolicySpec, seed: number, options: { batchSize: number; init: PolicyInit; engine: PolicyEngine }): Promise<BcPolicy>;
  /** The probe set entropy is measured on (the protocol's fixed one; tests pass small ones of their own). */
  entropyProbe(): EntropyProbe;
  /** Initialises the policy backend once (the request: policies/backend.ts) and describes it, with the engine the request trains on. */
  policyBackend(request: TfBackendRequest): Promise<TfBackendInfo>;
  /** Worker threads that record missing demos of built-in tasks (1 when omitted: in the run's own thread). */
  demoWorkers?: number;
}
