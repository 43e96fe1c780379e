/** The real pieces of a run: the encoder registry, the tfjs policies and their backend selection, the protocol's entropy probe. */
import { availableParallelism } from 'node:os';
import { createEncoder, parseEncoderSpec } from '../encoders/registry.js';
import { protocolEntropyProbe } from '../eval/entropy_cache.js';
import { createPolicy, selectTfBackend } from '../policies/index.js';
import type { RunDependencies } from './deps.js';

export function defaultRunDependencies(): RunDependencies {
  return {
    parseEncoderSpec: (spec) => parseEncoderSpec(spec),
    createEncoder: (spec, options) => createEncoder(spec, options),
    createPolicy: (spec, seed, options) => createPolicy(spec, seed, options),
    entropyProbe: () => protocolEntropyProbe(),
    policyBackend: (request) => selectTfBackend(request),
    // One per core up to 4: planner demos are CPU-bound and independent; demo files are the same either way.
    demoWorkers: Math.min(4, availableParallelism()),
  };
}
