/**
 * The visual factors, Factor-World style, in one table: what each changes, the task targets it needs, its training
 * range (or pool), its out-of-range values and its novel-asset pool, and how its values are drawn. A factor value is
 * drawn from a seeded stream named by the factor, the split's stream and the value's index, so the same index always
 * gives the same value, K = 5 training values start with the K = 1 one, and seen and unseen values never meet.
 *
 * Splits: `seen` = the training values, `unseen` = fresh draws from the training range (pool factors: the rest of
 * the training pool), `out-of-range` = draws from disjoint ranges, `novel-assets` = the other (test) pool.
 */
import { createHash } from 'node:crypto';
import { Rng } from '../../util/rng.js';
import { DISTRACTOR_POOL_SIZES, distractorPool } from '../scene/distractor_pools.js';
import { TEXTURES_PER_POOL, texturePool } from '../scene/texture_pools.js';
import type { FactorTargets, MaterialRole } from '../task.js';

export const FACTOR_NAMES = [
  'camera',
  'light',
  'table-texture',
  'floor-texture',
  'object-texture',
  'background',
  'object-size',
  'table-position',
  'object-position',
  'arm-position',
  'distractors',
  'colour',
] as const;
export type FactorName = (typeof FACTOR_NAMES)[number];

export const SPLITS = ['seen', 'unseen', 'out-of-range', 'novel-assets'] as const;
export type Split = (typeof SPLITS)[number];

export type Vec3 = [number, number, number];

/** Camera on a sphere around the table centre: degrees, degrees from the vertical, metres. */
export interface CameraValue {
  azimuth: number;
  inclination: number;
  radius: number;
}

/** One distractor: identity, base position on the table top (x, y, world at rest), yaw (degrees), scale. */
export interface DistractorValue {
  identity: string;
  xy: [number, number];
  yaw: number;
  scale: number;
}

/** Distracting-Control-style colour shift: per material and channel an offset of magnitude up to `grade`. */
export interface ColourValue {
  /** 0.1 (easy, the training range), 0.2 or 0.3 (out of range: offsets above 0.1). */
  grade: number;
  /** Seed of the per-channel offsets. */
  seed: number;
}

/** The value of each factor a scene varies; an absent factor keeps the task's canonical scene. */
export interface FactorValues {
  camera?: CameraValue;
  light?: number;
  'table-texture'?: string;
  'floor-texture'?: string;
  'object-texture'?: string;
  background?: string;
  'object-size'?: number;
  'table-position'?: Vec3;
  'object-position'?: [number, number];
  'arm-position'?: Vec3;
  distractors?: DistractorValue[];
  colour?: ColourValue;
}

/** Where a value comes from: a position in the split's stream. */
interface Draw {
  split: Split;
  /** 0-based index of the value within its split. */
  index: number;
  targets: FactorTargets;
}

interface FactorDefinition {
  name: FactorName;
  /** What the factor changes (README, `bench sweep --help`). */
  changes: string;
  /** Training range or pool, in words. */
  training: string;
  /** Out-of-range values in words; absent when the factor has no out-of-range split. */
  outOfRange?: string;
  /** The novel-asset pool in words; absent when the factor has no assets. */
  novelAssets?: string;
  /** The model is rebuilt for a new value (once per scene, reused while the value stays). */
  rebuilds: boolean;
  /** How many distinct training-range values exist (pool factors); Infinity for continuous ranges. */
  capacity: number;
  /** Why the factor does not apply to a task with these targets, or null when it does. */
  missing(targets: FactorTargets | undefined): string | null;
  draw(draw: Draw): FactorValues[FactorName];
}

/** A uint32 seed from the names and numbers of a stream (sha256, so unrelated streams never overlap in practice). */
export function streamSeed(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32LE(0);
}

const round = (x: number, digits = 6): number => Math.round(x * 10 ** digits) / 10 ** digits;
const uniform = (rng: Rng, [lo, hi]: readonly [number, number]): number => round(rng.uniform(lo, hi));
/** Uniform over the union of two intervals, each weighted by its length (an empty interval has weight 0). */
function uniformOutside(rng: Rng, below: readonly [number, number], above: readonly [number, number]): number {
  const a = Math.max(0, below[1] - below[0]), b = Math.max(0, above[1] - above[0]);
  const u = rng.uniform(0, a + b);
  return round(u < a ? below[0] + u : above[0] + (u - a));
}

/** A fixed permutation of 0..n-1 per factor: pool factors take seen values from its front, unseen from its back. */
function permutation(factor: string, pool: string, n: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  new Rng(streamSeed('permutation', factor, pool)).shuffle(order);
  return order;
}

/**
 * Index `index` of the split in a pool of `capacity` values: seen from the front of the factor's permutation,
 * unseen from the back (disjoint from the seen ones as long as K + unseen values fit the pool, see variant_sets.ts),
 * novel assets from the front of the other pool's permutation.
 */
function poolPosition(split: Split, index: number, capacity: number): number {
  return split === 'unseen' ? capacity - 1 - (index % capacity) : index % capacity;
}

function rngOf(factor: FactorName, { split, index }: Draw): Rng {
  return new Rng(streamSeed('factor', factor, split, index));
}

function needsMaterial(role: MaterialRole): (targets: FactorTargets | undefined) => string | null {
  return (targets) => (targets?.materials[role] ? null : `it has no ${role} material`);
}

function textureFactor(name: FactorName, role: MaterialRole, changes: string): FactorDefinition {
  return {
    name,
    changes,
    training: `the train pool's ${TEXTURES_PER_POOL} procedural textures (wood, marble, noise, stripes, checker, dots, bricks, waves, granite)`,
    novelAssets: `the test pool's ${TEXTURES_PER_POOL} textures (disjoint)`,
    rebuilds: false,
    capacity: TEXTURES_PER_POOL,
    missing: needsMaterial(role),
    draw: (d) => {
      const pool = d.split === 'novel-assets' ? 'test' : 'train';
      const order = permutation(name, pool, TEXTURES_PER_POOL);
      return texturePool(pool)[order[poolPosition(d.split, d.index, TEXTURES_PER_POOL)]!]!.name;
    },
  };
}

const DISTRACTORS_PER_SCENE = 3;
const DISTRACTOR_MARGIN = 0.05;

const FACTORS: readonly FactorDefinition[] = [
  {
    name: 'camera',
    changes: 'the observation camera on a sphere aimed at the table centre (azimuth, inclination from the vertical, radius)',
    training: 'azimuth 90-135 deg, inclination 60-75 deg, radius 1.25-1.75 m',
    outOfRange: 'azimuth 45-90 or 135-180 deg, inclination 40-60 deg (steeper: beyond 75 the table turns edge-on), radius 1.75-2.25 m',
    rebuilds: false,
    capacity: Infinity,
    missing: (t) => (t?.orbit ? null : 'it declares no camera orbit'),
    draw: (d) => {
      const rng = rngOf('camera', d);
      if (d.split === 'out-of-range') {
        return { azimuth: uniformOutside(rng, [45, 90], [135, 180]), inclination: uniform(rng, [40, 60]), radius: uniform(rng, [1.75, 2.25]) };
      }
      return { azimuth: uniform(rng, [90, 135]), inclination: uniform(rng, [60, 75]), radius: uniform(rng, [1.25, 1.75]) };
    },
  },
  {
    name: 'light',
    changes: 'headlight ambient = diffuse = v (grey)',
    training: 'v in 0.3-0.8',
    outOfRange: 'v in 0-0.3 or 0.8-1',
    rebuilds: false,
    capacity: Infinity,
    missing: () => null,
    draw: (d) => {
      const rng = rngOf('light', d);
      return d.split === 'out-of-range' ? uniformOutside(rng, [0, 0.3], [0.8, 1]) : uniform(rng, [0.3, 0.8]);
    },
  },
  textureFactor('table-texture', 'table', 'texture of the table material'),
  textureFactor('floor-texture', 'floor', 'texture of the floor material'),
  textureFactor('object-texture', 'object', 'texture of the manipulated object (never the table\'s texture)'),
  textureFactor('background', 'background', 'DMC: the ground texture (Distracting Control\'s background; K training values = its number of backgrounds)'),
  {
    name: 'object-size',
    changes: 'uniform scale of the manipulated object\'s geoms (model rebuilt)',
    training: 'x0.7-1.6',
    outOfRange: 'x0.5-0.7 or x1.6-1.8, within the scales the task can be solved at (assembly from x0.7: its ring must pass over the peg; bin-picking to x1.6)',
    rebuilds: true,
    capacity: Infinity,
    missing: (t) => (t?.objectScale ? null : 'it has no manipulated object to scale'),
    draw: (d) => {
      const rng = rngOf('object-size', d);
      if (d.split !== 'out-of-range') return uniform(rng, [0.7, 1.6]);
      const [low, high] = d.targets.objectScale!;
      if (low >= 0.7 && high <= 1.6) throw new Error(`factor 'object-size' has no out-of-range values the task can be solved at (its scales ${low}-${high})`);
      return uniformOutside(rng, [Math.max(0.5, low), 0.7], [1.6, Math.min(1.8, high)]);
    },
  },
  {
    name: 'table-position',
    changes: 'table, everything on it, the hand start and the hand\'s workspace shifted together',
    training: 'x +-0.025, y +-0.1, z -0.08-0 m',
    outOfRange: 'x +-(0.025-0.05), y +-(0.1-0.12), z -0.1 to -0.08 or 0-0.02 m',
    rebuilds: false,
    capacity: Infinity,
    missing: (t) => (t?.placement ? null : 'its reset takes no placement'),
    draw: (d) => {
      const rng = rngOf('table-position', d);
      if (d.split === 'out-of-range') {
        return [uniformOutside(rng, [-0.05, -0.025], [0.025, 0.05]), uniformOutside(rng, [-0.12, -0.1], [0.1, 0.12]), uniformOutside(rng, [-0.1, -0.08], [0, 0.02])];
      }
      return [uniform(rng, [-0.025, 0.025]), uniform(rng, [-0.1, 0.1]), uniform(rng, [-0.08, 0])];
    },
  },
  {
    name: 'object-position',
    changes: 'initial xy of the object (tasks without a free object: of the fixture carrying it), kept inside the task\'s object area',
    training: 'x +-0.3, y -0.1-0.2 m',
    outOfRange: 'x +-(0.3-0.4), y -0.2 to -0.1 or 0.2-0.3 m (then clamped to the object area)',
    rebuilds: false,
    capacity: Infinity,
    missing: (t) => (t?.placement ? null : 'its reset takes no placement'),
    draw: (d) => {
      const rng = rngOf('object-position', d);
      if (d.split === 'out-of-range') return [uniformOutside(rng, [-0.4, -0.3], [0.3, 0.4]), uniformOutside(rng, [-0.2, -0.1], [0.2, 0.3])];
      return [uniform(rng, [-0.3, 0.3]), uniform(rng, [-0.1, 0.2])];
    },
  },
  {
    name: 'arm-position',
    changes: 'initial hand position (clipped to the workspace)',
    training: 'x +-0.5, y -0.2-0.4, z -0.15-0.1 m',
    outOfRange: 'z 0.1-0.25 m above the start (x, y as in training: beyond them the workspace clips)',
    rebuilds: false,
    capacity: Infinity,
    missing: (t) => (t?.placement ? null : 'its reset takes no placement'),
    draw: (d) => {
      const rng = rngOf('arm-position', d);
      const xy: [number, number] = [uniform(rng, [-0.5, 0.5]), uniform(rng, [-0.2, 0.4])];
      return [...xy, d.split === 'out-of-range' ? uniform(rng, [0.1, 0.25]) : uniform(rng, [-0.15, 0.1])];
    },
  },
  {
    name: 'distractors',
    changes: `${DISTRACTORS_PER_SCENE} extra objects standing on the table, visual only (model rebuilt per value)`,
    training: `identities of the train pool (${DISTRACTOR_POOL_SIZES.train}), scale 0.3-0.8, anywhere on the table top with a 5 cm margin, any yaw`,
    outOfRange: 'scale 0.8-1.1 (train-pool identities)',
    novelAssets: `identities of the test pool (${DISTRACTOR_POOL_SIZES.test}, disjoint)`,
    rebuilds: true,
    capacity: Math.floor(DISTRACTOR_POOL_SIZES.train / DISTRACTORS_PER_SCENE),
    missing: (t) => (t?.tableTop ? null : 'it has no table top to stand them on'),
    draw: (d) => {
      const rng = rngOf('distractors', d);
      const poolName = d.split === 'novel-assets' ? 'test' : 'train';
      const pool = distractorPool(poolName);
      const order = permutation('distractors', poolName, pool.length);
      const slots = Math.floor(pool.length / DISTRACTORS_PER_SCENE);
      const slot = poolPosition(d.split === 'out-of-range' ? 'unseen' : d.split, d.index, slots);
      const { centre, half } = d.targets.tableTop!;
      return Array.from({ length: DISTRACTORS_PER_SCENE }, (_, i): DistractorValue => ({
        identity: pool[order[slot * DISTRACTORS_PER_SCENE + i]!]!.name,
        xy: [uniform(rng, [centre[0] - half[0] + DISTRACTOR_MARGIN, centre[0] + half[0] - DISTRACTOR_MARGIN]), uniform(rng, [centre[1] - half[1] + DISTRACTOR_MARGIN, centre[1] + half[1] - DISTRACTOR_MARGIN])],
        yaw: uniform(rng, [0, 360]),
        scale: d.split === 'out-of-range' ? uniform(rng, [0.8, 1.1]) : uniform(rng, [0.3, 0.8]),
      }));
    },
  },
  {
    name: 'colour',
    changes: 'DMC: every body material\'s RGB shifted per channel (Distracting Control\'s colour, graded 0.1 / 0.2 / 0.3)',
    training: 'grade 0.1: offsets in [-0.1, 0.1]',
    outOfRange: 'grades 0.2 and 0.3 (alternating): offsets of magnitude 0.1-0.2 or 0.1-0.3',
    rebuilds: false,
    capacity: Infinity,
    missing: (t) => (t?.colourMaterials?.length ? null : 'it declares no body materials to recolour'),
    draw: (d) => ({ grade: d.split === 'out-of-range' ? (d.index % 2 === 0 ? 0.2 : 0.3) : 0.1, seed: streamSeed('colour', d.split, d.index) }),
  },
];

const BY_NAME = new Map(FACTORS.map((f) => [f.name, f]));

export function isFactorName(name: string): name is FactorName {
  return BY_NAME.has(name as FactorName);
}

export function factorDefinition(name: FactorName): FactorDefinition {
  return BY_NAME.get(name)!;
}

/** The factors in table order, for listings. */
export function factorDefinitions(): readonly FactorDefinition[] {
  return FACTORS;
}

/** The splits a factor has: all have seen and unseen; out-of-range and novel-assets where defined. */
export function factorSplits(name: FactorName): Split[] {
  const f = factorDefinition(name);
  return SPLITS.filter((s) => (s === 'out-of-range' ? f.outOfRange !== undefined : s === 'novel-assets' ? f.novelAssets !== undefined : true));
}

/** Value `index` of `split` for one factor (the caller checks that the factor applies and has the split). */
export function drawFactorValue<N extends FactorName>(name: N, draw: Draw): FactorValues[N] {
  return factorDefinition(name).draw(draw) as FactorValues[N];
}
