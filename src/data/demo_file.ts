/**
 * The on-disk format of one demonstration episode (".bdemo"): a cache file (cache_file.ts) with magic "BDEMO03\n",
 * a `DemoFileHeader`, and as payload the arrays in header.arrays order, each `shape` product x dtype size bytes
 * (little-endian), each padded to 8 bytes.
 *
 * The header carries the episode's identity (task, version, expert, scene variant digest, seed) so that a file that
 * does not belong to the requested set is never used, the scene variant itself (the factor values the episode was
 * recorded under), the scalar results so that summaries need no array reads, and the payload's hash so that a
 * changed file is never used.
 */
import { existsSync } from 'node:fs';
import { endianness } from 'node:os';
import type { DemoEpisode } from '../envs/expert_rollout.js';
import { variantDigest, type SceneVariant } from '../envs/factors/variant.js';
import { writeFileAtomic } from '../util/atomic.js';
import { CacheFileError, encodeCacheFile, readCacheFile } from './cache_file.js';

/** Format 2 added the payload hash, format 3 the episode's scene variant. */
const FORMAT = 3;
const MAGIC = 'BDEMO03\n';
const KIND = 'demo file';

/** Who produced an episode: everything besides the seed that determines its content. */
export interface DemoIdentity {
  task: string;
  taskVersion: number;
  expert: string;
  /** Digest of the scene variant the episode was played in (envs/factors/variant.ts). */
  scene: string;
  /** Policy steps recorded per episode when fewer than the task's horizon (a profile's shorter horizon), else null. */
  maxSteps: number | null;
}

type Dtype = 'float64' | 'float32' | 'uint8';

interface ArrayEntry {
  name: 'states' | 'proprio' | 'actions' | 'rewards' | 'successes';
  dtype: Dtype;
  shape: number[];
}

interface DemoFileHeader extends DemoIdentity {
  format: typeof FORMAT;
  seed: number;
  variant: SceneVariant;
  length: number;
  stateSize: number;
  actionDim: number;
  proprioDim: number;
  episodeReturn: number;
  success: boolean;
  arrays: ArrayEntry[];
}

/** A demo file that cannot be used: damaged, of another format, or not the episode asked for. */
const demoFileError = (path: string, reason: string): CacheFileError => new CacheFileError(path, KIND, reason);

const BYTES: Record<Dtype, number> = { float64: 8, float32: 4, uint8: 1 };

function assertLittleEndian(): void {
  // Typed arrays use the platform's byte order; every platform Node supports in practice is little-endian.
  if (endianness() !== 'LE') throw new Error('demo files are little-endian; this platform is big-endian');
}

const pad8 = (n: number): number => (8 - (n % 8)) % 8;

/** Serialises an episode with its identity, as chunks to write in order. */
export function encodeDemoEpisode(identity: DemoIdentity, episode: DemoEpisode): Uint8Array[] {
  assertLittleEndian();
  const { length: T, stateSize: S, actionDim: A, proprioDim: P } = episode;
  const arrays: { entry: ArrayEntry; data: Float64Array | Float32Array | Uint8Array }[] = [
    { entry: { name: 'states', dtype: 'float64', shape: [T, S] }, data: episode.states },
    { entry: { name: 'proprio', dtype: 'float32', shape: [T, P] }, data: episode.proprio },
    { entry: { name: 'actions', dtype: 'float32', shape: [T, A] }, data: episode.actions },
    { entry: { name: 'rewards', dtype: 'float64', shape: [T] }, data: episode.rewards },
    { entry: { name: 'successes', dtype: 'uint8', shape: [T] }, data: episode.successes },
  ];
  for (const { entry, data } of arrays) {
    const expected = entry.shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new Error(`encodeDemoEpisode: ${entry.name} has ${data.length} values, expected ${expected} (shape [${entry.shape}])`);
    }
  }
  if (variantDigest(episode.variant) !== identity.scene) {
    throw new Error(`encodeDemoEpisode: the episode's scene variant is ${variantDigest(episode.variant)}, its identity says ${identity.scene}`);
  }
  const header: DemoFileHeader = {
    format: FORMAT,
    ...identity,
    seed: episode.seed,
    variant: episode.variant,
    length: T,
    stateSize: S,
    actionDim: A,
    proprioDim: P,
    episodeReturn: episode.episodeReturn,
    success: episode.success,
    arrays: arrays.map((a) => a.entry),
  };
  const payload = arrays.flatMap(({ data }) => [new Uint8Array(data.buffer, data.byteOffset, data.byteLength), new Uint8Array(pad8(data.byteLength))]);
  return encodeCacheFile(MAGIC, header, payload);
}

/** Writes `episode` of the set `identity` to `path` atomically; `what` names the file in errors (e.g. 'demo episode'). */
export function writeEpisodeFile(path: string, identity: DemoIdentity, episode: DemoEpisode, what: string): void {
  writeFileAtomic(path, encodeDemoEpisode(identity, episode), what);
}

/**
 * The episode cached at `path`, or null when there is none or it is unreadable, damaged or of another set
 * (`onDamaged` hears the CacheFileError, so the caller can say it makes the episode again); other errors throw.
 */
export function readCachedEpisode(path: string, expected: DemoIdentity, seed: number, onDamaged: (error: CacheFileError) => void): DemoEpisode | null {
  if (!existsSync(path)) return null;
  try {
    return readDemoEpisode(path, expected, seed);
  } catch (err) {
    if (!(err instanceof CacheFileError)) throw err;
    onDamaged(err);
    return null;
  }
}

/** Reads an episode and checks that it belongs to `expected` and has the seed asked for; else a CacheFileError. */
export function readDemoEpisode(path: string, expected: DemoIdentity, seed: number): DemoEpisode {
  assertLittleEndian();
  const read = readCacheFile(path, KIND, MAGIC);
  const header = read.header as unknown as DemoFileHeader;
  const bytes = read.payload;
  if (header.format !== FORMAT) throw demoFileError(path, `unsupported format ${String(header.format)}, expected ${FORMAT}`);
  // Files written before `maxSteps` existed hold full-horizon episodes.
  header.maxSteps ??= null;
  for (const key of ['task', 'taskVersion', 'expert', 'scene', 'maxSteps'] as const) {
    if (header[key] !== expected[key]) {
      throw demoFileError(path, `${key} is ${JSON.stringify(header[key])}, expected ${JSON.stringify(expected[key])}`);
    }
  }
  if (header.seed !== seed) throw demoFileError(path, `seed is ${header.seed}, expected ${seed}`);
  if (!header.variant || variantDigest(header.variant) !== header.scene) throw demoFileError(path, 'its scene variant does not match its digest');

  let offset = 0;
  const readArray = (entry: ArrayEntry): Float64Array | Float32Array | Uint8Array => {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const byteLength = count * BYTES[entry.dtype];
    if (offset + byteLength > bytes.length) throw demoFileError(path, `truncated array '${entry.name}'`);
    // Copy into a fresh, aligned ArrayBuffer: Node's Buffer may sit at any offset of a shared pool.
    const copy = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + byteLength);
    offset += byteLength + pad8(byteLength);
    if (entry.dtype === 'float64') return new Float64Array(copy);
    if (entry.dtype === 'float32') return new Float32Array(copy);
    return new Uint8Array(copy);
  };
  const byName = new Map(header.arrays.map((entry) => [entry.name, readArray(entry)]));
  const get = <T extends Float64Array | Float32Array | Uint8Array>(name: ArrayEntry['name'], type: new (n: number) => T): T => {
    const data = byName.get(name);
    if (!(data instanceof type)) throw demoFileError(path, `array '${name}' is missing or has the wrong type`);
    return data;
  };
  const episode: DemoEpisode = {
    seed: header.seed,
    variant: header.variant,
    length: header.length,
    stateSize: header.stateSize,
    actionDim: header.actionDim,
    proprioDim: header.proprioDim,
    states: get('states', Float64Array),
    proprio: get('proprio', Float32Array),
    actions: get('actions', Float32Array),
    rewards: get('rewards', Float64Array),
    successes: get('successes', Uint8Array),
    episodeReturn: header.episodeReturn,
    success: header.success,
  };
  const T = episode.length;
  const sizes: [string, number, number][] = [
    ['states', episode.states.length, T * episode.stateSize],
    ['proprio', episode.proprio.length, T * episode.proprioDim],
    ['actions', episode.actions.length, T * episode.actionDim],
    ['rewards', episode.rewards.length, T],
    ['successes', episode.successes.length, T],
  ];
  for (const [name, actual, wanted] of sizes) {
    if (actual !== wanted) throw demoFileError(path, `array '${name}' has ${actual} values, expected ${wanted}`);
  }
  return episode;
}
