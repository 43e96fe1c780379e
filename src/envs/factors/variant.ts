/**
 * A scene variant: one task's scene with a value for each varied factor, as ONE value with a digest. Everything
 * derived from a scene keys on that digest (demo episodes, feature cache entries, result rows), so two variants
 * can never share a cached entry. A variant splits into what needs a model rebuild (`sceneOptions`: object scale,
 * distractors, the texture pools compiled in; compared by `buildKey`) and what is applied to the compiled model at
 * reset (textures, headlight, camera pose, colours: runtime.ts; placements: the task's reset).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../util/canonical_json.js';
import { distractorPoolsDigest } from '../scene/distractor_pools.js';
import { texturePoolsDigest } from '../scene/texture_pools.js';
import type { Placement, SceneOptions, TaskDefinition } from '../task.js';
import { FACTOR_NAMES, factorDefinition, isFactorName, type FactorName, type FactorValues } from './factor_table.js';

export interface SceneVariant {
  task: string;
  taskVersion: number;
  values: FactorValues;
  /** Digests of the asset pools the values draw on (part of the variant's identity). */
  assets: { texturePools?: string; distractorPools?: string };
}

const TEXTURE_FACTORS = new Set<FactorName>(['table-texture', 'floor-texture', 'object-texture', 'background']);

/** Errors unless every factor named in `values` is known and applies to the task. */
export function checkFactorsApply(definition: TaskDefinition, factors: readonly string[]): asserts factors is FactorName[] {
  for (const name of factors) {
    if (!isFactorName(name)) throw new Error(`unknown factor '${name}'; factors: ${FACTOR_NAMES.join(', ')}`);
    const missing = factorDefinition(name).missing(definition.factorTargets);
    if (missing) throw new Error(`factor '${name}' does not apply to task '${definition.name}': ${missing}`);
  }
}

/** The variant of `definition` with these factor values (an empty object: the canonical scene). */
export function sceneVariant(definition: TaskDefinition, values: FactorValues = {}): SceneVariant {
  const names = Object.keys(values).filter((k) => values[k as FactorName] !== undefined);
  checkFactorsApply(definition, names);
  const assets: SceneVariant['assets'] = {};
  if (names.some((n) => TEXTURE_FACTORS.has(n))) assets.texturePools = texturePoolsDigest();
  if (values.distractors) assets.distractorPools = distractorPoolsDigest();
  return { task: definition.name, taskVersion: definition.version, values: structuredClone(values), assets };
}

export function canonicalVariant(definition: TaskDefinition): SceneVariant {
  return sceneVariant(definition);
}

const digests = new WeakMap<SceneVariant, string>();

/** sha256 of the variant (16 hex digits). */
export function variantDigest(variant: SceneVariant): string {
  let digest = digests.get(variant);
  if (!digest) {
    digest = createHash('sha256').update(canonicalJson({ variant: 1, ...variant })).digest('hex').slice(0, 16);
    digests.set(variant, digest);
  }
  return digest;
}

export function isCanonical(variant: SceneVariant): boolean {
  return Object.keys(variant.values).length === 0;
}

/** The build-time part of a variant: what the scene builder needs (a change of these rebuilds the model). */
export function sceneOptions(definition: TaskDefinition, variant: SceneVariant): SceneOptions {
  const { values } = variant;
  const options: SceneOptions = {};
  if (variant.assets.texturePools) options.texturePools = true;
  if (values['object-size'] !== undefined) options.objectScale = values['object-size'];
  if (values.distractors) {
    const top = definition.factorTargets!.tableTop!;
    // Distractors stand on the table body (so a table shift carries them), at the table top's height.
    options.distractors = values.distractors.map((d) => ({ identity: d.identity, body: top.body, pos: [d.xy[0], d.xy[1], top.centre[2]], yaw: d.yaw, scale: d.scale }));
  }
  return options;
}

/**
 * Variants with equal build keys share one compiled model. The texture pools are not part of the key: a model
 * compiled with them serves variants that use no pool texture too (`needsTexturePools` says which need them).
 */
export function buildKey(definition: TaskDefinition, variant: SceneVariant): string {
  const { texturePools: _pools, ...options } = sceneOptions(definition, variant);
  return canonicalJson({ task: variant.task, version: variant.taskVersion, options });
}

export function needsTexturePools(variant: SceneVariant): boolean {
  return variant.assets.texturePools !== undefined;
}

/** The placement shifts of a variant (reset-time, applied by the task). */
export function placementOf(variant: SceneVariant): Placement {
  const { values } = variant;
  const placement: Placement = {};
  if (values['table-position']) placement.table = values['table-position'];
  if (values['object-position']) placement.object = values['object-position'];
  if (values['arm-position']) placement.hand = values['arm-position'];
  return placement;
}

/** One line naming the variant's values, for logs and contact sheets. */
export function describeVariant(variant: SceneVariant): string {
  const parts = Object.entries(variant.values).map(([k, v]) => `${k}=${formatValue(v)}`);
  return parts.length ? parts.join(' ') : 'canonical';
}

function formatValue(v: unknown): string {
  if (typeof v === 'number') return String(Math.round(v * 1000) / 1000);
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return `(${v.map(formatValue).join(',')})`;
  if (Array.isArray(v)) return v.map((d) => (d as { identity: string }).identity).join(',');
  return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k[0]}${formatValue(x)}`).join('/');
}
