/**
 * Saves a tfjs model's artifacts as a model folder (model.json + weights.bin), the layout tfjs-node's file:// handler
 * and the converter write, for tests that build a model with tfjs itself.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectTfBackend } from '../../src/policies/backend.js';

export async function saveTfjsArtifacts(dir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  const data = artifacts.weightData;
  const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat(buffers.map((b) => Buffer.from(b))));
  writeFileSync(join(dir, 'model.json'), JSON.stringify({
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
  }));
  return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
}

/**
 * A small image encoder (conv 3x3 -> ReLU -> global average pool) with seeded weights, saved to `dir` with an
 * encoder.json naming its 'pooled' and 'spatial' outputs.
 */
export async function writeSmallTfjsEncoder(dir: string, side = 16): Promise<void> {
  await selectTfBackend();
  const input = tf.input({ shape: [side, side, 3] });
  const conv = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu', name: 'spatial', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) });
  const features = conv.apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pooled' }).apply(features) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [pooled, features] });
  await model.save(tf.io.withSaveHandler(async (artifacts) => saveTfjsArtifacts(dir, artifacts)));
  model.dispose();
  writeFileSync(join(dir, 'encoder.json'), JSON.stringify({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], pooled: 'pooled', spatial: 'spatial' }));
}
