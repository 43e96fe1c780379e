/**
 * The tasks and encoders of a run, resolved once before any cell runs (task definitions from the registry, parsed
 * encoder specs, built encoders, heads) and passed to every piece that needs them, instead of names.
 */
import type { FeatureKind } from '../data/features.js';
import type { Encoder, FramePreprocessing } from '../encoders/encoder.js';
import type { EncoderSpec } from '../encoders/registry.js';
import type { TaskDefinition } from '../envs/task.js';
import type { PolicyHead } from '../policies/policy.js';
import { taskProtocol, type Profile, type TaskProtocol } from '../protocol/profiles.js';
import type { RunConfig } from './config.js';
import type { EvaluationScenes, TrainingScenes } from './scenes.js';

/** A task of the run and what the profile gives it. */
export interface RunTask {
  definition: TaskDefinition;
  protocol: TaskProtocol;
}

/**
 * An encoder of the run: its parsed spec, the built encoder (fed frames as `framePreprocessing` says), the policy head
 * and the features that head trains on.
 */
export interface RunEncoder {
  spec: EncoderSpec;
  encoder: Encoder;
  framePreprocessing: FramePreprocessing;
  head: PolicyHead;
  kind: FeatureKind;
}

/** One cell (task x training scenes x encoder x policy seed) with its task, encoder and scenes resolved. */
export interface ResolvedCell {
  task: RunTask;
  encoder: RunEncoder;
  seed: number;
  /** The scenes the demos are recorded in. */
  training: TrainingScenes;
  /** The scenes of each evaluation split (one, the canonical scene, for `bench run`). */
  evaluation: EvaluationScenes[];
}

export function runTask(profile: Profile, definition: TaskDefinition): RunTask {
  return { definition, protocol: taskProtocol(profile, definition) };
}

/** The head a cell uses: the configured one, or with 'auto' what the encoder's protocol feeds (profile permitting). */
export function resolveHead(config: RunConfig, spec: EncoderSpec): PolicyHead {
  if (config.head !== 'auto') return config.head;
  return config.profile.convHeadForTheia && spec.preferredFeatures === 'spatial' ? 'conv' : 'mlp';
}

/** How the run feeds frames to an encoder: as the encoder's own protocol does where the profile says so, else straight to its processor. */
export function resolveFramePreprocessing(config: RunConfig, spec: EncoderSpec): FramePreprocessing {
  return config.profile.encoderPreprocessing === 'encoder-protocol' ? spec.protocolPreprocessing : 'processor';
}

/** `encoder` was built with `resolveFramePreprocessing(config, spec)`. Errors when the head needs spatial tokens the encoder does not have. */
export function runEncoder(config: RunConfig, spec: EncoderSpec, encoder: Encoder): RunEncoder {
  const head = resolveHead(config, spec);
  if (head === 'conv' && !encoder.info.spatial) {
    throw new Error(`--head conv needs spatial tokens, but encoder '${spec.text}' has pooled output only; use --head mlp`);
  }
  return { spec, encoder, framePreprocessing: resolveFramePreprocessing(config, spec), head, kind: head === 'conv' ? 'spatial' : 'pooled' };
}
