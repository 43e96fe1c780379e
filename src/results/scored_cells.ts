/**
 * The inputs of `bench compare` and `bench report`: a run directory (its results.json), a results.json file or a
 * results.csv file, read as one list of scored cells with everything that decides whether two cells may be
 * compared. Bad inputs (missing path, another file, an older CSV, mixed benchmarks) fail with one line naming
 * the input.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { TASK_FAMILIES } from '../envs/families.js';
import { parseResultsCsv } from './csv.js';
import { RunDir } from './run_dir.js';
import { scoredEvaluation, type CellResult } from './schema.js';

/** The fields of a cell that define its measurement: cells are compared only when all of these agree. */
export const PROTOCOL_FIELDS = [
  'profile',
  'metric',
  'horizon',
  'demos',
  'evalEpisodes',
  'evalSeedBase',
  'epochs',
  'evalEvery',
  'imageSize',
  'batchSize',
  'camera',
] as const satisfies readonly (keyof CellResult)[];

export type CellProtocol = Pick<CellResult, (typeof PROTOCOL_FIELDS)[number]>;

/** A cell as `bench compare` and `bench report` need it, read from a run directory or a CSV row. */
export interface ScoredCell extends Pick<CellResult, 'benchmark' | 'family' | 'task' | 'taskVersion' | 'encoder' | 'seed' | 'head' | 'shuffleActions'> {
  /** The first 16 hex digits of the encoder digest (what the CSV keeps). */
  encoderDigest: string;
  protocol: CellProtocol;
  /** Versions of the code that produced the cell, e.g. "bench 0.1.0, mujoco 3.3.7, ...". */
  versions: string;
  /** The CPU kind that computed the cell (run/versions.ts describeCpu), or UNRECORDED_CPU. */
  cpu: string;
  /** Per-episode scores of the scored evaluation, in evaluation-seed order. */
  episodeScores: number[];
  /** Their mean: the cell's score. */
  score: number;
}

export interface ScoredRun {
  /** How the input was named on the command line. */
  source: string;
  benchmark: string;
  cells: ScoredCell[];
}

const DIGEST_CHARS = 16;

/** The CPU of cells written before the CPU kind was recorded. */
export const UNRECORDED_CPU = 'not recorded';

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

export function scoredCell(cell: CellResult): ScoredCell {
  const episodeScores = scoredEvaluation(cell).episodeScores;
  const v = cell.versions;
  return {
    benchmark: cell.benchmark,
    family: cell.family,
    task: cell.task,
    taskVersion: cell.taskVersion,
    encoder: cell.encoder,
    encoderDigest: cell.encoderDigest.slice(0, DIGEST_CHARS),
    seed: cell.seed,
    protocol: Object.fromEntries(PROTOCOL_FIELDS.map((f) => [f, cell[f]])) as CellProtocol,
    head: cell.head,
    shuffleActions: cell.shuffleActions,
    versions: describeVersions(v.bench, v.mujoco, v.onnxruntime, v.tfjs, v.tfjsBackend),
    cpu: v.cpu ?? UNRECORDED_CPU,
    episodeScores,
    score: mean(episodeScores),
  };
}

function describeVersions(bench: string, mujoco: string, onnxruntime: string, tfjs: string, backend: string): string {
  return `bench ${bench}, mujoco ${mujoco}, onnxruntime ${onnxruntime}, tfjs ${tfjs} (${backend})`;
}

function csvCell(row: Record<string, string>, line: number, source: string): ScoredCell {
  const where = `${source} row ${line}`;
  const int = (column: string): number => {
    const text = row[column]!;
    if (!/^-?\d+$/.test(text)) throw new Error(`${where}: column ${column} must be an integer, got '${text}'`);
    return Number(text);
  };
  const oneOf = <T extends string>(column: string, values: readonly T[]): T => {
    const text = row[column]!;
    if (!(values as readonly string[]).includes(text)) throw new Error(`${where}: column ${column} must be one of ${values.join(', ')}, got '${text}'`);
    return text as T;
  };
  const family = oneOf('family', TASK_FAMILIES);
  const episodeScores = row.episode_scores!.split(' ').filter((s) => s !== '').map(Number);
  if (episodeScores.length === 0 || episodeScores.some((v) => !Number.isFinite(v))) {
    throw new Error(`${where}: column episode_scores must hold space-separated numbers, got '${row.episode_scores}'`);
  }
  return {
    benchmark: row.benchmark!,
    family,
    task: row.task!,
    taskVersion: int('task_version'),
    encoder: row.encoder!,
    encoderDigest: row.encoder_digest!.slice(0, DIGEST_CHARS),
    seed: int('seed'),
    protocol: {
      profile: row.profile!,
      metric: row.metric!,
      horizon: int('horizon'),
      demos: int('demos'),
      evalEpisodes: int('eval_episodes'),
      evalSeedBase: int('eval_seed_base'),
      epochs: int('epochs'),
      evalEvery: int('eval_every'),
      imageSize: int('image_size'),
      batchSize: int('batch_size'),
      camera: row.camera!,
    },
    head: oneOf('head', ['mlp', 'conv'] as const),
    shuffleActions: row.shuffle_actions === '1',
    versions: describeVersions(row.bench_version!, row.mujoco_version!, row.onnxruntime_version!, row.tfjs_version!, row.tfjs_backend!),
    cpu: row.cpu || UNRECORDED_CPU,
    episodeScores,
    score: mean(episodeScores),
  };
}

/**
 * Reads `path` (a run directory, a results.json or a results.csv) named `label` (e.g. "BASE") in errors.
 * Refuses an input whose cells span several benchmarks, and one with no cells.
 */
export function readScoredRun(path: string, label: string): ScoredRun {
  const source = `${label} '${path}'`;
  if (!existsSync(path)) throw new Error(`${source}: no such file or directory (expected a run directory, a results.json or a results.csv)`);
  const fromRunDir = (dir: string): ScoredCell[] => {
    try {
      return new RunDir(dir).readResults().cells.map(scoredCell);
    } catch (err) {
      throw new Error(`${source}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  let cells: ScoredCell[];
  if (statSync(path).isDirectory()) cells = fromRunDir(path);
  else if (basename(path) === 'results.json') cells = fromRunDir(dirname(path));
  else if (path.endsWith('.csv')) cells = parseResultsCsv(readFileSync(path, 'utf8'), source).map((row, i) => csvCell(row, i + 2, source));
  else throw new Error(`${source}: expected a run directory, a results.json or a .csv file`);
  if (cells.length === 0) throw new Error(`${source}: holds no finished cells`);
  const benchmarks = [...new Set(cells.map((c) => c.benchmark))];
  if (benchmarks.length > 1) throw new Error(`${source}: mixes the benchmarks ${benchmarks.join(', ')}; compare one benchmark at a time`);
  return { source, benchmark: benchmarks[0]!, cells };
}
