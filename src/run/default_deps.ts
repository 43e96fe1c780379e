/** The real pieces of a run: the encoder registry, the tfjs policies and their backend selection, the protocol's entropy probe. */
import { availableParallelism } from 'node:os';
import { createEncoder, parseEncoderSpec } from '../encoders/registry.js';
import { protocolEntropyProbe } from '../eval/entropy_cache.js';
import { createPolicy, selectTfBackend } from '../policies/index.js';
import type { RunDependencies } from './deps.js';

export function defaultRunDependencies(): RunDependencies {
  // One per core up to 4: planner demos and probe rollouts are CPU-bound and independent; their files are the same either way.
  const demoWorkers = Math.min(4, availableParallelism());
  return {
    parseEncoderSpec: (spec) => parseEncoderSpec(spec),
    createEncoder: (spec, options) => createEncoder(spec, options),
    createPolicy: (spec, seed, options) => createPolicy(spec, seed, options),
    entropyProbe: () => protocolEntropyProbe(demoWorkers),
    policyBackend: (request) => selectTfBackend(request),
    demoWorkers,
  };
}
