/**
 * Distractor objects for the distractor factor: two disjoint identity pools (100 training shapes, 70 test shapes,
 * as Factor-World's object sets), each identity a composition of one to three parts (primitives and seeded convex
 * meshes) with its own colours, generated in code from seeded streams. At scale 1 an identity is 12-50 cm tall
 * and 10-25 cm wide and rests on z = 0 (its lowest point); the distractor factor scales it by 0.3-0.8, to objects
 * of a few centimetres to about 20 cm. The pools' digest is part of
 * every scene variant that places distractors.
 */
import { createHash } from 'node:crypto';
import { Rng } from '../../util/rng.js';
import type { Quat, Vec3 } from './camera.js';
import type { Rgba } from './textures.js';

export const DISTRACTOR_POOLS = ['train', 'test'] as const;
export type DistractorPool = (typeof DISTRACTOR_POOLS)[number];
export const DISTRACTOR_POOL_SIZES: Readonly<Record<DistractorPool, number>> = { train: 100, test: 70 };

export type DistractorPartType = 'box' | 'sphere' | 'capsule' | 'cylinder' | 'ellipsoid' | 'mesh';

/** One geom of an identity, in the identity's frame (metres at scale 1). */
export interface DistractorPart {
  type: DistractorPartType;
  /** MuJoCo geom size of the type (box/ellipsoid: 3 half extents, sphere: radius, capsule/cylinder: radius, half length). */
  size: number[];
  pos: Vec3;
  quat: Quat;
  rgba: Rgba;
  /** Mesh parts: vertices [x0, y0, z0, x1, ...] of a convex hull (MuJoCo takes the hull). */
  vertices?: number[];
}

export interface DistractorIdentity {
  /** e.g. "train-017". */
  name: string;
  pool: DistractorPool;
  parts: DistractorPart[];
}

const round = (x: number): number => Math.round(x * 1e5) / 1e5;

function hueColour(rng: Rng): Rgba {
  const h = rng.uniform(0, 360), s = rng.uniform(0.3, 1), v = rng.uniform(0.3, 1);
  const k = (n: number): number => (n + h / 60) % 6;
  const f = (n: number): number => round(v - v * s * Math.max(0, Math.min(k(n), 4 - k(n), 1)));
  return [f(5), f(3), f(1), 1];
}

/** Rotation by `angle` radians about a unit axis. */
function axisAngle(axis: Vec3, angle: number): Quat {
  const n = Math.hypot(...axis) || 1;
  const s = Math.sin(angle / 2) / n;
  return [round(Math.cos(angle / 2)), round(axis[0] * s), round(axis[1] * s), round(axis[2] * s)];
}

/** A convex blob: 8-14 points on a randomly stretched ellipsoid. */
function meshVertices(rng: Rng, half: Vec3): number[] {
  const count = 8 + rng.int(7);
  const vertices: number[] = [];
  for (let i = 0; i < count; i++) {
    const z = rng.uniform(-1, 1), phi = rng.uniform(0, 2 * Math.PI), r = Math.sqrt(1 - z * z);
    vertices.push(round(half[0] * r * Math.cos(phi)), round(half[1] * r * Math.sin(phi)), round(half[2] * z));
  }
  return vertices;
}

const PART_TYPES: readonly DistractorPartType[] = ['box', 'sphere', 'capsule', 'cylinder', 'ellipsoid', 'mesh'];

/** A part of half extents up to `max` per axis, its geom size and its half height (for stacking). */
function part(rng: Rng, max: number): { type: DistractorPartType; size: number[]; halfHeight: number; vertices?: number[] } {
  const type = PART_TYPES[rng.int(PART_TYPES.length)]!;
  const a = round(rng.uniform(0.5, 1) * max), b = round(rng.uniform(0.5, 1) * max), c = round(rng.uniform(0.5, 1) * max);
  switch (type) {
    case 'box':
      return { type, size: [a, b, c], halfHeight: c };
    case 'sphere':
      return { type, size: [a], halfHeight: a };
    case 'ellipsoid':
      return { type, size: [a, b, c], halfHeight: c };
    case 'capsule':
    case 'cylinder': {
      const radius = round(Math.min(a, b) * 0.7);
      const half = round(c * 0.8);
      return { type, size: [radius, half], halfHeight: half + (type === 'capsule' ? radius : 0) };
    }
    case 'mesh': {
      const vertices = meshVertices(rng, [a, b, c]);
      const zs = vertices.filter((_, i) => i % 3 === 2);
      return { type, size: [], halfHeight: Math.max(...zs.map(Math.abs)), vertices };
    }
  }
}

/** A stack of 1-3 parts, upright, the lowest at z = 0, each next one on top of the last (offset a little). */
function identity(pool: DistractorPool, index: number): DistractorIdentity {
  const rng = new Rng(0x4449_0000 + DISTRACTOR_POOLS.indexOf(pool) * 0x1000 + index);
  const count = 1 + rng.int(3);
  const parts: DistractorPart[] = [];
  let z = 0;
  const colour = hueColour(rng);
  for (let i = 0; i < count; i++) {
    // Parts shrink up the stack.
    const p = part(rng, 0.12 / (1 + 0.5 * i));
    const tilted = rng.random() < 0.3;
    const quat: Quat = tilted ? axisAngle([rng.uniform(-1, 1), rng.uniform(-1, 1), 0], rng.uniform(0.2, 0.8)) : axisAngle([0, 0, 1], rng.uniform(0, Math.PI));
    const offset = i === 0 ? 0 : 0.3;
    const centre: Vec3 = [round(rng.uniform(-offset, offset) * 0.12), round(rng.uniform(-offset, offset) * 0.12), round(z + p.halfHeight)];
    z = centre[2] + p.halfHeight;
    parts.push({ type: p.type, size: p.size, pos: centre, quat, rgba: i === 0 || rng.random() < 0.5 ? hueColour(rng) : colour, ...(p.vertices ? { vertices: p.vertices } : {}) });
  }
  return { name: identityName(pool, index), pool, parts };
}

const identityName = (pool: DistractorPool, index: number): string => `${pool}-${String(index).padStart(3, '0')}`;

const pools = new Map<DistractorPool, DistractorIdentity[]>();

export function distractorPool(pool: DistractorPool): readonly DistractorIdentity[] {
  let list = pools.get(pool);
  if (!list) {
    list = Array.from({ length: DISTRACTOR_POOL_SIZES[pool] }, (_, i) => identity(pool, i));
    pools.set(pool, list);
  }
  return list;
}

/** The identity of that name; throws naming the pools' name patterns. */
export function distractorIdentity(name: string): DistractorIdentity {
  for (const pool of DISTRACTOR_POOLS) {
    const found = distractorPool(pool).find((d) => d.name === name);
    if (found) return found;
  }
  const last = (pool: DistractorPool): string => identityName(pool, DISTRACTOR_POOL_SIZES[pool] - 1);
  throw new Error(`unknown distractor identity '${name}'; identities are train-000..${last('train')} and test-000..${last('test')}`);
}

let digest: string | null = null;

/** sha256 (16 hex digits) of both pools' definitions. */
export function distractorPoolsDigest(): string {
  digest ??= createHash('sha256')
    .update(JSON.stringify(DISTRACTOR_POOLS.map((p) => distractorPool(p))))
    .digest('hex')
    .slice(0, 16);
  return digest;
}
