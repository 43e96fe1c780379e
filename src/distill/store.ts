/**
 * The on-disk cache of a distillation: `<cacheDir>/distilled/<task>/v<task version>/<teacher>/<digest>/` holds
 * one JSON file per labelled episode (`round-<r>-<i>.json`, float64 arrays base64-encoded, so a resumed run
 * trains on exactly the same numbers) and `policy.json` with the trained network and its evaluation. The digest
 * covers everything that determines the result (settings, teacher name, task version, file format); every file
 * is written atomically.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskDefinition } from '../envs/task.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { DistillSettings, LabelledEpisode, LabelledEpisodeStore } from './dagger.js';
import type { StateMlpWeights } from './state_mlp.js';
import { canonicalJson } from '../util/canonical_json.js';

/** Bump when what a distillation writes changes for the same inputs (2: students evaluated as the demo store plays episodes). */
export const DISTILL_FORMAT_VERSION = 2;

/** How the trained student did on its own, at the task's full horizon. */
export interface StudentEvaluation {
  seeds: number[];
  returns: number[];
  meanReturn: number;
  /** Handoff experts: the steps of each episode the teacher drove (its planning cost). */
  teacherSteps?: number[];
}

export interface DistilledPolicyFile {
  format: number;
  task: string;
  taskVersion: number;
  teacher: string;
  digest: string;
  weights: StateMlpWeights;
  evaluation: StudentEvaluation;
  /** Labelled steps (teacher planning calls) the distillation took, and its CPU seconds when it ran. */
  labelledSteps: number;
  seconds: number;
}

/** 16 hex digits identifying a distillation of `task`'s expert `teacher` with `settings`. */
export function distillDigest(task: TaskDefinition, teacher: string, settings: DistillSettings, evaluationSeeds: readonly number[]): string {
  // A handoff test enters by its name (a function has no JSON); absent, the digest is as before the option existed.
  const named = { ...settings, handoffTest: settings.handoffTest?.name };
  const identity = { format: DISTILL_FORMAT_VERSION, task: task.name, version: task.version, teacher, settings: named, evaluationSeeds };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 16);
}

const pathSegment = (name: string): string => encodeURIComponent(name).replace(/%/g, '_');

export function distillDir(cacheDir: string, task: TaskDefinition, teacher: string, digest: string): string {
  return join(cacheDir, 'distilled', pathSegment(task.name), `v${task.version}`, pathSegment(teacher), digest);
}

const encode = (values: Float64Array): string => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');

function decode(text: unknown, length: number): Float64Array | null {
  if (typeof text !== 'string') return null;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== length * 8) return null;
  const out = new Float64Array(length);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** Labelled episodes as files in a distillation's directory; unreadable or mismatched files count as missing. */
export class FileEpisodeStore implements LabelledEpisodeStore {
  constructor(
    readonly dir: string,
    private readonly inputDim: number,
    private readonly actionDim: number,
  ) {}

  private path(round: number, index: number): string {
    return join(this.dir, `round-${round}-${index}.json`);
  }

  load(round: number, index: number): LabelledEpisode | null {
    const path = this.path(round, index);
    if (!existsSync(path)) return null;
    try {
      const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      const steps = raw.steps;
      if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1) return null;
      if (raw.inputDim !== this.inputDim || raw.actionDim !== this.actionDim) return null;
      const inputs = decode(raw.inputs, steps * this.inputDim);
      const targets = decode(raw.targets, steps * this.actionDim);
      if (!inputs || !targets || typeof raw.seed !== 'number' || typeof raw.executedReturn !== 'number') return null;
      return { seed: raw.seed, steps, inputs, targets, executedReturn: raw.executedReturn, seconds: Number(raw.seconds) || 0 };
    } catch {
      return null;
    }
  }

  save(round: number, index: number, episode: LabelledEpisode): void {
    const { seed, steps, executedReturn, seconds } = episode;
    const body = { seed, steps, inputDim: this.inputDim, actionDim: this.actionDim, executedReturn, seconds, inputs: encode(episode.inputs), targets: encode(episode.targets) };
    writeFileAtomic(this.path(round, index), JSON.stringify(body), 'distillation episode');
  }
}

export function readPolicyFile(dir: string, digest: string): DistilledPolicyFile | null {
  const path = join(dir, 'policy.json');
  if (!existsSync(path)) return null;
  try {
    const file = JSON.parse(readFileSync(path, 'utf8')) as DistilledPolicyFile;
    return file.format === DISTILL_FORMAT_VERSION && file.digest === digest ? file : null;
  } catch {
    return null;
  }
}

export function writePolicyFile(dir: string, file: DistilledPolicyFile): void {
  writeFileAtomic(join(dir, 'policy.json'), JSON.stringify(file), 'distilled policy');
}
