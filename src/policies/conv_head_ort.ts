/**
 * The conv head trained and run on ONNX Runtime's CPU kernels (MLAS): the same model, initialisation, backward
 * pass, Adam and running statistics as `ConvHeadModel` on tfjs (conv_head.ts), one graph run per training step
 * and one per prediction (conv_head_graph.ts).
 *
 * Why: the neck's convolutions are nearly all of a step's arithmetic, and with them alone on ONNX Runtime the step
 * still crossed between ONNX Runtime and tfjs-wasm (one thread) at every stage, with host copies each way; in one
 * graph every layer and Adam run on every core and only data and state cross.
 *
 * State lives in host Float32Arrays (graph_training_state.ts); results do not depend on the thread count
 * (ort_sessions.ts, tested) and agree with the tfjs engine to float rounding (sums in another order).
 */
import * as ort from 'onnxruntime-node';
import { Rng } from '../util/rng.js';
import { checkAdamOptions } from './adam.js';
import { twoCopies } from './batchnorm_mlp_ort.js';
import { type ConvHeadLayout, convHeadLayout, convHeadParameterShapes, initialConvHeadParameters } from './conv_head.js';
import { convHeadPredictGraph, convHeadTrainStepGraph } from './conv_head_graph.js';
import { GraphTrainingState } from './graph_training_state.js';
import { createPolicySession, defaultPolicyThreads } from './ort_sessions.js';
import type { BcDataset, PolicySpec } from './policy.js';
import type { BcModel, TrainingOptions } from './training.js';
import { featureRows, gatherRows } from './training.js';

/** The engine 'onnxruntime' of the conv head. */
export class OrtConvHeadModel implements BcModel {
  private constructor(
    private readonly spec: PolicySpec,
    private readonly layout: ConvHeadLayout,
    private readonly state: GraphTrainingState,
    private readonly sessions: { train: ort.InferenceSession; predict: ort.InferenceSession },
  ) {}

  /** Starts from the weights `ConvHeadModel` starts from for the same spec, seed and options. */
  static async create(spec: PolicySpec, seed: number, options: TrainingOptions): Promise<OrtConvHeadModel> {
    const layout = convHeadLayout(spec, options.init);
    checkAdamOptions(options.adam);
    const threads = options.threads ?? defaultPolicyThreads();
    const [train, predict] = await Promise.all([
      createPolicySession(convHeadTrainStepGraph(layout, options.adam), threads, 'OrtConvHeadModel'),
      createPolicySession(convHeadPredictGraph(layout), threads, 'OrtConvHeadModel'),
    ]);
    const state = new GraphTrainingState(convHeadParameterShapes(layout), initialConvHeadParameters(layout, new Rng(seed)), { ...options.adam }, layout.trunk.inputDim);
    return new OrtConvHeadModel(spec, layout, state, { train, predict });
  }

  async trainBatch(data: BcDataset, indices: Int32Array): Promise<number> {
    const batch = indices.length;
    const feeds = {
      ...this.state.stepFeeds(batch, this.spec.actionDim),
      ...this.dataFeeds(featureRows(data.features, this.spec.featureDim, indices), gatherRows(data.proprio, this.spec.proprioDim, indices), batch),
      y: new ort.Tensor('float32', gatherRows(data.actions, this.spec.actionDim, indices), [batch, this.spec.actionDim]),
    };
    return this.state.accept(await this.sessions.train.run(feeds));
  }

  /**
   * Actions [n, A], BatchNorm from running statistics. A single row runs as two copies, as the MLP trunk's does
   * (batchnorm_mlp_ort.ts): the trunk's products take another path for one row, and a row must act alike alone
   * or among others.
   */
  async predict(features: Float32Array, proprio: Float32Array, n: number): Promise<Float32Array> {
    if (n === 1) return (await this.predict(twoCopies(features), twoCopies(proprio), 2)).slice(0, this.spec.actionDim);
    const out = await this.sessions.predict.run({ ...this.state.predictFeeds(), ...this.dataFeeds(features, proprio, n) });
    return out.out!.data as Float32Array;
  }

  weights(): { shape: number[]; values: Float32Array }[] {
    return this.state.parameters().map((p) => ({ shape: p.shape, values: p.values.slice() }));
  }

  dispose(): Promise<void> {
    return Promise.all([this.sessions.train.release(), this.sessions.predict.release()]).then(() => undefined);
  }

  /** `features` [n, 3, T, C] and `proprio` [n, P] (rows the dataset checks validated) as the graphs' inputs. */
  private dataFeeds(features: Float32Array, proprio: Float32Array, n: number): Record<string, ort.Tensor> {
    const { grid, channels } = this.layout;
    const feeds: Record<string, ort.Tensor> = { features: new ort.Tensor('float32', features, [n, 3, grid * grid, channels]) };
    if (this.spec.proprioDim > 0) feeds.proprio = new ort.Tensor('float32', proprio, [n, this.spec.proprioDim]);
    return feeds;
  }
}
