/**
 * One benchmark cell (task x encoder x seed), top to bottom: demos -> features -> FLARE dataset -> policy
 * training, with evaluation rollouts every `evalEvery` epochs and after the last epoch.
 */
import { getTask } from '../envs/registry.js';
import { featureWidth, type FeatureKind } from '../data/features.js';
import { metricName } from '../envs/families.js';
import { bestEvaluation } from '../eval/metrics.js';
import { evaluateEpisodes } from '../eval/rollout.js';
import type { PolicySpec } from '../policies/policy.js';
import { RESULTS_SCHEMA_VERSION, type CellResult, type Evaluation, type Versions } from '../results/schema.js';
import { epochSeed, evaluationSeeds } from '../protocol/seeds.js';
import { resolveHead, type RunConfig } from './config.js';
import { buildDataset, shuffleActions } from './dataset.js';
import type { RunDependencies } from './deps.js';
import type { CellSpec } from './plan.js';
import { evaluationEpochs, taskSettings } from '../protocol/profiles.js';
import { profileHorizon, type RunResources } from './resources.js';

export interface CellContext {
  config: RunConfig;
  configDigest: string;
  deps: RunDependencies;
  resources: RunResources;
  versions: Versions;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export async function runCell(ctx: CellContext, cell: CellSpec): Promise<CellResult> {
  const started = performance.now();
  const { config, resources } = ctx;
  const { profile } = config;
  const task = getTask(cell.task);
  const family = taskSettings(profile, task);
  const horizon = profileHorizon(profile, task.name);
  const head = resolveHead(config, cell.encoder);
  const kind: FeatureKind = head === 'conv' ? 'spatial' : 'pooled';
  const encoder = await resources.encoder(cell.encoder);
  const width = featureWidth(encoder, kind);

  const demos = await resources.demos(task, true);
  const { features, seconds: featuresSeconds } = await resources.features(task, cell.encoder, kind, horizon);
  let dataset = buildDataset(demos.set.episodes, features);
  if (config.shuffleActions) dataset = shuffleActions(dataset, cell.seed);

  const episode0 = demos.set.episodes[0]!;
  const spec: PolicySpec = {
    head,
    featureDim: 3 * width,
    proprioDim: episode0.proprioDim,
    actionDim: episode0.actionDim,
    ...(head === 'conv' ? { tokens: { grid: encoder.info.spatial!.grid, channels: encoder.info.spatial!.channels } } : {}),
  };
  const evalSeeds = evaluationSeeds(family.evalEpisodes, demos.set.episodes.map((e) => e.seed));
  const envs = await resources.evalEnvsFor(task, family.evalEpisodes);
  const evalAt = new Set(evaluationEpochs(profile.epochs, profile.evalEvery));

  const policy = await ctx.deps.createPolicy(spec, cell.seed, { batchSize: profile.batchSize });
  const evaluations: Evaluation[] = [];
  let trainSeconds = 0;
  let evalSeconds = 0;
  try {
    for (let epoch = 1; epoch <= profile.epochs; epoch++) {
      if (ctx.signal?.aborted) throw ctx.signal.reason ?? new Error('aborted');
      const t0 = performance.now();
      const trainLoss = await policy.trainEpoch(dataset, epochSeed(cell.seed, epoch));
      trainSeconds += (performance.now() - t0) / 1000;
      if (!evalAt.has(epoch)) continue;
      const t1 = performance.now();
      const outcomes = await evaluateEpisodes({
        envs,
        encoder,
        policy,
        kind,
        seeds: evalSeeds,
        horizon,
        imageSize: profile.imageSize,
        camera: task.defaultCamera,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      evalSeconds += (performance.now() - t1) / 1000;
      const episodeScores = outcomes.map((o) => o.score);
      const score = episodeScores.reduce((a, b) => a + b, 0) / episodeScores.length;
      evaluations.push({ epoch, score, episodeScores, trainLoss });
      ctx.log(`  ${cell.task} ${cell.encoder} seed ${cell.seed}: epoch ${epoch} loss ${trainLoss.toFixed(4)} score ${score.toFixed(1)}`);
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
    encoder: cell.encoder,
    encoderDigest: encoder.info.digest,
    seed: cell.seed,
    profile: profile.name,
    head,
    shuffleActions: config.shuffleActions,
    metric: metricName(task, horizon),
    horizon,
    demos: demos.set.episodes.length,
    evalEpisodes: evalSeeds.length,
    evalSeedBase: evalSeeds[0]!,
    epochs: profile.epochs,
    evalEvery: profile.evalEvery,
    imageSize: profile.imageSize,
    batchSize: profile.batchSize,
    camera: task.defaultCamera,
    evaluations,
    bestScore: best.score,
    bestEpoch: best.epoch,
    finalScore: evaluations[evaluations.length - 1]!.score,
    versions: ctx.versions,
    timings: {
      demosSeconds: demos.seconds,
      featuresSeconds,
      trainSeconds,
      evalSeconds,
      totalSeconds: (performance.now() - started) / 1000,
    },
  };
}
