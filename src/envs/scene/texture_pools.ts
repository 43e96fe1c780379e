/**
 * The two texture pools of the texture factors (Factor-World's 81 training and 81 disjoint test textures):
 * 9 procedural families (patterns.ts) x 9 seeded variants each, per pool. The `train` pool supplies the seen,
 * unseen and out-of-range splits, the `test` pool the novel-assets split. Generated in code, deterministically:
 * nothing is downloaded, and the pools' digest (of every texel) is part of every scene variant that uses them.
 *
 * A scene compiled with the pools holds all 162 textures (as PNG files in MuJoCo's virtual file system), so a
 * material switches between them at reset without a recompile.
 */
import { createHash } from 'node:crypto';
import { encodePng } from '../render/image_io.js';
import { PATTERN_FAMILIES, patternImage, type PatternFamily, type PatternImage } from './patterns.js';
import type { TextureSpec } from './textures.js';

export const TEXTURE_POOLS = ['train', 'test'] as const;
export type TexturePool = (typeof TEXTURE_POOLS)[number];

/** Variants per family and pool: 9 families x 9 = 81 textures per pool. */
const VARIANTS_PER_FAMILY = 9;
export const TEXTURES_PER_POOL = PATTERN_FAMILIES.length * VARIANTS_PER_FAMILY;
/** Texels per side (a table tile is ~17 cm, a few pixels of a 96-pixel frame: more would only be mip-mapped away). */
export const POOL_TEXTURE_SIDE = 64;

export interface PoolTexture {
  /** Texture (and MJCF asset) name, e.g. "train-marble-3". */
  name: string;
  pool: TexturePool;
  family: PatternFamily;
  /** Seed of the pattern's parameters and colours. */
  seed: number;
}

/** Disjoint seed ranges per pool and family, so the pools never share a texture. */
function poolSeed(pool: TexturePool, family: number, variant: number): number {
  return 0x7000_0000 + TEXTURE_POOLS.indexOf(pool) * 0x0100_0000 + family * 0x1000 + variant;
}

const pools = new Map<TexturePool, PoolTexture[]>();

/** The textures of one pool, family by family. */
export function texturePool(pool: TexturePool): readonly PoolTexture[] {
  let list = pools.get(pool);
  if (!list) {
    list = PATTERN_FAMILIES.flatMap((family, f) =>
      Array.from({ length: VARIANTS_PER_FAMILY }, (_, v) => ({ name: `${pool}-${family}-${v}`, pool, family, seed: poolSeed(pool, f, v) })),
    );
    pools.set(pool, list);
  }
  return list;
}

/** Every pool texture, train pool first. */
export function allPoolTextures(): readonly PoolTexture[] {
  return TEXTURE_POOLS.flatMap((p) => texturePool(p));
}

const images = new Map<string, PatternImage>();

export function poolTextureImage(texture: PoolTexture): PatternImage {
  let image = images.get(texture.name);
  if (!image) {
    image = patternImage(texture.family, texture.seed, POOL_TEXTURE_SIDE);
    images.set(texture.name, image);
  }
  return image;
}

/** The file each pool texture is compiled from (a relative path in the model's in-memory file system). */
const poolFile = (name: string): string => `texture-pools/${name}.png`;

/** `<texture>` specs of every pool texture (PNG files, see `poolTextureFiles`). */
export function poolTextureSpecs(): TextureSpec[] {
  return allPoolTextures().map((t) => ({ name: t.name, kind: 'file', file: poolFile(t.name) }));
}

let files: Map<string, Uint8Array> | null = null;
let digest: string | null = null;

/** PNG bytes of every pool texture by file name: the virtual files a scene with the pools compiles with. */
export function poolTextureFiles(): ReadonlyMap<string, Uint8Array> {
  if (!files) {
    files = new Map();
    for (const t of allPoolTextures()) files.set(poolFile(t.name), encodePng(poolTextureImage(t).rgb, POOL_TEXTURE_SIDE, POOL_TEXTURE_SIDE));
  }
  return files;
}

/** sha256 (16 hex digits) of every pool texture's name and texels: changes whenever any pool texture does. */
export function texturePoolsDigest(): string {
  if (!digest) {
    const hash = createHash('sha256');
    for (const t of allPoolTextures()) hash.update(t.name).update(poolTextureImage(t).rgb);
    digest = hash.digest('hex').slice(0, 16);
  }
  return digest;
}

/** The pool a texture name belongs to, or null for a texture of the standard set. */
export function poolOf(name: string): TexturePool | null {
  return TEXTURE_POOLS.find((p) => texturePool(p).some((t) => t.name === name)) ?? null;
}
