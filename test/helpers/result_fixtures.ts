/** Hand-made results records for the results-layer tests: a finished cell and entropy records of schema 4 and 5. */
import type { CellResult, EntropyRecord } from '../../src/results/schema.js';

/** A finished schema-5 cell (MetaWorld drawer-open, two evaluations, the best at epoch 20); `overrides` replace fields. */
export function cell(overrides: Partial<CellResult> = {}): CellResult {
  return {
    schema: 5,
    configDigest: 'c0ffee',
    benchmark: 'cortexbench',
    family: 'metaworld',
    task: 'drawer-open',
    taskVersion: 3,
    encoder: 'onnx:models/a,b.onnx',
    encoderDigest: '0123456789abcdef0123456789abcdef',
    framePreprocessing: 'processor',
    seed: 200,
    profile: 'quick',
    head: 'mlp',
    policyInit: 'last-layer-0.01',
    shuffleActions: true,
    metric: 'success at last step % (horizon 100)',
    horizon: 100,
    demos: 25,
    evalEpisodes: 10,
    evalSeedBase: 1000,
    epochs: 20,
    evalEvery: 10,
    imageSize: 96,
    batchSize: 64,
    camera: 'top_cap2',
    featurePrecision: 'float32',
    evaluations: [
      { epoch: 10, score: 33.33333, episodeScores: [0, 100, 0], trainLoss: 0.5 },
      { epoch: 20, score: 66.66666, episodeScores: [100, 100, 0], trainLoss: 0.0123456789 },
    ],
    bestScore: 66.66666,
    bestEpoch: 20,
    finalScore: 66.66666,
    versions: { bench: '0.1.0', mujoco: '3.14.0', onnxruntime: '1.30.0', tfjs: '4.22.0', tfjsBackend: 'wasm', cpu: 'AMD EPYC (x64, avx512, 2 logical CPUs)' },
    timings: { demosSeconds: 1.234, featuresSeconds: 2.345, trainSeconds: 3.456, evalSeconds: 4.567, totalSeconds: 11.602 },
    ...overrides,
  };
}

/** An entropy record as schema 4 wrote it: the run's own demo frames, one bin count. */
export const entropyV4 = (encoder: string, h: number) => ({
  encoder,
  encoderDigest: 'x',
  configDigest: 'c0ffee',
  probeTasks: ['drawer-open'],
  probeFrames: 256,
  probeSeed: 72024,
  imageSize: 96,
  result: { entropy: h, entropyNormalised: h / Math.log(100), bins: 100, norms: 256, min: 0, max: 1, source: 'pooled' as const, histogram: null },
});

/** The same record read as schema 5: its old probe described (version 0, no seeds, steps or look), never a current one. */
export const entropy = (encoder: string, h: number): EntropyRecord => ({
  encoder,
  encoderDigest: 'x',
  key: 'schema-4:c0ffee',
  probe: {
    name: "demo frames of the run's tasks (schema 1-4, probe seed 72024)",
    tasks: [{ name: 'drawer-open', version: 0, camera: '' }],
    episodeSeeds: [],
    frameSteps: [],
    imageSize: 96,
    look: null,
    digest: 'schema-4:c0ffee',
  },
  result: { ...entropyV4(encoder, h).result, byBins: [{ bins: 100, entropy: h, entropyNormalised: h / Math.log(100) }], frames: 256 },
});
