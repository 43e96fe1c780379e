/** Reading a checkpoint directory's JSON files (only JSON and safetensors are ever read from a checkpoint). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type JsonObject = Record<string, unknown>;

/** Parses DIR/name as a JSON object; returns null when the file is absent and `required` is false. */
export function readJsonObject(dir: string, name: string, required: true): JsonObject;
export function readJsonObject(dir: string, name: string, required: false): JsonObject | null;
export function readJsonObject(dir: string, name: string, required: boolean): JsonObject | null {
  const path = join(dir, name);
  if (!existsSync(path)) {
    if (required) throw new Error(`checkpoint directory ${dir}: ${name} not found`);
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${path}: expected a JSON object`);
  return value as JsonObject;
}

/** A numeric config field, or `fallback` when absent. */
export function numberField(config: JsonObject, key: string, fallback: number | undefined, source: string): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${source}: ${key} must be a number, got ${JSON.stringify(config[key])}`);
  }
  return value;
}

/** HF `hidden_act` -> the activation the graph builder implements. */
export function activationOf(hiddenAct: unknown, fallback: 'gelu' | 'quick_gelu', source: string): 'gelu' | 'quick_gelu' {
  const act = hiddenAct ?? fallback;
  if (act === 'gelu' || act === 'quick_gelu') return act;
  throw new Error(`${source}: hidden_act ${JSON.stringify(act)} is not supported (supported: "gelu" (exact erf), "quick_gelu")`);
}
