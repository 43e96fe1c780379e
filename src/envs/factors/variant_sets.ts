/**
 * Variant sets: which scene each episode of a demo set or evaluation runs in. A set lists the factor values it
 * uses and a cadence: episode i runs in value floor(i / cadence) mod values.length. A sweep's training set holds
 * K distinct training values with a fixed number of demos per value (cadence = demos per value, so the model of a
 * rebuilding factor is built once per value); an evaluation set holds the values of one split, one per episode.
 *
 * A factor set is one factor or a pair ("light+camera"): its value i is the values i of its factors together.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../util/canonical_json.js';
import type { TaskDefinition } from '../task.js';
import { drawFactorValue, factorDefinition, factorSplits, FACTOR_NAMES, isFactorName, SPLITS, type FactorName, type FactorValues, type Split } from './factor_table.js';
import { checkFactorsApply, sceneVariant, variantDigest, type SceneVariant } from './variant.js';

/** The scenes of a demo set or an evaluation. */
export interface VariantSet {
  /** Factors varied (none: the canonical scene). */
  factors: readonly FactorName[];
  /** `train` for a training set, else the evaluation split. */
  split: 'train' | Split;
  /** The distinct values, in order. */
  variants: readonly SceneVariant[];
  /** Episodes per value before the next one. */
  cadence: number;
}

/** "light+camera" -> ["camera", "light"] (the table's order, so a pair has one name), checked: known factors, no factor twice. */
export function parseFactorSet(text: string): FactorName[] {
  const names = text.split('+').map((s) => s.trim());
  for (const name of names) {
    if (!isFactorName(name)) throw new Error(`unknown factor '${name}' in '${text}'; factors: ${FACTOR_NAMES.join(', ')}`);
  }
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`factor set '${text}' names factor '${twice}' twice; a pair needs two different factors`);
  return FACTOR_NAMES.filter((f) => names.includes(f));
}

export function factorSetName(factors: readonly FactorName[]): string {
  return factors.length ? factors.join('+') : 'canonical';
}

/** Errors unless `split` is a split name that every factor of the set has. */
export function checkSplit(factors: readonly FactorName[], split: string): asserts split is Split {
  if (!(SPLITS as readonly string[]).includes(split)) throw new Error(`unknown split '${split}'; splits: ${SPLITS.join(', ')}`);
  for (const f of factors) {
    const valid = factorSplits(f);
    if (!valid.includes(split as Split)) throw new Error(`factor '${f}' has no '${split}' split; its splits: ${valid.join(', ')}`);
  }
}

/** The most distinct training values a factor set has (pool factors: their pool's size). */
export function trainingCapacity(factors: readonly FactorName[]): number {
  return Math.min(...factors.map((f) => factorDefinition(f).capacity));
}

function checkK(factors: readonly FactorName[], k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`K must be a positive integer, got ${k}`);
  const capacity = trainingCapacity(factors);
  if (k >= capacity) {
    const pool = factors.find((f) => factorDefinition(f).capacity === capacity)!;
    throw new Error(`K = ${k} is too large for factor '${pool}': its training pool has ${capacity} values, and unseen values must be left over (K < ${capacity})`);
  }
}

/** Value `index` of a split for the factor set, with the object's texture never the table's. */
function jointValue(definition: TaskDefinition, factors: readonly FactorName[], split: Split, index: number): FactorValues {
  const targets = definition.factorTargets!;
  const values: Record<string, unknown> = {};
  for (const f of factors) values[f] = drawFactorValue(f, { split, index, targets });
  const joint = values as FactorValues;
  // A collision takes the object texture one further along its stream (still of the same split).
  for (let step = 1; joint['object-texture'] !== undefined && joint['object-texture'] === joint['table-texture']; step++) {
    joint['object-texture'] = drawFactorValue('object-texture', { split, index: index + step * 1000, targets });
  }
  return joint;
}

/** The training set: K distinct training values, `demosPerValue` episodes each (cadence = demos per value). */
export function trainingSet(definition: TaskDefinition, factors: readonly FactorName[], k: number, demosPerValue: number): VariantSet {
  if (factors.length === 0) return canonicalSet(definition);
  checkFactorsApply(definition, factors);
  checkK(factors, k);
  if (!Number.isInteger(demosPerValue) || demosPerValue < 1) throw new Error(`demos per value must be a positive integer, got ${demosPerValue}`);
  const variants = Array.from({ length: k }, (_, i) => sceneVariant(definition, jointValue(definition, factors, 'seen', i)));
  return { factors, split: 'train', variants, cadence: demosPerValue };
}

/**
 * The evaluation set of a split for a training set of K values and `episodes` episodes: `seen` cycles through
 * the K training values; the other splits draw a fresh value per episode (pool factors: `unseen` cycles through
 * the training pool's values that are not training values, when fewer are left than episodes).
 */
export function evaluationSet(definition: TaskDefinition, factors: readonly FactorName[], k: number, split: string, episodes: number): VariantSet {
  if (factors.length === 0) {
    if (split !== 'seen') throw new Error(`the canonical scene has only the 'seen' split, got '${split}'`);
    return canonicalSet(definition);
  }
  checkFactorsApply(definition, factors);
  checkSplit(factors, split);
  checkK(factors, k);
  if (!Number.isInteger(episodes) || episodes < 1) throw new Error(`evaluation episodes must be a positive integer, got ${episodes}`);
  if (split === 'seen') return { ...trainingSet(definition, factors, k, 1), split };
  const distinct = split === 'unseen' ? Math.min(episodes, trainingCapacity(factors) - k) : episodes;
  const variants = Array.from({ length: distinct }, (_, i) => sceneVariant(definition, jointValue(definition, factors, split, i)));
  return { factors, split, variants, cadence: 1 };
}

/** The canonical scene for every episode (a plain `bench run`). */
export function canonicalSet(definition: TaskDefinition): VariantSet {
  return { factors: [], split: 'seen', variants: [sceneVariant(definition)], cadence: 1 };
}

/** The variant of episode `index` (0-based) of a set. */
export function variantForEpisode(set: VariantSet, index: number): SceneVariant {
  if (!Number.isInteger(index) || index < 0) throw new Error(`episode index must be a non-negative integer, got ${index}`);
  return set.variants[Math.floor(index / set.cadence) % set.variants.length]!;
}

/** sha256 (16 hex digits) of a set: its factors, split, cadence and every variant's digest. */
export function variantSetDigest(set: VariantSet): string {
  const identity = { factors: set.factors, split: set.split, cadence: set.cadence, variants: set.variants.map(variantDigest) };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 16);
}
