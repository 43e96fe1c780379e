/** A small entropy probe of seeded random frames, for tests whose subject is not the protocol's probe set. */
import type { EntropyProbe } from '../../src/eval/entropy_cache.js';
import { probeSet } from '../../src/protocol/entropy_probe.js';
import { defaultRunDependencies } from '../../src/run/default_deps.js';
import type { RunDependencies } from '../../src/run/deps.js';
import { Rng } from '../../src/util/rng.js';

export function syntheticProbe(frames = 8, size = 32, seed = 1): EntropyProbe {
  const set = probeSet({ name: `test-random-frames-${frames}x${size}-seed${seed}`, tasks: [], episodeSeeds: [seed], frameSteps: [], imageSize: size, look: null });
  return {
    set,
    async frames() {
      const rng = new Rng(seed);
      const data = new Uint8Array(frames * size * size * 3);
      for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
      return { data, n: frames, height: size, width: size };
    },
  };
}

/**
 * The real pieces of a run but for the entropy probe, which is `syntheticProbe()`: the protocol's renders expert
 * rollouts of every cortexbench task (about a minute), and only entropy_probe.test.ts is about it.
 */
export const syntheticProbeDeps: RunDependencies = { ...defaultRunDependencies(), entropyProbe: () => syntheticProbe() };
