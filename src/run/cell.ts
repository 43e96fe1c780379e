/**
 * One benchmark cell (task x encoder x seed), top to bottom: demos -> features -> FLARE dataset -> policy
 * training, with evaluation rollouts every `evalEvery` epochs and after the last epoch.
 */
import { featureWidth } from '../data/features.js';
import { metricName } from '../envs/families.js';
import { bestEvaluation } from '../eval/metrics.js';
import { evaluateEpisodes } from '../eval/rollout.js';
import type { PolicySpec } from '../policies/policy.js';
import { evaluationEpochs } from '../protocol/profiles.js';
import { epochSeed, evaluationSeeds } from '../protocol/seeds.js';
import { RESULTS_SCHEMA_VERSION, type CellResult, type Evaluation, type Versions } from '../results/schema.js';
import type { RunConfig } from './config.js';
import { buildDataset, shuffleActions } from './dataset.js';
import type { RunDependencies } from './deps.js';
import type { ResolvedCell } from './resolved.js';
import type { RunResources } from './resources.js';

export interface CellContext {
  config: RunConfig;
  configDigest: string;
  deps: RunDependencies;
  resources: RunResources;
  versions: Versions;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export async function runCell(ctx: CellContext, cell: ResolvedCell): Promise<CellResult> {
  const started = performance.now();
  const { config, resources } = ctx;
  const { profile } = config;
  const { definition: task, protocol } = cell.task;
  const { spec: encoderSpec, encoder, head, kind } = cell.encoder;
  const { horizon, render } = protocol;
  const width = featureWidth(encoder, kind);

  const demos = await resources.demos(cell.task);
  const demosSeconds = resources.claimDemoSeconds(task);
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
  const evalSeeds = evaluationSeeds(protocol.evalEpisodes, demos.episodes.map((e) => e.seed));
  const envs = await resources.evalEnvsFor(task, protocol.evalEpisodes);
  const evalAt = new Set(evaluationEpochs(profile.epochs, profile.evalEvery));

  const policy = await ctx.deps.createPolicy(spec, cell.seed, { batchSize: profile.batchSize });
  const evaluations: Evaluation[] = [];
  let trainSeconds = 0;
  let evalSeconds = 0;
  try {
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
        seeds: evalSeeds,
        horizon,
        render,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      evalSeconds += (performance.now() - t1) / 1000;
      const episodeScores = outcomes.map((o) => o.score);
      const score = episodeScores.reduce((a, b) => a + b, 0) / episodeScores.length;
      evaluations.push({ epoch, score, episodeScores, trainLoss });
      ctx.log(`  ${task.name} ${encoderSpec.text} seed ${cell.seed}: epoch ${epoch} loss ${trainLoss.toFixed(4)} score ${score.toFixed(1)}`);
    }
  } finally {
    policy.dispose();
  }

  const best = bestEvaluation(evaluations);
  return {
    schema: RESULTS_SCHEMA_VERSION,
    configDigest: ctx.configDigest,
    benchmark: config.benchmark,
    family: task.family,
    task: task.name,
    taskVersion: task.version,
    encoder: encoderSpec.text,
    encoderDigest: encoder.info.digest,
    seed: cell.seed,
    profile: profile.name,
    head,
    shuffleActions: config.shuffleActions,
    metric: metricName(task, horizon),
    horizon,
    demos: demos.episodes.length,
    evalEpisodes: evalSeeds.length,
    evalSeedBase: evalSeeds[0]!,
    epochs: profile.epochs,
    evalEvery: profile.evalEvery,
    imageSize: render.imageSize,
    batchSize: profile.batchSize,
    camera: render.camera,
    featurePrecision: features.precision,
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
      totalSeconds: (performance.now() - started) / 1000,
    },
  };
}
