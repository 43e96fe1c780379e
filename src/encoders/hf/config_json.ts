/** Reading a checkpoint directory's JSON files (only JSON and safetensors are ever read from a checkpoint). */
import { existsSync } from 'node:fs';
import { readJsonFile } from '../../util/json_file.js';
import { fileInModelFolder } from '../model_files.js';

export type JsonObject = Record<string, unknown>;

/**
 * Parses DIR/name as a JSON object; returns null when the file is absent and `required` is false. A file that
 * resolves outside DIR is refused (model_files.ts), and parse errors never quote the content.
 */
export function readJsonObject(dir: string, name: string, required: true): JsonObject;
export function readJsonObject(dir: string, name: string, required: false): JsonObject | null;
export function readJsonObject(dir: string, name: string, required: boolean): JsonObject | null {
  const path = fileInModelFolder(dir, name, `checkpoint directory ${dir}`);
  if (!existsSync(path)) {
    if (required) throw new Error(`checkpoint directory ${dir}: ${name} not found`);
    return null;
  }
  const value = readJsonFile(path, 'checkpoint file');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${path}: expected a JSON object`);
  return value as JsonObject;
}

/** What a numeric config field must be. */
export type NumberRule = 'number' | 'positive' | 'positive integer' | 'non-negative integer';

const RULES: Readonly<Record<NumberRule, (v: number) => boolean>> = {
  number: () => true,
  positive: (v) => v > 0,
  'positive integer': (v) => Number.isInteger(v) && v >= 1,
  'non-negative integer': (v) => Number.isInteger(v) && v >= 0,
};

/**
 * A numeric field of the checkpoint's config.json, or `fallback` when absent; `source` names the checkpoint
 * (e.g. "hf:DIR"). Errors name the file and the key, so a bad value is never first reported as a graph property.
 */
export function numberField(config: JsonObject, key: string, fallback: number | undefined, source: string, rule: NumberRule = 'number'): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !RULES[rule](value)) {
    throw new Error(`${source}: config.json field '${key}' must be ${rule === 'number' ? 'a number' : `a ${rule}`}, got ${JSON.stringify(config[key])}`);
  }
  return value;
}

/** HF `hidden_act` -> the activation the graph builder implements. */
export function activationOf(hiddenAct: unknown, fallback: 'gelu' | 'quick_gelu', source: string): 'gelu' | 'quick_gelu' {
  const act = hiddenAct ?? fallback;
  if (act === 'gelu' || act === 'quick_gelu') return act;
  throw new Error(`${source}: hidden_act ${JSON.stringify(act)} is not supported (supported: "gelu" (exact erf), "quick_gelu")`);
}
