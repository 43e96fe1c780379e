/**
 * One benchmark cell (task x training scenes x encoder x seed), top to bottom: demos (in the training scenes) ->
 * features -> FLARE dataset -> policy training, with evaluation rollouts in every evaluation split's scenes every
 * `evalEvery` epochs and after the last epoch.
 */
import { featureWidth } from '../data/features.js';
import { variantForEpisode } from '../envs/factors/variant_sets.js';
import { metricName } from '../envs/families.js';
import { bestEvaluation } from '../eval/metrics.js';
import { evaluateEpisodes } from '../eval/rollout.js';
import type { PolicySpec } from '../policies/policy.js';
import { evaluationEpochs } from '../protocol/profiles.js';
import { epochSeed, evaluationSeeds } from '../protocol/seeds.js';
import { RESULTS_SCHEMA_VERSION, type CellResult, type Evaluation, type SplitResult, type Versions } from '../results/schema.js';
import type { PolicyEngine } from '../policies/training.js';
import type { RunConfig } from './config.js';
import { buildDataset, shuffleActions } from './dataset.js';
import type { RunDependencies } from './deps.js';
import type { ResolvedCell } from './resolved.js';
import { evalEnvCount, evalEpisodes, type LentEnvs, type RunResources } from './resources.js';
import { describeTraining } from './scenes.js';

export interface CellContext {
  config: RunConfig;
  configDigest: string;
  deps: RunDependencies;
  resources: RunResources;
  versions: Versions;
  /** Where the policies train (the run's backend request, policies/backend.ts). */
  engine: PolicyEngine;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export async function runCell(ctx: CellContext, cell: ResolvedCell): Promise<CellResult> {
  const { config, resources } = ctx;
  const { profile } = config;
  const { definition: task, protocol } = cell.task;
  const { spec: encoderSpec, encoder, head, kind } = cell.encoder;
  const { horizon, render } = protocol;
  const width = featureWidth(encoder, kind);

  const demos = await resources.demos(cell.task, cell.training);
  const demosSeconds = resources.claimDemoSeconds(task, cell.training);
  // The clock starts after the demos, whose cost (recorded now or before this cell) is demosSeconds.
  const started = performance.now();
  const { features, seconds: featuresSeconds } = await resources.features(cell);
  let dataset = buildDataset(demos.episodes, features);
  if (config.shuffleActions) dataset = shuffleActions(dataset, cell.seed);

  const episode0 = demos.episodes[0]!;
  const spec: PolicySpec = {
    head,
    featureDim: 3 * width,
    proprioDim: episode0.proprioDim,
    actionDim: episode0.actionDim,
    ...(head === 'conv' ? { tokens: { grid: encoder.info.spatial!.grid, channels: encoder.info.spatial!.channels } } : {}),
  };
  // Every split evaluates on the same seeds (never a demo seed), each episode in its split's scene.
  const evalSeeds = evaluationSeeds(evalEpisodes(cell), demos.episodes.map((e) => e.seed));
  const splits = cell.evaluation.map((scenes) => {
    const seeds = evalSeeds.slice(0, scenes.episodes);
    return { scenes, seeds, variants: seeds.map((_, i) => variantForEpisode(scenes.set, i)), evaluations: [] as Evaluation[] };
  });
  const evalAt = new Set(evaluationEpochs(profile.epochs, profile.evalEvery));
  const sweep = cell.training.factors;

  const policy = await ctx.deps.createPolicy(spec, cell.seed, { batchSize: profile.batchSize, init: profile.policyInit, engine: ctx.engine });
  let trainSeconds = 0;
  let evalSeconds = 0;
  let lent: LentEnvs | null = null;
  try {
    // Every split's episodes run together, one env each: one evaluation step encodes all their frames in one batch
    // (larger batches keep the encoder's threads busy; each frame's features are the same in any batch). Lent until
    // the cell is done: a worker pool then goes on to the next cell's task.
    lent = await resources.evalEnvsFor(task, evalEnvCount(cell));
    const { envs } = lent;
    for (let epoch = 1; epoch <= profile.epochs; epoch++) {
      ctx.signal?.throwIfAborted();
      const t0 = performance.now();
      const trainLoss = await policy.trainEpoch(dataset, epochSeed(cell.seed, epoch));
      trainSeconds += (performance.now() - t0) / 1000;
      if (!evalAt.has(epoch)) continue;
      const t1 = performance.now();
      const outcomes = await evaluateEpisodes({
        envs,
        task,
        encoder,
        policy,
        kind,
        precision: features.precision,
        seeds: splits.flatMap((s) => s.seeds),
        variants: splits.flatMap((s) => s.variants),
        horizon,
        render,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      let first = 0;
      for (const split of splits) {
        const episodeScores = outcomes.slice(first, (first += split.seeds.length)).map((o) => o.score);
        const score = episodeScores.reduce((a, b) => a + b, 0) / episodeScores.length;
        split.evaluations.push({ epoch, score, episodeScores, trainLoss });
      }
      evalSeconds += (performance.now() - t1) / 1000;
      const scores = splits.map((s) => `${sweep ? `${s.scenes.split} ` : ''}${s.evaluations[s.evaluations.length - 1]!.score.toFixed(1)}`).join(', ');
      ctx.log(`  ${task.name}${sweep ? ` ${describeTraining(sweep)}` : ''} ${encoderSpec.text} seed ${cell.seed}: epoch ${epoch} loss ${trainLoss.toFixed(4)} score ${scores}`);
    }
  } finally {
    lent?.release();
    await policy.dispose();
  }

  // The first split (seen: the training scenes) picks the best epoch; every split reports its score there.
  const evaluations = splits[0]!.evaluations;
  const best = bestEvaluation(evaluations);
  const splitResults: SplitResult[] = splits.map((s) => ({
    split: s.scenes.split,
    scenes: s.scenes.digest,
    evalEpisodes: s.seeds.length,
    evaluations: s.evaluations,
    score: s.evaluations.find((e) => e.epoch === best.epoch)!.score,
  }));
  return {
    schema: RESULTS_SCHEMA_VERSION,
    configDigest: ctx.configDigest,
    benchmark: config.benchmark,
    family: task.family,
    task: task.name,
    taskVersion: task.version,
    encoder: encoderSpec.text,
    encoderDigest: encoder.info.digest,
    framePreprocessing: cell.encoder.framePreprocessing,
    seed: cell.seed,
    profile: profile.name,
    head,
    policyInit: profile.policyInit,
    shuffleActions: config.shuffleActions,
    metric: metricName(task, horizon),
    horizon,
    demos: demos.episodes.length,
    evalEpisodes: splits[0]!.seeds.length,
    evalSeedBase: evalSeeds[0]!,
    epochs: profile.epochs,
    evalEvery: profile.evalEvery,
    imageSize: render.imageSize,
    batchSize: profile.batchSize,
    camera: render.camera,
    featurePrecision: features.precision,
    scenes: cell.training.digest,
    ...(sweep ? { sweep: { factors: [...sweep.factors], k: sweep.k, demosPerValue: cell.training.set.cadence, splits: splitResults } } : {}),
    evaluations,
    bestScore: best.score,
    bestEpoch: best.epoch,
    finalScore: evaluations[evaluations.length - 1]!.score,
    versions: ctx.versions,
    timings: {
      demosSeconds,
      featuresSeconds,
      trainSeconds,
      evalSeconds,
      // The demos may have been generated before this cell started (shared by the task's cells); the first cell
      // that uses them is charged for them, so its total is the sum of its stages (the clock starts after them).
      totalSeconds: demosSeconds + (performance.now() - started) / 1000,
    },
  };
}
