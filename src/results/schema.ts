/** What a run writes: one `CellResult` per finished cell (DIR/cells/*.json) and the joined `RunResults`. */
import type { FramePreprocessing } from '../encoders/encoder.js';
import type { TaskFamily } from '../envs/task.js';
import type { PolicyInit } from '../policies/init.js';
import type { PolicyHead } from '../policies/policy.js';
import type { NormEntropy } from '../eval/entropy.js';
import { correlationInterval } from '../eval/statistics.js';
import type { ProbeSet } from '../protocol/entropy_probe.js';
import type { Profile } from '../protocol/profiles.js';
import type { FeaturePrecision } from '../data/features.js';

/**
 * Version 2 names the task family `family` (version 1 called it `suite`, which also meant the benchmark). Version 3
 * records each cell's feature storage precision (`featurePrecision`; older cells were all float16) and the cells
 * that failed (`RunResults.failures`). Version 4 records the run's plan (so shards can be merged and checked), the
 * entropy histograms and the correlation's confidence intervals, and its CSV carries `schema` and `episode_scores`
 * columns. Version 5 measures entropy on the protocol's fixed probe set (entropy records name it, `probe`, and carry
 * their cache key) with entropies at several bin counts, and cells record their policy init and frame preprocessing.
 * Readers accept every version (see `upgradeCellResult`, `upgradeRunResults`, `upgradeEntropyRecord`).
 */
export const RESULTS_SCHEMA_VERSION = 5;

export interface Evaluation {
  /** Epochs trained when this evaluation ran (1-based). */
  epoch: number;
  /** Mean episode score over the evaluation episodes. */
  score: number;
  /** Per-episode scores, in evaluation-seed order. */
  episodeScores: number[];
  /** Mean training loss of this epoch. */
  trainLoss: number;
}

export interface Versions {
  bench: string;
  mujoco: string;
  onnxruntime: string;
  tfjs: string;
  /** tfjs backend that trained and ran the policy, e.g. "wasm", "tensorflow". */
  tfjsBackend: string;
  /**
   * The CPU that computed the cell (run/versions.ts describeCpu): ONNX Runtime's kernels differ by instruction set, so
   * ORT-encoded cells of two CPU kinds may differ in float rounding. Absent in cells written before it was recorded.
   */
  cpu?: string;
}

export interface Timings {
  demosSeconds: number;
  featuresSeconds: number;
  trainSeconds: number;
  evalSeconds: number;
  totalSeconds: number;
}

/** One evaluation split of a sweep cell: its scenes and its evaluations (at the same epochs as the cell's). */
export interface SplitResult {
  /** seen, unseen, out-of-range or novel-assets. */
  split: string;
  /** Digest of the split's scene variant set (envs/factors/variant_sets.ts). */
  scenes: string;
  evalEpisodes: number;
  evaluations: Evaluation[];
  /** Score at the cell's best epoch, which the seen split selects (the training distribution; never a test split). */
  score: number;
}

/** What a sweep cell (`bench sweep`) adds: its training factors and the score on every evaluation split. */
export interface SweepCellResult {
  /** The factor set: one factor or a pair. */
  factors: string[];
  /** Distinct training values. */
  k: number;
  demosPerValue: number;
  splits: SplitResult[];
}

export interface CellResult {
  schema: number;
  /** Digest of everything that determines this cell's numbers besides task/encoder/seed (see run/config.ts). */
  configDigest: string;
  /** The benchmark the run planned (e.g. cortexbench). */
  benchmark: string;
  /** The task family (dmc, metaworld): the paper's aggregation unit, which CortexBench calls a suite. */
  family: TaskFamily;
  task: string;
  taskVersion: number;
  encoder: string;
  encoderDigest: string;
  /** How frames reached the encoder's own preprocessing (encoders/encoder.ts). */
  framePreprocessing: FramePreprocessing;
  seed: number;
  profile: string;
  head: PolicyHead;
  /** How the policy trunk started (policies/init.ts). */
  policyInit: PolicyInit;
  shuffleActions: boolean;
  /** How `score` is defined, e.g. "return/10 per 1000 steps". */
  metric: string;
  horizon: number;
  demos: number;
  evalEpisodes: number;
  /** First evaluation-episode seed; the episodes use the seeds from here upwards that are not demo seeds of the task. */
  evalSeedBase: number;
  epochs: number;
  evalEvery: number;
  imageSize: number;
  batchSize: number;
  camera: string;
  /**
   * How the demo features were stored and fed to the policy: float16 normally, float32 for encoders whose features
   * exceed float16's range (|x| > 65504), which float16 would turn into infinities.
   */
  featurePrecision: FeaturePrecision;
  /**
   * Digest of the scene variant set the demos were recorded in (the canonical scene's for `bench run`); absent in
   * cells written before scenes had digests, which were all canonical.
   */
  scenes?: string;
  /** A sweep cell's factors and splits; absent for `bench run` cells. */
  sweep?: SweepCellResult;
  evaluations: Evaluation[];
  /** Best evaluation score (the protocol's number) and the epoch it came from (the earliest on ties). */
  bestScore: number;
  bestEpoch: number;
  finalScore: number;
  versions: Versions;
  timings: Timings;
}

/** The evaluation a cell's score comes from (the first at its best epoch). */
export function scoredEvaluation(cell: Pick<CellResult, 'evaluations' | 'bestEpoch' | 'task' | 'encoder' | 'seed'>): Evaluation {
  const scored = cell.evaluations.find((e) => e.epoch === cell.bestEpoch);
  if (!scored) throw new Error(`cell ${cell.task} x ${cell.encoder} x seed ${cell.seed}: no evaluation at its best epoch ${cell.bestEpoch}`);
  return scored;
}

/** Feature-norm entropy of one encoder on a probe set, stored per run in DIR/entropy/ (and cached per key). */
export interface EntropyRecord {
  encoder: string;
  encoderDigest: string;
  /** What determines the value: sha256 of the entropy definition, the encoder digest and the probe digest (eval/entropy_cache.ts). */
  key: string;
  /**
   * The frames it was measured on (protocol/entropy_probe.ts). Records upgraded from schema 1-4 describe their old
   * probe (demo frames of their run's tasks) with version 0, camera '', no seeds, steps or look, and never match a
   * current probe's digest.
   */
  probe: ProbeSet;
  result: NormEntropy;
}

/** A cell whose last attempt failed (DIR/failed/*.json): the run went on with the other cells. */
export interface CellFailure {
  schema: number;
  configDigest: string;
  task: string;
  taskVersion: number;
  encoder: string;
  encoderDigest: string;
  seed: number;
  /** A sweep cell's training factors (its file name carries them). */
  training?: { factors: string[]; k: number };
  /** The error message of the attempt. */
  error: string;
  /** ISO time of the failure. */
  failedAt: string;
}

export interface EncoderSummary {
  encoder: string;
  /** Mean over seeds of the best score, per task. */
  tasks: Record<string, number>;
  /** Mean over each family's tasks. */
  families: Partial<Record<TaskFamily, number>>;
  /** Mean over families. */
  benchmarkMean: number;
  entropy: number | null;
  entropyNormalised: number | null;
}

export interface Correlation {
  encoders: number;
  pearson: number;
  spearman: number;
  /** Confidence level 1 - alpha of the intervals. */
  alpha: number;
  /** Fisher-z confidence intervals; [-1, 1] with 3 encoders (nothing is known then). */
  pearsonInterval: [number, number];
  spearmanInterval: [number, number];
}

/** What a run planned before any sharding: the cells are tasks x encoders x seeds, in this order. */
export interface RunPlan {
  tasks: string[];
  encoders: string[];
  seeds: number[];
  /** A sweep's trainings (factor set x K), in plan order; absent for `bench run`. */
  trainings?: { factors: string[]; k: number }[];
}

/** One row of a sweep's summary: a task (or the mean over tasks, task '*'), encoder, factor set and K. */
export interface SweepSummaryRow {
  task: string;
  encoder: string;
  factors: string;
  k: number;
  /** Per split: mean over seeds of the split score, its standard error and the number of seeds. */
  splits: Record<string, { mean: number; se: number; n: number }>;
  /** seen - unseen in points, mean +- standard error over seeds (null without both splits). */
  gap: { mean: number; se: number } | null;
  /** gap / seen (null when seen is 0 or either split is missing). */
  relativeDrop: number | null;
}

export interface RunResults {
  schema: number;
  benchmark: string;
  profile: Profile;
  head: PolicyHead | 'auto';
  shuffleActions: boolean;
  tfjsBackend: string;
  plan: RunPlan;
  cells: CellResult[];
  /** Cells of this configuration whose last attempt failed; a rerun retries them. */
  failures: CellFailure[];
  entropy: EntropyRecord[];
  summary: EncoderSummary[];
  /** Entropy vs benchmark mean across encoders; null with fewer than 3 encoders. */
  entropyCorrelation: Correlation | null;
  /** A sweep's splits and its summary per task, encoder, factor set and K; absent for `bench run`. */
  sweep?: { splits: string[]; summary: SweepSummaryRow[] };
}

/**
 * A schema-4 cell: no policy init (it was 'last-layer-0.01') and no frame preprocessing (it was 'processor').
 * Schema-3 cells are stored as schema 4's.
 */
type CellResultV4 = Omit<CellResult, 'policyInit' | 'framePreprocessing'> & Partial<Pick<CellResult, 'policyInit' | 'framePreprocessing'>>;
/** A schema-2 cell: no featurePrecision (all features were float16). */
type CellResultV2 = Omit<CellResultV4, 'featurePrecision'>;
/** A schema-1 cell: schema 2 with the task family under `suite`. */
type CellResultV1 = Omit<CellResultV2, 'family'> & { suite: TaskFamily };
/** A schema-4 entropy record: 256 demo frames of the run's own tasks at the run's image size, one bin count. */
interface EntropyRecordV4 {
  encoder: string;
  encoderDigest: string;
  configDigest: string;
  probeTasks: string[];
  probeFrames: number;
  probeSeed: number;
  imageSize: number;
  result: Omit<NormEntropy, 'byBins' | 'frames'>;
}
/** A schema-3 entropy record: schema 4's without a histogram. */
type EntropyRecordV3 = Omit<EntropyRecordV4, 'result'> & { result: Omit<EntropyRecordV4['result'], 'histogram'> };
/** A schema-4 results.json: schema-4 cells and entropy records, a profile without policy init and frame path. */
type RunResultsV4 = Omit<RunResults, 'cells' | 'entropy' | 'profile'> & {
  profile: Omit<Profile, 'policyInit' | 'encoderPreprocessing'> & Partial<Pick<Profile, 'policyInit' | 'encoderPreprocessing'>>;
  cells: CellResultV4[];
  entropy: (EntropyRecordV4 | EntropyRecordV3)[];
};
/** A schema-3 results.json: no plan, no correlation intervals, entropy records without histograms. */
type RunResultsV3 = Omit<RunResultsV4, 'plan' | 'entropyCorrelation' | 'entropy'> & {
  entropy: EntropyRecordV3[];
  entropyCorrelation: Omit<Correlation, 'alpha' | 'pearsonInterval' | 'spearmanInterval'> | null;
};
/** A schema-2 results.json: schema-2 cells, no failures. */
type RunResultsV2 = Omit<RunResultsV3, 'cells' | 'failures'> & { cells: CellResultV2[] };
/** A schema-1 results.json: schema-1 cells, and the family means under `suites`. */
type RunResultsV1 = Omit<RunResultsV2, 'cells' | 'summary'> & {
  cells: CellResultV1[];
  summary: (Omit<EncoderSummary, 'families'> & { suites: EncoderSummary['families'] })[];
};

const readable = (source: string, what: string, schema: unknown): Error =>
  new Error(`${source}: ${what} of schema ${String(schema)}; this version reads schemas 1 to ${RESULTS_SCHEMA_VERSION}`);

/** A cell result of any schema this version reads, as the current schema. */
export function upgradeCellResult(raw: CellResult | CellResultV4 | CellResultV2 | CellResultV1, source: string): CellResult {
  if (raw === null || typeof raw !== 'object') throw new Error(`${source} is not a cell result (a JSON object)`);
  if (raw.schema === RESULTS_SCHEMA_VERSION && 'family' in raw && 'featurePrecision' in raw) return raw as CellResult;
  let v4: CellResultV4;
  if ((raw.schema === 4 || raw.schema === 3) && 'family' in raw && 'featurePrecision' in raw) {
    v4 = raw;
  } else if (raw.schema === 2 && 'family' in raw) {
    v4 = { ...raw, featurePrecision: 'float16' };
  } else if (raw.schema === 1 && 'suite' in raw) {
    const { suite, ...rest } = raw;
    v4 = { ...rest, family: suite, featurePrecision: 'float16' };
  } else {
    throw readable(source, 'cell result', raw.schema);
  }
  // What the code that wrote schemas 1 to 4 did (values present win).
  return { policyInit: 'last-layer-0.01', framePreprocessing: 'processor', ...v4, schema: RESULTS_SCHEMA_VERSION };
}

/**
 * An entropy record of any schema, as the current one. Records before schema 5 were measured on their run's own demo
 * frames (see `EntropyRecord.probe`) at one bin count; before schema 4 they have no histogram (null).
 */
export function upgradeEntropyRecord(raw: EntropyRecord | EntropyRecordV4 | EntropyRecordV3): EntropyRecord {
  if ('probe' in raw) return raw;
  const { encoder, encoderDigest, configDigest, probeTasks, probeFrames, probeSeed, imageSize, result } = raw;
  const { entropy, entropyNormalised, bins } = result;
  return {
    encoder,
    encoderDigest,
    key: `schema-4:${configDigest}`,
    probe: {
      name: `demo frames of the run's tasks (schema 1-4, probe seed ${probeSeed})`,
      tasks: probeTasks.map((name) => ({ name, version: 0, camera: '' })),
      episodeSeeds: [],
      frameSteps: [],
      imageSize,
      look: null,
      digest: `schema-4:${configDigest}`,
    },
    result: { histogram: null, ...result, byBins: [{ bins, entropy, entropyNormalised }], frames: probeFrames },
  };
}

/** The plan of an older results file, as its cells show it: tasks and encoders in cell order, seeds ascending. */
function planOfCells(cells: readonly CellResult[]): RunPlan {
  const unique = <T>(values: T[]): T[] => [...new Set(values)];
  return {
    tasks: unique(cells.map((c) => c.task)),
    encoders: unique(cells.map((c) => c.encoder)),
    seeds: unique(cells.map((c) => c.seed)).sort((a, b) => a - b),
  };
}

/** Schema 1 -> 2: cells and family means renamed from `suite` to `family`. */
function v1ToV2(v1: RunResultsV1, source: string): RunResultsV2 {
  return {
    ...v1,
    schema: 2,
    cells: v1.cells.map((c) => upgradeCellResult(c, source)),
    summary: v1.summary.map(({ suites, ...rest }) => ({ ...rest, families: suites })),
  };
}

/** Schema 2 -> 3: cells gain their feature precision, the results an (empty) list of failures. */
function v2ToV3(v2: RunResultsV2, source: string): RunResultsV3 {
  return { ...v2, schema: 3, cells: v2.cells.map((c) => upgradeCellResult(c, source)), failures: [] };
}

/** A results.json of any schema this version reads, as the current schema. */
export function upgradeRunResults(raw: RunResults | RunResultsV4 | RunResultsV3 | RunResultsV2 | RunResultsV1, source: string): RunResults {
  if (raw === null || typeof raw !== 'object' || !Array.isArray(raw.cells)) throw new Error(`${source} is not a bench results file (no cells)`);
  if (raw.schema === RESULTS_SCHEMA_VERSION) return raw as RunResults;
  if (raw.schema === 4) return v4ToV5(raw as RunResultsV4, source);
  if (raw.schema !== 1 && raw.schema !== 2 && raw.schema !== 3) throw readable(source, 'results', raw.schema);
  const v2 = raw.schema === 1 ? v1ToV2(raw as RunResultsV1, source) : (raw as RunResultsV2);
  const v3 = raw.schema === 3 ? (raw as RunResultsV3) : v2ToV3(v2, source);
  // Schema 3 -> 4: the plan as the cells show it, entropy records without histograms, correlations with intervals.
  const corr = v3.entropyCorrelation;
  const v4: RunResultsV4 = {
    ...v3,
    schema: 4,
    plan: planOfCells(v3.cells.map((c) => upgradeCellResult(c, source))),
    entropyCorrelation: corr ? withIntervals(corr, DEFAULT_ALPHA) : null,
  };
  return v4ToV5(v4, source);
}

/** Schema 4 -> 5: cells and the profile gain the policy init and frame path of that code, entropy records their old probe. */
function v4ToV5(v4: RunResultsV4, source: string): RunResults {
  return {
    ...v4,
    schema: RESULTS_SCHEMA_VERSION,
    profile: { policyInit: 'last-layer-0.01', encoderPreprocessing: 'processor', ...v4.profile },
    cells: v4.cells.map((c) => upgradeCellResult(c, source)),
    entropy: v4.entropy.map(upgradeEntropyRecord),
  };
}

/** The significance level of intervals unless a command is given another (95% intervals). */
export const DEFAULT_ALPHA = 0.05;

/** A correlation with its Fisher-z intervals at level 1 - alpha. */
export function withIntervals(corr: Pick<Correlation, 'encoders' | 'pearson' | 'spearman'>, alpha: number): Correlation {
  return {
    encoders: corr.encoders,
    pearson: corr.pearson,
    spearman: corr.spearman,
    alpha,
    pearsonInterval: correlationInterval(corr.pearson, corr.encoders, alpha, 'pearson'),
    spearmanInterval: correlationInterval(corr.spearman, corr.encoders, alpha, 'spearman'),
  };
}
