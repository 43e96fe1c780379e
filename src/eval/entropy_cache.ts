/**
 * Feature-norm entropy per (encoder, probe set), cached across runs: the number depends on the encoder's digest, the
 * probe set's digest and the entropy definition (entropy.ts), and on nothing a run chooses, so
 * <cacheDir>/entropy/<key>.json with key = sha256 of those three serves every run on any task list and profile.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { renderProbeFrames } from '../data/probe_frames.js';
import type { Encoder, FrameBatch } from '../encoders/encoder.js';
import { cortexbenchProbeSet, type ProbeSet } from '../protocol/entropy_probe.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readJsonFile } from '../util/json_file.js';
import { ENTROPY_BINS, ENTROPY_SENSITIVITY_BINS, featureNormEntropy, ROUNDING_SPREAD, type NormEntropy } from './entropy.js';

/** Bump when the entropy's definition changes for the same encoder and frames (it is part of every key). */
const ENTROPY_DEFINITION = { version: 1, bins: ENTROPY_BINS, sensitivityBins: ENTROPY_SENSITIVITY_BINS, roundingSpread: ROUNDING_SPREAD };

/** A probe set and how its frames are made (the protocol's renders expert rollouts; tests may pass small synthetic ones). */
export interface EntropyProbe {
  set: ProbeSet;
  /**
   * The frames [N, S, S, 3]; `warn` hears of damaged cache files that are made again; an aborted `signal` stops the
   * work with the signal's reason.
   */
  frames(cacheDir: string, warn: (line: string) => void, signal?: AbortSignal): Promise<FrameBatch>;
}

/** The protocol's probe: every registered cortexbench task (protocol/entropy_probe.ts), its rollouts in `workers` threads. */
export function protocolEntropyProbe(workers = 1): EntropyProbe {
  const set = cortexbenchProbeSet();
  return { set, frames: (cacheDir, warn, signal) => renderProbeFrames(set, cacheDir, warn, signal, workers) };
}

interface EntropyCacheFile {
  key: string;
  encoderDigest: string;
  probe: ProbeSet;
  definition: typeof ENTROPY_DEFINITION;
  result: NormEntropy;
  /** sha256 of JSON.stringify(result): an edited or damaged value is recomputed, never used. */
  resultSha256: string;
}

const resultHash = (result: NormEntropy): string => createHash('sha256').update(JSON.stringify(result)).digest('hex');

/** sha256 of the entropy definition, the encoder digest and the probe digest: all an entropy value depends on. */
export function entropyCacheKey(encoderDigest: string, probe: ProbeSet): string {
  return createHash('sha256').update(JSON.stringify({ definition: ENTROPY_DEFINITION, encoderDigest, probe: probe.digest })).digest('hex');
}

/** The cached result, or null when the file is missing or not this key's; a damaged file is reported and recomputed. */
function readCached(path: string, key: string, warn: (line: string) => void): NormEntropy | null {
  if (!existsSync(path)) return null;
  try {
    const file = readJsonFile(path, 'entropy cache file') as Partial<EntropyCacheFile>;
    if (file.key !== key) return null;
    if (file.result === undefined || file.resultSha256 !== resultHash(file.result)) throw new Error(`entropy cache file '${path}': content hash mismatch`);
    return file.result;
  } catch (error) {
    warn(`warning: ${error instanceof Error ? error.message : String(error)}; measuring the entropy again`);
    return null;
  }
}

/**
 * The entropy of `encoder` on `probe`: from the cache, or computed on `frames()` (called only on a miss, so a run
 * can render the probe once for all its encoders) and cached.
 */
export async function loadOrComputeEntropy(
  encoder: Encoder,
  probe: EntropyProbe,
  cacheDir: string,
  frames: () => Promise<FrameBatch>,
  warn: (line: string) => void,
): Promise<{ result: NormEntropy; cached: boolean }> {
  const key = entropyCacheKey(encoder.info.digest, probe.set);
  const path = join(cacheDir, 'entropy', `${key}.json`);
  const cached = readCached(path, key, warn);
  if (cached) return { result: cached, cached: true };
  const result = await featureNormEntropy(encoder, await frames());
  const file: EntropyCacheFile = { key, encoderDigest: encoder.info.digest, probe: probe.set, definition: ENTROPY_DEFINITION, result, resultSha256: resultHash(result) };
  writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, `the entropy of encoder '${encoder.info.id}'`);
  return { result, cached: false };
}
