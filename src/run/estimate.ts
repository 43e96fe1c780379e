/**
 * `bench run --dry-run`: what a run would cost, from the cost of each stage measured here and now on a few units
 * of work, multiplied out over the profile's protocol. Nothing is written and no cache is read or filled.
 *
 * Per task: an expert episode's start (its reset and whatever the expert does before the first step, e.g. pen's
 * episode search) and an expert step with its physics (demos), a physics step (evaluation) and a rendered frame at
 * the profile's size and look. Per encoder: a frame encoded (in a batch of the feature stage's size) and a policy
 * training sample (`TRAIN_BATCHES` mini-batches of the profile's size on random data, for the encoder's head and feature
 * width). Then:
 *   demos     = sum over tasks of demos x (episode start + horizon x expert step)  (once per task, shared by encoders)
 *   features  = demo frames (demos x horizon) x (render + encode)              (per task and encoder)
 *   train     = epochs x demo frames x training sample                         (per cell)
 *   eval      = evaluation points x episodes x horizon x (step + render + encode) (per cell)
 * Policy inference during evaluation and the entropy probe (256 frames per encoder) are left out: both are small
 * next to the encoder calls. Demo lengths are the profile's horizon, the steps a run records and trains on (experts
 * that finish early only make the estimate high). Every figure is time on one thread: demo generation spreads its
 * episodes over the demo workers, ONNX Runtime its calls over its intra-op threads (measured as they run here).
 */
import type { FeatureKind } from '../data/features.js';
import { FEATURE_BATCH, featureWidth } from '../data/features.js';
import type { Encoder } from '../encoders/encoder.js';
import type { Env } from '../envs/env.js';
import { ExpertRollout } from '../envs/expert_rollout.js';
import type { FrameRequest } from '../envs/vector_env.js';
import { evaluationEpochs, type Profile } from '../protocol/profiles.js';
import { frameOptions } from '../protocol/render_settings.js';
import type { PolicyHead, PolicySpec } from '../policies/policy.js';
import { Rng } from '../util/rng.js';
import type { RunDependencies } from './deps.js';
import type { RunEncoder, RunTask } from './resolved.js';

/** Frames per encoder call in the measurement: the feature stage's batch, the throughput that stage gets. */
export const ENCODE_BATCH = FEATURE_BATCH;
/** Expert steps and frames measured per task (an expert step can take a tenth of a second). */
const TASK_UNITS = 5;
/** Training mini-batches timed per encoder (a few, so per-epoch set-up does not dominate). */
const TRAIN_BATCHES = 8;
/** Physics steps measured per task (each well under a millisecond). */
const STEP_UNITS = 50;

/** Measured seconds per unit of a task's work. */
export interface TaskCosts {
  task: string;
  /** An expert episode's reset and the expert's work before its first step (pen searches its episode then). */
  expertEpisodeStartSeconds: number;
  /** One expert step after that, the expert's planning and the physics. */
  expertStepSeconds: number;
  stepSeconds: number;
  renderSeconds: number;
}

/** Measured seconds per unit of an encoder's work (with its head). */
export interface EncoderCosts {
  encoder: string;
  head: PolicyHead;
  encodeSeconds: number;
  trainSampleSeconds: number;
}

export interface StageSeconds {
  features: number;
  train: number;
  eval: number;
}

export interface EncoderEstimate {
  encoder: string;
  head: PolicyHead;
  cells: number;
  /** Demo frames (features) plus evaluation frames, each one encoder call. */
  framesToEncode: number;
  demoFrames: number;
  /** Policy steps over every evaluation episode of every cell (each one frame to encode). */
  policyStepsToEvaluate: number;
  trainSamples: number;
  seconds: StageSeconds;
  /** The encoder calls alone at 100 images/s, to scale by another machine's encoder throughput. */
  encoderHoursAt100ImagesPerSecond: number;
}

export interface RunEstimate {
  profile: string;
  cells: number;
  expertSteps: number;
  demoSeconds: number;
  encoders: EncoderEstimate[];
  totalHours: number;
}

/** The arithmetic of the header comment, on given costs (pure, so it is tested on its own). */
export function estimateRun(
  profile: Pick<Profile, 'name' | 'epochs' | 'evalEvery'>,
  tasks: readonly RunTask[],
  seeds: number,
  taskCosts: readonly TaskCosts[],
  encoderCosts: readonly EncoderCosts[],
): RunEstimate {
  const costOf = (name: string): TaskCosts => {
    const cost = taskCosts.find((c) => c.task === name);
    if (!cost) throw new Error(`estimateRun: no measured costs for task '${name}'`);
    return cost;
  };
  const evalPoints = evaluationEpochs(profile.epochs, profile.evalEvery).length;
  let expertSteps = 0;
  let demoSeconds = 0;
  for (const { definition, protocol } of tasks) {
    const cost = costOf(definition.name);
    const steps = protocol.demos * protocol.horizon;
    expertSteps += steps;
    demoSeconds += protocol.demos * cost.expertEpisodeStartSeconds + steps * cost.expertStepSeconds;
  }
  const encoders = encoderCosts.map((enc): EncoderEstimate => {
    const seconds: StageSeconds = { features: 0, train: 0, eval: 0 };
    let demoFrames = 0;
    let evalSteps = 0;
    for (const { definition, protocol } of tasks) {
      const cost = costOf(definition.name);
      const frames = protocol.demos * protocol.horizon;
      const steps = evalPoints * protocol.evalEpisodes * protocol.horizon * seeds;
      demoFrames += frames;
      evalSteps += steps;
      seconds.features += frames * (cost.renderSeconds + enc.encodeSeconds);
      seconds.train += seeds * profile.epochs * frames * enc.trainSampleSeconds;
      seconds.eval += steps * (cost.stepSeconds + cost.renderSeconds + enc.encodeSeconds);
    }
    const framesToEncode = demoFrames + evalSteps;
    return {
      encoder: enc.encoder,
      head: enc.head,
      cells: tasks.length * seeds,
      framesToEncode,
      demoFrames,
      policyStepsToEvaluate: evalSteps,
      trainSamples: seeds * profile.epochs * demoFrames,
      seconds,
      encoderHoursAt100ImagesPerSecond: framesToEncode / 100 / 3600,
    };
  });
  const encoderSeconds = encoders.reduce((sum, e) => sum + e.seconds.features + e.seconds.train + e.seconds.eval, 0);
  return {
    profile: profile.name,
    cells: tasks.length * seeds * encoderCosts.length,
    expertSteps,
    demoSeconds,
    encoders,
    totalHours: (demoSeconds + encoderSeconds) / 3600,
  };
}

/** Times an expert episode's start, `TASK_UNITS` expert steps, physics steps and rendered frames of the task. */
export async function measureTaskCosts({ definition, protocol }: RunTask): Promise<TaskCosts> {
  const rollout = await ExpertRollout.create(definition);
  try {
    // The first episode compiles the expert's and the renderer's paths. The timed one is split after its first step:
    // the reset, whatever the expert does before acting and that step are the start; the steps after it, the steps.
    rollout.episode(0, { maxSteps: 1 });
    const started = performance.now();
    let firstStepDone = started;
    const onState = (t: number): void => {
      if (t === 1) firstStepDone = performance.now();
    };
    rollout.episode(1, { maxSteps: 1 + TASK_UNITS, onState });
    const expertEpisodeStartSeconds = (firstStepDone - started) / 1000;
    const expertStepSeconds = (performance.now() - firstStepDone) / 1000 / TASK_UNITS;
    const { env } = rollout;
    const zero = new Float64Array(env.actionSpec.dim);
    env.reset({ seed: 2 });
    env.step(zero);
    const stepsStarted = performance.now();
    for (let i = 0; i < STEP_UNITS; i++) env.step(zero);
    const stepSeconds = (performance.now() - stepsStarted) / 1000 / STEP_UNITS;
    const renderSeconds = measureRenderSeconds(env, frameOptions(protocol.render));
    return { task: definition.name, expertEpisodeStartSeconds, expertStepSeconds, stepSeconds, renderSeconds };
  } finally {
    rollout.close();
  }
}

/** Times one batch of `ENCODE_BATCH` frames at `imageSize` and `TRAIN_BATCHES` training batches of the encoder's head. */
export async function measureEncoderCosts(
  { spec, encoder, head, kind }: RunEncoder,
  imageSize: number,
  training: Parameters<RunDependencies['createPolicy']>[2],
  createPolicy: RunDependencies['createPolicy'],
): Promise<EncoderCosts> {
  const rng = new Rng(7);
  const encodeSeconds = await measureEncodeSeconds(encoder, imageSize, kind);

  const policySpec = trainingSpec(encoder, head, kind);
  const policy = await createPolicy(policySpec, 1, training);
  try {
    const data = (count: number) => ({
      count,
      features: Float32Array.from({ length: count * policySpec.featureDim }, () => rng.normal()),
      proprio: Float32Array.from({ length: count * policySpec.proprioDim }, () => rng.normal()),
      actions: Float32Array.from({ length: count * policySpec.actionDim }, () => rng.normal()),
    });
    await policy.trainEpoch(data(training.batchSize), 0); // warm-up: kernels, sessions, at the batch's shape
    const timed = data(TRAIN_BATCHES * training.batchSize);
    const start = performance.now();
    await policy.trainEpoch(timed, 1);
    const trainSampleSeconds = (performance.now() - start) / 1000 / timed.count;
    return { encoder: spec.text, head, encodeSeconds, trainSampleSeconds };
  } finally {
    await policy.dispose();
  }
}

/** Seconds per frame of one batch of `ENCODE_BATCH` random frames at `imageSize`, after a warm-up batch. */
export async function measureEncodeSeconds(encoder: Encoder, imageSize: number, kind: FeatureKind): Promise<number> {
  const rng = new Rng(7);
  const frames = { n: ENCODE_BATCH, height: imageSize, width: imageSize, data: new Uint8Array(ENCODE_BATCH * imageSize * imageSize * 3) };
  for (let i = 0; i < frames.data.length; i++) frames.data[i] = Math.floor(rng.uniform(0, 256));
  await encoder.encode(frames, { spatial: kind === 'spatial' }); // warm-up: sessions, arenas
  const start = performance.now();
  await encoder.encode(frames, { spatial: kind === 'spatial' });
  return (performance.now() - start) / 1000 / ENCODE_BATCH;
}

/** Seconds per frame of `TASK_UNITS` renders of `env` with `frame`, after a warm-up render. */
export function measureRenderSeconds(env: Env, frame: FrameRequest): number {
  env.render(frame);
  const start = performance.now();
  for (let i = 0; i < TASK_UNITS; i++) env.render(frame);
  return (performance.now() - start) / 1000 / TASK_UNITS;
}

/** A policy of the encoder's head and width with DMC-sized proprio and actions (their size barely moves the cost). */
function trainingSpec(encoder: Encoder, head: PolicyHead, kind: FeatureKind): PolicySpec {
  const spatial = encoder.info.spatial;
  return {
    head,
    featureDim: 3 * featureWidth(encoder, kind),
    proprioDim: 4,
    actionDim: 6,
    ...(head === 'conv' && spatial ? { tokens: { grid: spatial.grid, channels: spatial.channels } } : {}),
  };
}

const hours = (seconds: number): string => `${(seconds / 3600).toFixed(1)} h`;
const count = (n: number): string => n.toLocaleString('en-US');

/** The estimate as printed by `bench run --dry-run`. */
export function formatEstimate(estimate: RunEstimate, taskCosts: readonly TaskCosts[], encoderCosts: readonly EncoderCosts[]): string {
  const lines = [`dry run, profile ${estimate.profile}: ${estimate.cells} cells; costs measured on this machine just now`];
  for (const c of taskCosts) {
    const ms = (s: number): string => `${(s * 1000).toFixed(1)} ms`;
    lines.push(
      `  ${c.task}: expert episode start ${ms(c.expertEpisodeStartSeconds)}, expert step ${ms(c.expertStepSeconds)}, ` +
        `physics step ${ms(c.stepSeconds)}, frame ${ms(c.renderSeconds)}`,
    );
  }
  for (const c of encoderCosts) {
    lines.push(`  ${c.encoder} (${c.head} head): ${(1 / c.encodeSeconds).toFixed(1)} images/s, ${(1 / c.trainSampleSeconds).toFixed(0)} training samples/s`);
  }
  lines.push(`demos: ${count(estimate.expertSteps)} expert steps, ${hours(estimate.demoSeconds)} (once per task, shared by the encoders)`);
  for (const e of estimate.encoders) {
    const { features, train, eval: evaluation } = e.seconds;
    lines.push(
      `${e.encoder}: ${e.cells} cells, ${count(e.framesToEncode)} frames to encode (${count(e.demoFrames)} demo frames, ` +
        `${count(e.policyStepsToEvaluate)} policy steps to evaluate), ${count(e.trainSamples)} training samples; ` +
        `${hours(features + train + evaluation)} here (features ${hours(features)}, train ${hours(train)}, eval ${hours(evaluation)}); ` +
        `its encoder calls at 100 images/s: ${hours(e.encoderHoursAt100ImagesPerSecond * 3600)}`,
    );
  }
  lines.push(`total here: ${estimate.totalHours.toFixed(1)} h on one thread (demo workers and encoder threads divide their stages' share)`);
  return lines.join('\n');
}
