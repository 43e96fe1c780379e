/**
 * A small state-feedback MLP in plain TypeScript (float64): normalised input -> [Linear -> ReLU] x hidden ->
 * Linear, trained with Adam on the mean squared error to expert actions.
 *
 * Plain TypeScript rather than tfjs: the distilled experts produce the demonstrations that everything else is
 * keyed on, so the trained weights must be the same on every machine and tfjs backend; float64 loops in a fixed
 * order are. The networks are small (two hidden layers of 256 on ~20 inputs), so training them costs seconds
 * to a few minutes, less than the planner rollouts that label their data.
 */
import { Rng } from '../util/rng.js';

export interface StateMlpConfig {
  inputDim: number;
  hidden: readonly number[];
  outputDim: number;
}

/** The serialisable state of a trained network (weights row-major [in, out] per layer). */
export interface StateMlpWeights {
  config: StateMlpConfig;
  /** [inputDim] per-feature mean and standard deviation the inputs are normalised with. */
  inputMean: number[];
  inputStd: number[];
  layers: { weight: number[]; bias: number[] }[];
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Seeds initialisation and the per-epoch sample order. */
  seed: number;
}

/** A training set of `count` rows: inputs [count, inputDim], targets [count, outputDim]. */
export interface StateDataset {
  count: number;
  inputs: Float64Array;
  targets: Float64Array;
}

const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
/** Features whose spread is below this are left unscaled (e.g. constant in the data). */
const MIN_STD = 1e-6;

export class StateMlp {
  readonly config: StateMlpConfig;
  private readonly sizes: number[];
  private readonly weights: Float64Array[];
  private readonly biases: Float64Array[];
  private readonly inputMean: Float64Array;
  private readonly inputStd: Float64Array;
  /** Per-layer activations of a single-row forward pass (reused by `act`). */
  private readonly rowActivations: Float64Array[];

  private constructor(config: StateMlpConfig, weights: Float64Array[], biases: Float64Array[], mean: Float64Array, std: Float64Array) {
    this.config = config;
    this.sizes = [config.inputDim, ...config.hidden, config.outputDim];
    this.weights = weights;
    this.biases = biases;
    this.inputMean = mean;
    this.inputStd = std;
    this.rowActivations = this.sizes.map((n) => new Float64Array(n));
  }

  /** PyTorch-style uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights and biases drawn from `rng`; identity normalisation. */
  static initialise(config: StateMlpConfig, rng: Rng): StateMlp {
    validateConfig(config);
    const sizes = [config.inputDim, ...config.hidden, config.outputDim];
    const weights: Float64Array[] = [];
    const biases: Float64Array[] = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const bound = 1 / Math.sqrt(sizes[l]!);
      weights.push(Float64Array.from({ length: sizes[l]! * sizes[l + 1]! }, () => rng.uniform(-bound, bound)));
      biases.push(Float64Array.from({ length: sizes[l + 1]! }, () => rng.uniform(-bound, bound)));
    }
    return new StateMlp(config, weights, biases, new Float64Array(config.inputDim), new Float64Array(config.inputDim).fill(1));
  }

  static fromWeights(saved: StateMlpWeights): StateMlp {
    validateConfig(saved.config);
    const sizes = [saved.config.inputDim, ...saved.config.hidden, saved.config.outputDim];
    if (saved.layers.length !== sizes.length - 1) throw new Error(`StateMlp: expected ${sizes.length - 1} layers, got ${saved.layers.length}`);
    saved.layers.forEach((layer, l) => {
      if (layer.weight.length !== sizes[l]! * sizes[l + 1]! || layer.bias.length !== sizes[l + 1]!) {
        throw new Error(`StateMlp: layer ${l} must hold [${sizes[l]}, ${sizes[l + 1]}] weights and ${sizes[l + 1]} biases`);
      }
    });
    if (saved.inputMean.length !== saved.config.inputDim || saved.inputStd.length !== saved.config.inputDim) {
      throw new Error(`StateMlp: input normalisation must hold ${saved.config.inputDim} values`);
    }
    return new StateMlp(
      saved.config,
      saved.layers.map((l) => Float64Array.from(l.weight)),
      saved.layers.map((l) => Float64Array.from(l.bias)),
      Float64Array.from(saved.inputMean),
      Float64Array.from(saved.inputStd),
    );
  }

  toWeights(): StateMlpWeights {
    return {
      config: this.config,
      inputMean: Array.from(this.inputMean),
      inputStd: Array.from(this.inputStd),
      layers: this.weights.map((w, l) => ({ weight: Array.from(w), bias: Array.from(this.biases[l]!) })),
    };
  }

  /** The network's output for one input row [inputDim], written into `out` [outputDim]. */
  act(input: ArrayLike<number>, out: Float64Array): Float64Array {
    const a = this.rowActivations;
    const x = a[0]!;
    for (let i = 0; i < x.length; i++) x[i] = (input[i]! - this.inputMean[i]!) / this.inputStd[i]!;
    const last = this.weights.length - 1;
    for (let l = 0; l <= last; l++) {
      const w = this.weights[l]!;
      const src = a[l]!;
      const dst = l === last ? out : a[l + 1]!;
      const n = this.sizes[l + 1]!;
      dst.set(this.biases[l]!);
      for (let k = 0; k < src.length; k++) {
        const v = src[k]!;
        if (v === 0) continue;
        const row = k * n;
        for (let j = 0; j < n; j++) dst[j] += v * w[row + j]!;
      }
      if (l < last) for (let j = 0; j < n; j++) if (dst[j]! < 0) dst[j] = 0;
    }
    return out;
  }

  /**
   * Fits the network to `data` from a fresh initialisation (seeded), normalising inputs by the data's mean and
   * standard deviation. Returns the mean squared error of each epoch (before its updates).
   */
  static train(config: StateMlpConfig, data: StateDataset, options: TrainOptions): { model: StateMlp; losses: number[] } {
    validateConfig(config);
    const { count, inputs, targets } = data;
    if (!Number.isInteger(count) || count < 2) throw new Error(`StateMlp.train: need at least 2 samples, got ${count}`);
    if (inputs.length !== count * config.inputDim || targets.length !== count * config.outputDim) {
      throw new Error(`StateMlp.train: inputs must be [${count}, ${config.inputDim}] and targets [${count}, ${config.outputDim}]`);
    }
    for (const [name, v] of [['epochs', options.epochs], ['batchSize', options.batchSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`StateMlp.train: ${name} must be a positive integer, got ${v}`);
    }
    const rng = new Rng(options.seed);
    const model = StateMlp.initialise(config, rng.fork(1));
    model.fitNormalisation(data);
    const normalised = model.normalise(inputs, count);
    const trainer = new AdamTrainer(model, options.learningRate, Math.min(options.batchSize, count));
    const order = new Int32Array(count).map((_, i) => i);
    const losses: number[] = [];
    const shuffle = rng.fork(2);
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      shuffle.shuffle(order);
      let squaredError = 0;
      for (let start = 0; start < count; start += options.batchSize) {
        const rows = order.subarray(start, Math.min(start + options.batchSize, count));
        squaredError += trainer.step(normalised, targets, rows);
      }
      losses.push(squaredError / (count * config.outputDim));
    }
    return { model, losses };
  }

  private fitNormalisation(data: StateDataset): void {
    const d = this.config.inputDim;
    const mean = this.inputMean;
    const std = this.inputStd;
    mean.fill(0);
    std.fill(0);
    for (let r = 0; r < data.count; r++) for (let i = 0; i < d; i++) mean[i] += data.inputs[r * d + i]!;
    for (let i = 0; i < d; i++) mean[i] /= data.count;
    for (let r = 0; r < data.count; r++) for (let i = 0; i < d; i++) std[i] += (data.inputs[r * d + i]! - mean[i]!) ** 2;
    for (let i = 0; i < d; i++) {
      const s = Math.sqrt(std[i]! / data.count);
      std[i] = s < MIN_STD ? 1 : s;
    }
  }

  private normalise(inputs: Float64Array, count: number): Float64Array {
    const d = this.config.inputDim;
    const out = new Float64Array(count * d);
    for (let r = 0; r < count; r++) for (let i = 0; i < d; i++) out[r * d + i] = (inputs[r * d + i]! - this.inputMean[i]!) / this.inputStd[i]!;
    return out;
  }

  /** Internal access for the trainer. */
  get parameters(): { weights: Float64Array[]; biases: Float64Array[]; sizes: number[] } {
    return { weights: this.weights, biases: this.biases, sizes: this.sizes };
  }
}

/** Mini-batch forward/backward passes and PyTorch-formulated Adam updates over a model's parameters. */
class AdamTrainer {
  private t = 0;
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private readonly grads: Float64Array[];
  /** [batch, size] activations per layer (post-ReLU for hidden layers) and their gradients. */
  private readonly acts: Float64Array[];
  private readonly deltas: Float64Array[];

  constructor(
    private readonly model: StateMlp,
    private readonly learningRate: number,
    batch: number,
  ) {
    const { weights, biases, sizes } = model.parameters;
    const params = [...weights, ...biases];
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
    this.grads = params.map((p) => new Float64Array(p.length));
    this.acts = sizes.map((n) => new Float64Array(batch * n));
    this.deltas = sizes.map((n) => new Float64Array(batch * n));
  }

  /** One Adam step on the rows `rows` of (inputs, targets); returns their summed squared error before the step. */
  step(inputs: Float64Array, targets: Float64Array, rows: Int32Array): number {
    const { weights, biases, sizes } = this.model.parameters;
    const layers = weights.length;
    const b = rows.length;
    const inDim = sizes[0]!;
    const outDim = sizes[layers]!;
    const x = this.acts[0]!;
    for (let r = 0; r < b; r++) x.set(inputs.subarray(rows[r]! * inDim, (rows[r]! + 1) * inDim), r * inDim);
    // Forward.
    for (let l = 0; l < layers; l++) {
      const n = sizes[l + 1]!;
      const k0 = sizes[l]!;
      const src = this.acts[l]!;
      const dst = this.acts[l + 1]!;
      const w = weights[l]!;
      const bias = biases[l]!;
      for (let r = 0; r < b; r++) {
        const o = r * n;
        dst.set(bias, o);
        for (let k = 0; k < k0; k++) {
          const s = src[r * k0 + k]!;
          if (s === 0) continue;
          const row = k * n;
          for (let j = 0; j < n; j++) dst[o + j] += s * w[row + j]!;
        }
        if (l < layers - 1) for (let j = 0; j < n; j++) if (dst[o + j]! < 0) dst[o + j] = 0;
      }
    }
    // Loss and its gradient (mean over the batch and the action components).
    const out = this.acts[layers]!;
    const dOut = this.deltas[layers]!;
    let squaredError = 0;
    const scale = 2 / (b * outDim);
    for (let r = 0; r < b; r++) {
      for (let j = 0; j < outDim; j++) {
        const e = out[r * outDim + j]! - targets[rows[r]! * outDim + j]!;
        squaredError += e * e;
        dOut[r * outDim + j] = scale * e;
      }
    }
    // Backward.
    for (let l = layers - 1; l >= 0; l--) {
      const n = sizes[l + 1]!;
      const k0 = sizes[l]!;
      const delta = this.deltas[l + 1]!;
      const src = this.acts[l]!;
      const gw = this.grads[l]!;
      const gb = this.grads[layers + l]!;
      gw.fill(0);
      gb.fill(0);
      for (let r = 0; r < b; r++) {
        const o = r * n;
        for (let j = 0; j < n; j++) gb[j] += delta[o + j]!;
        for (let k = 0; k < k0; k++) {
          const s = src[r * k0 + k]!;
          if (s === 0) continue;
          const row = k * n;
          for (let j = 0; j < n; j++) gw[row + j] += s * delta[o + j]!;
        }
      }
      if (l === 0) continue;
      const w = weights[l]!;
      const prev = this.deltas[l]!;
      for (let r = 0; r < b; r++) {
        for (let k = 0; k < k0; k++) {
          // ReLU: no gradient through units that were off.
          if (src[r * k0 + k]! <= 0) {
            prev[r * k0 + k] = 0;
            continue;
          }
          let sum = 0;
          const row = k * n;
          for (let j = 0; j < n; j++) sum += delta[r * n + j]! * w[row + j]!;
          prev[r * k0 + k] = sum;
        }
      }
    }
    this.adam([...weights, ...biases]);
    return squaredError;
  }

  private adam(params: Float64Array[]): void {
    this.t++;
    const { beta1, beta2, epsilon } = ADAM;
    const stepSize = this.learningRate / (1 - beta1 ** this.t);
    const correction2 = Math.sqrt(1 - beta2 ** this.t);
    params.forEach((p, i) => {
      const g = this.grads[i]!;
      const m = this.m[i]!;
      const v = this.v[i]!;
      for (let j = 0; j < p.length; j++) {
        m[j] = beta1 * m[j]! + (1 - beta1) * g[j]!;
        v[j] = beta2 * v[j]! + (1 - beta2) * g[j]! * g[j]!;
        p[j] -= (stepSize * m[j]!) / (Math.sqrt(v[j]!) / correction2 + epsilon);
      }
    });
  }
}

function validateConfig(config: StateMlpConfig): void {
  const ok = (v: number): boolean => Number.isInteger(v) && v >= 1;
  if (!ok(config.inputDim) || !ok(config.outputDim) || !config.hidden.every(ok)) {
    throw new Error(`StateMlp: inputDim, hidden sizes and outputDim must be positive integers, got ${JSON.stringify(config)}`);
  }
}
