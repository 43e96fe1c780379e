/**
 * The factor values themselves: asset pools (sizes, disjointness, determinism), variant digests, the values each
 * split draws (seen = the training values, unseen disjoint from them, out-of-range outside the training ranges,
 * novel assets from the other pool) and the errors for bad factor sets, splits and K.
 */
import { describe, expect, it } from 'vitest';
import '../src/envs/index.js';
import { FACTOR_NAMES, factorSplits, type FactorValues } from '../src/envs/factors/factor_table.js';
import { colourOffsets } from '../src/envs/factors/runtime.js';
import { buildKey, needsTexturePools, sceneVariant, variantDigest } from '../src/envs/factors/variant.js';
import { checkSplit, evaluationSet, parseFactorSet, trainingSet, variantForEpisode, variantSetDigest } from '../src/envs/factors/variant_sets.js';
import { getTask } from '../src/envs/registry.js';
import { DISTRACTOR_POOL_SIZES, distractorPool, distractorPoolsDigest } from '../src/envs/scene/distractor_pools.js';
import { patternImage } from '../src/envs/scene/patterns.js';
import { POOL_TEXTURE_SIDE, TEXTURES_PER_POOL, poolTextureImage, texturePool, texturePoolsDigest } from '../src/envs/scene/texture_pools.js';

const pickPlace = getTask('pick-place');
const reacher = getTask('reacher-easy');

describe('asset pools', () => {
  it('two disjoint texture pools of 81 procedural textures, every one distinct from every other', () => {
    const train = texturePool('train'), test = texturePool('test');
    expect(train).toHaveLength(81);
    expect(test).toHaveLength(81);
    expect(TEXTURES_PER_POOL).toBe(81);
    const all = [...train, ...test];
    expect(new Set(all.map((t) => t.name)).size).toBe(162);
    expect(new Set(all.map((t) => t.family)).size).toBe(9);
    // Mean absolute texel difference between any two textures: none is a near copy of another.
    const images = all.map((t) => poolTextureImage(t).rgb);
    let closest = Infinity;
    for (let i = 0; i < images.length; i++) {
      for (let j = i + 1; j < images.length; j++) {
        let sum = 0;
        for (let k = 0; k < images[i]!.length; k += 7) sum += Math.abs(images[i]![k]! - images[j]![k]!);
        closest = Math.min(closest, sum / Math.ceil(images[i]!.length / 7));
      }
    }
    expect(closest).toBeGreaterThan(5);
  });

  it('textures are generated deterministically and tile seamlessly', () => {
    const t = texturePool('train')[3]!;
    const again = patternImage(t.family, t.seed, POOL_TEXTURE_SIDE);
    expect(Buffer.from(again.rgb).equals(Buffer.from(poolTextureImage(t).rgb))).toBe(true);
    expect(texturePoolsDigest()).toMatch(/^[0-9a-f]{16}$/);
    // Across the wrap the step between neighbouring texels is no larger than inside (noise-based families).
    for (const texture of texturePool('test').filter((x) => x.family === 'noise' || x.family === 'marble')) {
      const { rgb } = poolTextureImage(texture);
      const S = POOL_TEXTURE_SIDE;
      const at = (x: number, y: number): number => rgb[(y * S + x) * 3]!;
      let wrap = 0, inside = 0;
      for (let y = 0; y < S; y++) {
        wrap += Math.abs(at(S - 1, y) - at(0, y));
        inside += Math.abs(at(S / 2, y) - at(S / 2 - 1, y));
      }
      expect(wrap).toBeLessThan(inside * 2 + S * 4);
    }
  });

  it('two disjoint distractor identity pools of 100 and 70 shapes', () => {
    expect(distractorPool('train')).toHaveLength(100);
    expect(distractorPool('test')).toHaveLength(70);
    expect(DISTRACTOR_POOL_SIZES).toEqual({ train: 100, test: 70 });
    const shapes = [...distractorPool('train'), ...distractorPool('test')].map((d) => JSON.stringify(d.parts));
    expect(new Set(shapes).size).toBe(170);
    const types = new Set(distractorPool('train').flatMap((d) => d.parts.map((p) => p.type)));
    expect([...types].sort()).toEqual(['box', 'capsule', 'cylinder', 'ellipsoid', 'mesh', 'sphere']);
    expect(distractorPoolsDigest()).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('scene variants', () => {
  it('have one digest per task, version and values (in any key order), and the pools they use', () => {
    const values: FactorValues = { light: 0.5, camera: { azimuth: 100, inclination: 65, radius: 1.5 } };
    const a = sceneVariant(pickPlace, values);
    const b = sceneVariant(pickPlace, { camera: { radius: 1.5, inclination: 65, azimuth: 100 }, light: 0.5 });
    expect(variantDigest(a)).toBe(variantDigest(b));
    expect(variantDigest(sceneVariant(pickPlace, { ...values, light: 0.51 }))).not.toBe(variantDigest(a));
    expect(variantDigest(sceneVariant({ ...pickPlace, version: pickPlace.version + 1 }, values))).not.toBe(variantDigest(a));
    expect(variantDigest(sceneVariant(getTask('hammer'), values))).not.toBe(variantDigest(a));
    const textured = sceneVariant(pickPlace, { 'table-texture': 'train-wood-0' });
    expect(textured.assets.texturePools).toBe(texturePoolsDigest());
    expect(a.assets).toEqual({});
  });

  it('need a rebuild only for object size and distractors (and a model without the texture pools)', () => {
    const key = (values: FactorValues): string => buildKey(pickPlace, sceneVariant(pickPlace, values));
    expect(key({ light: 0.4 })).toBe(key({}));
    expect(key({ camera: { azimuth: 100, inclination: 65, radius: 1.5 }, 'table-position': [0, 0.05, -0.02] })).toBe(key({}));
    // A model compiled with the texture pools serves every texture value (and variants without one).
    expect(key({ 'table-texture': 'train-wood-0' })).toBe(key({ 'floor-texture': 'test-dots-3', 'object-texture': 'train-waves-1' }));
    expect(needsTexturePools(sceneVariant(pickPlace, { 'table-texture': 'train-wood-0' }))).toBe(true);
    expect(needsTexturePools(sceneVariant(pickPlace, { light: 0.4 }))).toBe(false);
    expect(key({ 'object-size': 1.2 })).not.toBe(key({}));
    expect(key({ distractors: [{ identity: 'train-001', xy: [0, 0.6], yaw: 0, scale: 0.5 }] })).not.toBe(key({}));
  });
});

describe('splits', () => {
  it('seen evaluates the training values; K = 5 starts with the K = 1 value; unseen never meets them', () => {
    for (const factor of ['camera', 'table-texture', 'distractors', 'light'] as const) {
      const k1 = trainingSet(pickPlace, [factor], 1, 3);
      const k5 = trainingSet(pickPlace, [factor], 5, 3);
      expect(variantDigest(k5.variants[0]!)).toBe(variantDigest(k1.variants[0]!));
      expect(new Set(k5.variants.map(variantDigest)).size).toBe(5);
      const seen = evaluationSet(pickPlace, [factor], 5, 'seen', 10);
      expect(seen.variants.map(variantDigest)).toEqual(k5.variants.map(variantDigest));
      // Episodes cycle through the training values; demos come in blocks of `demos per value`.
      expect(variantDigest(variantForEpisode(seen, 7))).toBe(variantDigest(k5.variants[2]!));
      expect(variantDigest(variantForEpisode(k5, 7))).toBe(variantDigest(k5.variants[2]!));
      const unseen = evaluationSet(pickPlace, [factor], 5, 'unseen', 10);
      const trained = new Set(k5.variants.map((v) => JSON.stringify(v.values[factor])));
      for (const v of unseen.variants) expect(trained.has(JSON.stringify(v.values[factor]))).toBe(false);
      expect(new Set(unseen.variants.map(variantDigest)).size).toBe(unseen.variants.length);
    }
  });

  it('out-of-range values lie outside the training ranges; novel assets come from the test pools', () => {
    for (const v of evaluationSet(pickPlace, ['camera'], 1, 'out-of-range', 30).variants) {
      const { azimuth, inclination, radius } = v.values.camera!;
      expect(azimuth < 90 || azimuth > 135).toBe(true);
      expect(inclination < 60 || inclination > 75).toBe(true);
      expect(radius).toBeGreaterThan(1.75);
    }
    for (const v of evaluationSet(pickPlace, ['light'], 1, 'out-of-range', 30).variants) expect(v.values.light! < 0.3 || v.values.light! > 0.8).toBe(true);
    for (const v of evaluationSet(pickPlace, ['object-size'], 1, 'out-of-range', 30).variants) {
      const s = v.values['object-size']!;
      expect(s < 0.7 || s > 1.6).toBe(true);
    }
    for (const v of evaluationSet(pickPlace, ['table-position'], 1, 'out-of-range', 30).variants) {
      const [x, y, z] = v.values['table-position']!;
      expect(Math.abs(x) > 0.025 && Math.abs(y) > 0.1 && (z < -0.08 || z > 0)).toBe(true);
    }
    for (const v of evaluationSet(pickPlace, ['table-texture'], 1, 'novel-assets', 20).variants) expect(v.values['table-texture']).toMatch(/^test-/);
    for (const v of trainingSet(pickPlace, ['table-texture'], 20, 1).variants) expect(v.values['table-texture']).toMatch(/^train-/);
    for (const v of evaluationSet(pickPlace, ['distractors'], 1, 'novel-assets', 10).variants) {
      for (const d of v.values.distractors!) expect(d.identity).toMatch(/^test-/);
    }
    for (const v of evaluationSet(reacher, ['colour'], 1, 'out-of-range', 10).variants) {
      expect([0.2, 0.3]).toContain(v.values.colour!.grade);
      for (const o of colourOffsets(v.values.colour!, 0)) expect(Math.abs(o)).toBeGreaterThan(0.1);
    }
    for (const o of colourOffsets(trainingSet(reacher, ['colour'], 1, 1).variants[0]!.values.colour!, 0)) expect(Math.abs(o)).toBeLessThanOrEqual(0.1);
  });

  it('pairs draw both factors together, and the object texture never equals the table texture', () => {
    const [factors] = [parseFactorSet('table-texture+object-texture')];
    expect(parseFactorSet('light+camera')).toEqual(['camera', 'light']);
    for (const split of ['seen', 'unseen', 'novel-assets'] as const) {
      const set = split === 'seen' ? trainingSet(pickPlace, factors, 40, 1) : evaluationSet(pickPlace, factors, 5, split, 40);
      for (const v of set.variants) {
        expect(v.values['object-texture']).toBeDefined();
        expect(v.values['object-texture']).not.toBe(v.values['table-texture']);
      }
    }
    const pair = trainingSet(pickPlace, parseFactorSet('light+camera'), 3, 2);
    expect(pair.variants.every((v) => v.values.light !== undefined && v.values.camera !== undefined)).toBe(true);
    expect(variantSetDigest(pair)).not.toBe(variantSetDigest(trainingSet(pickPlace, ['light'], 3, 2)));
  });

  it('every factor has seen and unseen; out-of-range and novel assets where its table row defines them', () => {
    for (const f of FACTOR_NAMES) expect(factorSplits(f).slice(0, 2)).toEqual(['seen', 'unseen']);
    expect(factorSplits('table-texture')).toEqual(['seen', 'unseen', 'novel-assets']);
    expect(factorSplits('camera')).toEqual(['seen', 'unseen', 'out-of-range']);
    expect(factorSplits('distractors')).toEqual(['seen', 'unseen', 'out-of-range', 'novel-assets']);
  });
});

describe('bad factor input names what is wrong and what is valid', () => {
  it('unknown factor or split', () => {
    expect(() => parseFactorSet('table-colour')).toThrow(/unknown factor 'table-colour' in 'table-colour'; factors: camera, light, table-texture, .*colour/);
    expect(() => checkSplit(['camera'], 'unknown')).toThrow(/unknown split 'unknown'; splits: seen, unseen, out-of-range, novel-assets/);
    expect(() => checkSplit(['table-texture'], 'out-of-range')).toThrow(/factor 'table-texture' has no 'out-of-range' split; its splits: seen, unseen, novel-assets/);
    expect(() => evaluationSet(pickPlace, ['camera'], 1, 'novel-assets', 5)).toThrow(/factor 'camera' has no 'novel-assets' split; its splits: seen, unseen, out-of-range/);
  });

  it('a pair naming the same factor twice', () => {
    expect(() => parseFactorSet('camera+camera')).toThrow(/factor set 'camera\+camera' names factor 'camera' twice/);
  });

  it('K larger than the pool', () => {
    expect(() => trainingSet(pickPlace, ['table-texture'], 81, 1)).toThrow(/K = 81 is too large for factor 'table-texture': its training pool has 81 values/);
    expect(() => trainingSet(pickPlace, ['distractors'], 40, 1)).toThrow(/K = 40 is too large for factor 'distractors': its training pool has 33 values/);
    expect(() => trainingSet(pickPlace, ['camera'], 0, 1)).toThrow(/K must be a positive integer, got 0/);
    expect(trainingSet(pickPlace, ['camera'], 500, 1).variants).toHaveLength(500);
  });

  it('a factor that does not apply to the task', () => {
    expect(() => trainingSet(reacher, ['object-texture'], 1, 1)).toThrow(/factor 'object-texture' does not apply to task 'reacher-easy': it has no object material/);
    expect(() => trainingSet(reacher, ['camera'], 1, 1)).toThrow(/factor 'camera' does not apply to task 'reacher-easy': it declares no camera orbit/);
    expect(() => trainingSet(pickPlace, ['colour'], 1, 1)).toThrow(/factor 'colour' does not apply to task 'pick-place': it declares no body materials/);
    expect(() => sceneVariant(reacher, { 'table-position': [0, 0, 0] })).toThrow(/factor 'table-position' does not apply to task 'reacher-easy': its reset takes no placement/);
  });
});
