/**
 * The on-disk format of one demonstration episode (".bdemo"), little-endian:
 *
 *   bytes 0-7    magic "BDEMO01\n"
 *   bytes 8-11   uint32 H: byte length of the JSON header
 *   next H bytes UTF-8 JSON header (`DemoFileHeader`), space-padded so that the arrays start 8-byte aligned
 *   arrays       in header.arrays order, each `shape` product x dtype size bytes, each padded to 8 bytes
 *
 * The header carries the episode's identity (task, version, expert, scene, seed) so that a file that does not
 * belong to the requested set is never used, and the scalar results so that summaries need no array reads.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import type { DemoEpisode } from '../envs/expert_rollout.js';

const MAGIC = Buffer.from('BDEMO01\n', 'ascii');
const PREFIX_BYTES = MAGIC.length + 4;

/** Who produced an episode: everything besides the seed that determines its content. */
export interface DemoIdentity {
  task: string;
  taskVersion: number;
  expert: string;
  /** Digest of the scene options, or null for the task's canonical scene. */
  scene: string | null;
}

type Dtype = 'float64' | 'float32' | 'uint8';

interface ArrayEntry {
  name: 'states' | 'proprio' | 'actions' | 'rewards' | 'successes';
  dtype: Dtype;
  shape: number[];
}

interface DemoFileHeader extends DemoIdentity {
  format: 1;
  seed: number;
  length: number;
  stateSize: number;
  actionDim: number;
  proprioDim: number;
  episodeReturn: number;
  success: boolean;
  arrays: ArrayEntry[];
}

/** A file that is not a readable demo episode, or not the one asked for. */
export class DemoFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`demo file ${path}: ${reason}`);
    this.name = 'DemoFileError';
  }
}

const BYTES: Record<Dtype, number> = { float64: 8, float32: 4, uint8: 1 };

function assertLittleEndian(): void {
  // Typed arrays use the platform's byte order; every platform Node supports in practice is little-endian.
  if (endianness() !== 'LE') throw new Error('demo files are little-endian; this platform is big-endian');
}

const pad8 = (n: number): number => (8 - (n % 8)) % 8;

/** Serialises an episode with its identity. */
export function encodeDemoEpisode(identity: DemoIdentity, episode: DemoEpisode): Uint8Array {
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
  const header: DemoFileHeader = {
    format: 1,
    ...identity,
    seed: episode.seed,
    length: T,
    stateSize: S,
    actionDim: A,
    proprioDim: P,
    episodeReturn: episode.episodeReturn,
    success: episode.success,
    arrays: arrays.map((a) => a.entry),
  };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  json = Buffer.concat([json, Buffer.alloc(pad8(PREFIX_BYTES + json.length), 0x20)]);
  const parts: Buffer[] = [MAGIC, Buffer.alloc(4), json];
  parts[1]!.writeUInt32LE(json.length, 0);
  for (const { data } of arrays) {
    parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    parts.push(Buffer.alloc(pad8(data.byteLength)));
  }
  return Buffer.concat(parts);
}

/** Reads an episode and checks that it belongs to `expected` and has the seed asked for. */
export function readDemoEpisode(path: string, expected: DemoIdentity, seed: number): DemoEpisode {
  assertLittleEndian();
  const bytes = readFileSync(path);
  if (bytes.length < PREFIX_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new DemoFileError(path, 'not a demo file (bad magic bytes)');
  }
  const headerBytes = bytes.readUInt32LE(MAGIC.length);
  if (PREFIX_BYTES + headerBytes > bytes.length) throw new DemoFileError(path, 'truncated header');
  let header: DemoFileHeader;
  try {
    header = JSON.parse(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes).toString('utf8')) as DemoFileHeader;
  } catch (err) {
    throw new DemoFileError(path, `unreadable header (${(err as Error).message})`);
  }
  if (header.format !== 1) throw new DemoFileError(path, `unsupported format ${String(header.format)}, expected 1`);
  for (const key of ['task', 'taskVersion', 'expert', 'scene'] as const) {
    if (header[key] !== expected[key]) {
      throw new DemoFileError(path, `${key} is ${JSON.stringify(header[key])}, expected ${JSON.stringify(expected[key])}`);
    }
  }
  if (header.seed !== seed) throw new DemoFileError(path, `seed is ${header.seed}, expected ${seed}`);

  let offset = PREFIX_BYTES + headerBytes;
  const read = (entry: ArrayEntry): Float64Array | Float32Array | Uint8Array => {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const byteLength = count * BYTES[entry.dtype];
    if (offset + byteLength > bytes.length) throw new DemoFileError(path, `truncated array '${entry.name}'`);
    // Copy into a fresh, aligned ArrayBuffer: Node's Buffer may sit at any offset of a shared pool.
    const copy = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + byteLength);
    offset += byteLength + pad8(byteLength);
    if (entry.dtype === 'float64') return new Float64Array(copy);
    if (entry.dtype === 'float32') return new Float32Array(copy);
    return new Uint8Array(copy);
  };
  const byName = new Map(header.arrays.map((entry) => [entry.name, read(entry)]));
  const get = <T extends Float64Array | Float32Array | Uint8Array>(name: ArrayEntry['name'], type: new (n: number) => T): T => {
    const data = byName.get(name);
    if (!(data instanceof type)) throw new DemoFileError(path, `array '${name}' is missing or has the wrong type`);
    return data;
  };
  const episode: DemoEpisode = {
    seed: header.seed,
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
    if (actual !== wanted) throw new DemoFileError(path, `array '${name}' has ${actual} values, expected ${wanted}`);
  }
  return episode;
}
