/**
 * Reads checkpoint tensors under canonical names (vit_spec.ts) after checking the whole mapping at once, so that an
 * error lists every missing, unexpected or mis-shaped tensor instead of the first one.
 */
import type { Tensor, WeightMap } from '../vit_spec.js';
import type { TensorFile } from '../tensor_file.js';
import type { JsonObject } from './config_json.js';

export interface WeightRequest {
  /** Canonical name, e.g. "blocks.0.attn.q.weight". */
  canonical: string;
  /** Key in the checkpoint. */
  key: string;
  /** Shape stored in the checkpoint. */
  storedShape: number[];
  /** Shape under the canonical name (same element count; defaults to storedShape). */
  shape?: number[];
}

const LIST_LIMIT = 12;

function listed(items: string[]): string {
  const head = items.slice(0, LIST_LIMIT).join(', ');
  return items.length > LIST_LIMIT ? `${head}, ... (${items.length} in all)` : head;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * @param ignore  checkpoint keys that are legitimately unused (classifier heads, the text tower, buffers)
 */
export function readMappedWeights(
  file: TensorFile,
  requests: WeightRequest[],
  ignore: (key: string) => boolean,
  context: string,
): WeightMap {
  const requestedKeys = new Set(requests.map((r) => r.key));
  const missing = requests.filter((r) => !file.entries.has(r.key)).map((r) => `${r.key} [${r.storedShape}]`);
  const misShaped = requests
    .filter((r) => file.entries.has(r.key) && !sameShape(file.entries.get(r.key)!.shape, r.storedShape))
    .map((r) => `${r.key} is [${file.entries.get(r.key)!.shape}], expected [${r.storedShape}]`);
  const extra = file.names().filter((k) => !requestedKeys.has(k) && !ignore(k));
  const problems: string[] = [];
  if (missing.length) problems.push(`missing tensors: ${listed(missing)}`);
  if (misShaped.length) problems.push(`mis-shaped tensors: ${listed(misShaped)}`);
  if (extra.length) problems.push(`unexpected tensors: ${listed(extra)}`);
  if (problems.length) throw new Error(`${context} (${file.path}): ${problems.join('; ')}`);

  const weights: WeightMap = new Map();
  for (const request of requests) {
    const tensor: Tensor = file.readFloat32(request.key);
    weights.set(request.canonical, { shape: request.shape ?? request.storedShape, data: tensor.data });
  }
  return weights;
}

/** The distinct layer indices i for keys `${prefix}${i}.…`; they must be 0..n-1. */
export function countLayers(names: string[], prefix: string, context: string): number {
  const indices = new Set<number>();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\./.exec(name.slice(prefix.length));
    if (match) indices.add(Number(match[1]));
  }
  const n = indices.size;
  for (let i = 0; i < n; i++) {
    if (!indices.has(i)) throw new Error(`${context}: layer keys ${prefix}N are not numbered 0..${n - 1} (missing ${i})`);
  }
  if (n === 0) throw new Error(`${context}: no transformer layers found under ${prefix}N`);
  return n;
}

/** Shape of checkpoint tensor `key`, with a clear error when it is absent. */
export function shapeOf(file: TensorFile, key: string, context: string): number[] {
  const entry = file.entries.get(key);
  if (!entry) throw new Error(`${context} (${file.path}): missing tensor ${key}`);
  return entry.shape;
}

/** A config value that must agree with what the weights say, when the config states it. */
export function agree(configValue: unknown, fromWeights: number, what: string, context: string): number {
  if (configValue !== undefined && configValue !== null && configValue !== fromWeights) {
    throw new Error(`${context}: config ${what} = ${JSON.stringify(configValue)} but the weights say ${fromWeights}`);
  }
  return fromWeights;
}

/**
 * Hidden size C and patch size P from a patch-embedding conv weight [C, 3, P, P], checked against the config's
 * hidden_size and patch_size where it states them.
 */
export function patchEmbedding(file: TensorFile, key: string, config: JsonObject, context: string): { C: number; P: number } {
  const shape = shapeOf(file, key, context);
  const [C, inChannels, P, P2] = shape as [number, number, number, number];
  if (shape.length !== 4 || inChannels !== 3 || P !== P2) {
    throw new Error(`${context}: patch embedding ${key} must be [C, 3, P, P], got [${shape}]`);
  }
  agree(config.hidden_size, C, 'hidden_size', context);
  agree(config.patch_size, P, 'patch_size', context);
  return { C, P };
}
