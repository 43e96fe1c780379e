/**
 * `tfjs:DIR` encoders: a small layers model built and saved here with tfjs itself, and a small graph model in the
 * tfjs-converter format; the encoder's outputs must equal tfjs's own predict on the same preprocessed input.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resizeNormalise } from '../src/encoders/baselines/preprocess.js';
import type { FrameBatch } from '../src/encoders/encoder.js';
import { createEncoder } from '../src/encoders/registry.js';
import { selectTfBackend } from '../src/policies/backend.js';
import { Rng } from '../src/util/rng.js';
import { saveTfjsArtifacts } from './helpers/tfjs_model.js';

const root = mkdtempSync(join(tmpdir(), 'tfjs-encoder-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MEAN: [number, number, number] = [0.4, 0.5, 0.6];
const STD: [number, number, number] = [0.2, 0.25, 0.3];

function frames(n: number, side: number, seed: number): FrameBatch {
  const rng = new Rng(seed);
  return { data: new Uint8Array(n * side * side * 3).map(() => rng.int(256)), n, height: side, width: side };
}

/** tfjs's own outputs for `frames`, preprocessed exactly as the encoder documents (antialiased bilinear, mean/std, NHWC). */
function reference(model: tf.LayersModel | tf.GraphModel, batch: FrameBatch, side: number, names?: string[]): Float32Array[] {
  const input = tf.tensor4d(resizeNormalise(side, 'triangle', { mean: MEAN, std: STD }, 'nhwc').run(batch), [batch.n, side, side, 3]);
  const out = model instanceof tf.GraphModel ? model.execute(input, names) : model.predict(input);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose([input, ...list]);
  return values;
}

describe('tfjs:DIR, layers model', () => {
  const dir = join(root, 'layers');
  let model: tf.LayersModel;

  beforeAll(async () => {
    await selectTfBackend();
    const input = tf.input({ shape: [12, 12, 3] });
    const features = tf.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', name: 'spatial', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), biasInitializer: tf.initializers.randomNormal({ seed: 4 }) }).apply(input) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({ name: 'pooled' }).apply(features) as tf.SymbolicTensor;
    model = tf.model({ inputs: input, outputs: [pooled, features] });
    mkdirSync(dir, { recursive: true });
    await model.save(tf.io.withSaveHandler(async (artifacts) => saveTfjsArtifacts(dir, artifacts)));
    writeFileSync(join(dir, 'encoder.json'), JSON.stringify({ mean: MEAN, std: STD, pooled: 'pooled', spatial: 'spatial' }));
  });

  it("matches the model's own predict, at its input size and for frames that need resizing", async () => {
    const encoder = await createEncoder(`tfjs:${dir}`, { maxBatch: 2 });
    expect(tf.getBackend()).toBe((await selectTfBackend()).backend); // the backend the harness selected
    expect(encoder.info).toMatchObject({ inputSize: 12, pooledDim: 5, spatial: { tokens: 100, channels: 5, grid: 10 }, normalisation: { mean: MEAN, std: STD }, parameterCount: 5 * 27 + 5 });
    expect(encoder.info.digest).toMatch(/^[0-9a-f]{64}$/);
    for (const batch of [frames(3, 12, 1), frames(3, 20, 2)]) {
      const encoded = await encoder.encode(batch, { spatial: true });
      const [pooled, spatial] = reference(model, batch, 12);
      expect(encoded.pooled).toEqual(pooled);
      expect(encoded.spatial).toEqual(spatial);
    }
    await encoder.dispose();
  });

  it('names bad settings and inputs', async () => {
    writeFileSync(join(dir, 'encoder.json'), JSON.stringify({ pooled: 'nope' }));
    await expect(createEncoder(`tfjs:${dir}`)).rejects.toThrow(/no output 'nope' for pooled \(outputs: pooled, spatial\)/);
    writeFileSync(join(dir, 'encoder.json'), JSON.stringify({ inputSize: 16 }));
    await expect(createEncoder(`tfjs:${dir}`)).rejects.toThrow(/input shape does not fit: .* inputSize is 16/);
    writeFileSync(join(dir, 'encoder.json'), JSON.stringify({ mean: MEAN, std: STD, pooled: 'pooled', spatial: 'spatial' }));
    await expect(createEncoder(`tfjs:${join(root, 'missing')}`)).rejects.toThrow(/has no model.json/);
  });
});

describe('tfjs:DIR, graph model (tfjs-converter format)', () => {
  const dir = join(root, 'graph');
  const kernel = Float32Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.sin(i) * 0.3);
  const bias = Float32Array.from([0.1, -0.2, 0.05, 0]);

  beforeAll(async () => {
    await selectTfBackend();
    mkdirSync(dir, { recursive: true });
    const s = (text: string): { s: string } => ({ s: Buffer.from(text).toString('base64') });
    const float = { type: 'DT_FLOAT' };
    const constNode = (name: string, dims: number[], dtype = 'DT_FLOAT') => ({
      name, op: 'Const', attr: { value: { tensor: { dtype, tensorShape: { dim: dims.map((d) => ({ size: String(d) })) } } }, dtype: { type: dtype } },
    });
    const topology = {
      node: [
        { name: 'image', op: 'Placeholder', attr: { dtype: float, shape: { shape: { dim: [{ size: '-1' }, { size: '8' }, { size: '8' }, { size: '3' }] } } } },
        constNode('kernel', [3, 3, 3, 4]),
        constNode('bias', [4]),
        constNode('axes', [2], 'DT_INT32'),
        { name: 'conv', op: 'Conv2D', input: ['image', 'kernel'], attr: { T: float, strides: { list: { i: ['1', '1', '1', '1'] } }, padding: s('SAME'), data_format: s('NHWC'), dilations: { list: { i: ['1', '1', '1', '1'] } } } },
        { name: 'biased', op: 'BiasAdd', input: ['conv', 'bias'], attr: { T: float, data_format: s('NHWC') } },
        { name: 'relu', op: 'Relu', input: ['biased'], attr: { T: float } },
        { name: 'mean', op: 'Mean', input: ['relu', 'axes'], attr: { T: float, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } },
        { name: 'pooled', op: 'Identity', input: ['mean'], attr: { T: float } },
        { name: 'spatial', op: 'Identity', input: ['relu'], attr: { T: float } },
      ],
      versions: { producer: 1 },
    };
    const weights = Buffer.concat([Buffer.from(kernel.buffer), Buffer.from(bias.buffer), Buffer.from(Int32Array.from([1, 2]).buffer)]);
    writeFileSync(join(dir, 'group1-shard1of1.bin'), weights);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({
      format: 'graph-model',
      generatedBy: 'hand-written test graph',
      convertedBy: null,
      modelTopology: topology,
      weightsManifest: [{
        paths: ['group1-shard1of1.bin'],
        weights: [
          { name: 'kernel', shape: [3, 3, 3, 4], dtype: 'float32' },
          { name: 'bias', shape: [4], dtype: 'float32' },
          { name: 'axes', shape: [2], dtype: 'int32' },
        ],
      }],
    }));
    writeFileSync(join(dir, 'encoder.json'), JSON.stringify({ mean: MEAN, std: STD }));
  });

  it("matches tfjs's own GraphModel run; 'pooled' and 'spatial' are found by name", async () => {
    const encoder = await createEncoder(`tfjs:${dir}`);
    expect(encoder.info).toMatchObject({ inputSize: 8, pooledDim: 4, spatial: { tokens: 64, channels: 4, grid: 8 }, parameterCount: kernel.length + bias.length });
    // The same artifacts loaded by tfjs itself (from memory: tfjs without tfjs-node has no file:// loader).
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const shard = new Uint8Array(readFileSync(join(dir, 'group1-shard1of1.bin')));
    const graph = await tf.loadGraphModel(tf.io.fromMemory(json.modelTopology, json.weightsManifest[0].weights, shard.buffer));
    for (const batch of [frames(2, 8, 5), frames(2, 30, 6)]) {
      const encoded = await encoder.encode(batch, { spatial: true });
      const [pooled, spatial] = reference(graph, batch, 8, ['pooled', 'spatial']);
      expect(encoded.pooled).toEqual(pooled);
      expect(encoded.spatial).toEqual(spatial);
    }
    graph.dispose();
    await encoder.dispose();
  });
});
