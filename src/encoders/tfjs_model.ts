/**
 * `tfjs:DIR`: any TensorFlow.js model as a frozen encoder: DIR/model.json (a layers model, as Keras exports and
 * `LayersModel.save` write it, or a graph model, as tfjs-converter and TF Hub publish it) with its weight shards.
 * It runs on the active tfjs backend: the one the harness selects for policies, which `bench run` and
 * `bench encode` select before they create encoders (tfjs' own default where nothing was selected).
 *
 * Settings come from DIR/encoder.json, with the keys of `onnx:` settings (ModelFileConfig): inputSize (default: the
 * model's static input size), mean/std (applied after scaling to [0, 1]; default none), input (the image input, for
 * graph models with several), layout (default 'nhwc', tfjs' convention), pooled (an output name; default 'pooled'
 * if there is one, else the first output) and spatial ([N, T, C] or an NHWC map [N, h, w, C]; default 'spatial' if
 * there is one, else none). Output names are the layers model's `outputNames` or the graph model's output nodes.
 * Frames are resized (antialiased bilinear) to inputSize, as for `onnx:`.
 *
 * Only model.json, encoder.json and the shards its weightsManifest names are read, each only when it resolves inside
 * DIR (model_files.ts); tfjs models hold no code.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { checkFrameBatch, sliceFrames } from './baselines/image_ops.js';
import { resizeNormalise } from './baselines/preprocess.js';
import type { EncodedBatch, EncodeOptions, Encoder, EncoderInfo, EncoderOptions, FrameBatch, ModelFileConfig, Normalisation } from './encoder.js';
import type { Preprocessor } from './onnx/session_encoder.js';
import { fileInModelFolder } from './model_files.js';
import { parseModelFileConfig } from './onnx_file.js';
import { parseJson, readJsonFile } from '../util/json_file.js';

const TFJS_SETTINGS_FILE = 'encoder.json';
/** Frames per model call unless `maxBatch` says otherwise (the ONNX Runtime encoders' smaller runs were measured there only). */
const TFJS_MAX_BATCH = 32;

type TfjsModel = tf.LayersModel | tf.GraphModel;

interface LoadedTfjs {
  model: TfjsModel;
  kind: 'layers' | 'graph';
  digest: string;
  parameterCount: number;
}

const FLOAT_DTYPES = new Set(['float32', 'float16']);

function modelDir(path: string, who: string): string {
  if (!path) throw new Error(`${who}: expected tfjs:DIR with a folder holding model.json`);
  const dir = existsSync(path) && statSync(path).isFile() ? resolve(path, '..') : resolve(path);
  if (!existsSync(join(dir, 'model.json'))) throw new Error(`${who}: '${path}' has no model.json (a TensorFlow.js model folder)`);
  return dir;
}

async function loadModel(dir: string, who: string): Promise<LoadedTfjs> {
  const jsonBytes = readFileSync(fileInModelFolder(dir, 'model.json', who));
  const modelJson = parseJson(jsonBytes.toString('utf8'), `${who}: model.json`) as tf.io.ModelJSON;
  if (!modelJson || typeof modelJson !== 'object' || !modelJson.modelTopology) throw new Error(`${who}: model.json has no modelTopology`);
  const topology = modelJson.modelTopology as Record<string, unknown>;
  const kind = modelJson.format === 'graph-model' || Array.isArray(topology.node) ? 'graph' : 'layers';
  const hash = createHash('sha256').update(jsonBytes);
  let parameterCount = 0;
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest ?? []) {
      for (const shard of group.paths) {
        const file = fileInModelFolder(dir, shard, `${who}: weight shard`);
        if (!existsSync(file)) throw new Error(`${who}: weight shard '${shard}' named in model.json is missing`);
        const bytes = readFileSync(file);
        hash.update(bytes);
        buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      }
      for (const w of group.weights) {
        specs.push(w);
        if (FLOAT_DTYPES.has(w.dtype) && w.shape.length > 0) parameterCount += w.shape.reduce((a, b) => a * b, 1);
      }
    }
    return [specs, buffers];
  });
  const handler: tf.io.IOHandler = { load: async () => artifacts };
  try {
    const model = kind === 'graph' ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
    return { model, kind, digest: hash.digest('hex'), parameterCount };
  } catch (error) {
    throw new Error(`${who}: TensorFlow.js could not load the ${kind} model in ${dir}: ${(error as Error).message}`);
  }
}

function inputInfo(model: TfjsModel): { name: string; shape: (number | null)[] }[] {
  if (model instanceof tf.GraphModel) return model.inputs.map((t) => ({ name: t.name, shape: (t.shape ?? []).map((d) => (d > 0 ? d : null)) }));
  return model.inputs.map((t) => ({ name: t.name, shape: t.shape }));
}

function outputNames(model: TfjsModel): string[] {
  return model instanceof tf.GraphModel ? model.outputNodes : model.outputNames;
}

/** How frames reach the model and which outputs are read. */
interface TfjsBinding {
  model: TfjsModel;
  preprocess: Preprocessor;
  layout: 'nchw' | 'nhwc';
  inputName: string;
}

/**
 * The named outputs for `frames` (one chunk); the caller disposes them. Graph models run with executeAsync, which
 * also handles the control-flow ops some converted models hold.
 */
async function runTfjs({ model, preprocess, layout, inputName }: TfjsBinding, frames: FrameBatch, names: string[], who: string): Promise<tf.Tensor[]> {
  const S = preprocess.inputSize;
  const dims: [number, number, number, number] = layout === 'nhwc' ? [frames.n, S, S, 3] : [frames.n, 3, S, S];
  const input = tf.tensor4d(preprocess.run(frames), dims);
  try {
    if (model instanceof tf.GraphModel) {
      const out = await model.executeAsync({ [inputName]: input }, names);
      return Array.isArray(out) ? out : [out];
    }
    const predicted = model.predict(input);
    const all = Array.isArray(predicted) ? predicted : [predicted];
    const order = outputNames(model);
    const picked = names.map((n) => all[order.indexOf(n)]!);
    for (const t of all) if (!picked.includes(t)) t.dispose();
    return picked;
  } catch (error) {
    throw new Error(`${who}: TensorFlow.js failed on a [${dims}] input: ${(error as Error).message}`);
  } finally {
    input.dispose();
  }
}

class TfjsEncoder implements Encoder {
  private disposed = false;

  constructor(
    readonly info: EncoderInfo,
    private readonly binding: TfjsBinding,
    private readonly pooledName: string,
    private readonly spatialName: string | null,
    private readonly maxBatch: number,
  ) {}

  async encode(frames: FrameBatch, options: EncodeOptions = {}): Promise<EncodedBatch> {
    if (this.disposed) throw new Error(`encoder '${this.info.id}' was disposed`);
    checkFrameBatch(frames, `encoder '${this.info.id}'`);
    const D = this.info.pooledDim;
    const spatialInfo = this.info.spatial;
    const wantSpatial = options.spatial === true && spatialInfo !== null && this.spatialName !== null;
    const tokenSize = wantSpatial ? spatialInfo!.tokens * spatialInfo!.channels : 0;
    const pooled = new Float32Array(frames.n * D);
    const spatial = wantSpatial ? new Float32Array(frames.n * tokenSize) : undefined;
    const names = wantSpatial ? [this.pooledName, this.spatialName!] : [this.pooledName];
    for (let start = 0; start < frames.n; start += this.maxBatch) {
      const end = Math.min(start + this.maxBatch, frames.n);
      const outputs = await runTfjs(this.binding, sliceFrames(frames, start, end), names, `encoder '${this.info.id}'`);
      try {
        // [N, h, w, C] maps are row-major tokens already; [N, T, C] too.
        pooled.set(await outputs[0]!.data<'float32'>(), start * D);
        if (spatial) spatial.set(await outputs[1]!.data<'float32'>(), start * tokenSize);
      } finally {
        for (const t of outputs) t.dispose();
      }
    }
    return spatial ? { pooled, spatial } : { pooled };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.binding.model.dispose();
  }
}

function readSettings(dir: string, who: string): ModelFileConfig {
  const path = fileInModelFolder(dir, TFJS_SETTINGS_FILE, who);
  if (!existsSync(path)) return {};
  return parseModelFileConfig(readJsonFile(path, 'tfjs encoder settings'), `tfjs encoder settings '${path}'`);
}

export async function createTfjsEncoder(id: string, path: string, options: EncoderOptions = {}): Promise<Encoder> {
  const who = `encoder '${id}'`;
  const dir = modelDir(path, who);
  const settings = readSettings(dir, who);
  await tf.ready();
  const { model, kind, digest, parameterCount } = await loadModel(dir, who);
  try {
    const inputs = inputInfo(model);
    if (settings.input === undefined && inputs.length !== 1) throw new Error(`${who}: the model has inputs [${inputs.map((i) => i.name).join(', ')}]; name the image input with 'input' in ${TFJS_SETTINGS_FILE}`);
    const input = settings.input === undefined ? inputs[0]! : inputs.find((i) => i.name === settings.input);
    if (!input) throw new Error(`${who}: the model has no input '${settings.input}' (inputs: ${inputs.map((i) => i.name).join(', ')})`);
    const layout = settings.layout ?? 'nhwc';
    const shape = input.shape;
    if (shape.length !== 4) throw new Error(`${who}: input '${input.name}' has shape [${shape}], expected an image batch [N, S, S, 3] (or [N, 3, S, S])`);
    const [channels, h, w] = layout === 'nhwc' ? [shape[3], shape[1], shape[2]] : [shape[1], shape[2], shape[3]];
    if (channels != null && channels !== 3) throw new Error(`${who}: input '${input.name}' has shape [${shape}]: ${channels} channels where 3 (RGB, ${layout}) were expected`);
    if (h != null && w != null && h !== w) throw new Error(`${who}: input '${input.name}' has shape [${shape}]; only square inputs are supported`);
    const inputSize = settings.inputSize ?? h ?? undefined;
    if (inputSize === undefined) throw new Error(`${who}: input '${input.name}' has no fixed size [${shape}]; give inputSize in ${TFJS_SETTINGS_FILE}`);
    if (h != null && h !== inputSize) throw new Error(`${who}: input shape does not fit: '${input.name}' is [${shape}], but inputSize is ${inputSize}`);

    const names = outputNames(model);
    const pooledName = settings.pooled ?? (names.includes('pooled') ? 'pooled' : names[0]!);
    const spatialName = settings.spatial === undefined ? (names.includes('spatial') ? 'spatial' : null) : settings.spatial;
    for (const [role, name] of [['pooled', pooledName], ['spatial', spatialName]] as const) {
      if (name !== null && !names.includes(name)) throw new Error(`${who}: the model has no output '${name}' for ${role} (outputs: ${names.join(', ')})`);
    }
    const norm: Normalisation | null = settings.mean || settings.std ? { mean: settings.mean ?? [0, 0, 0], std: settings.std ?? [1, 1, 1] } : null;
    const binding: TfjsBinding = { model, preprocess: resizeNormalise(inputSize, 'triangle', norm, layout), layout, inputName: input.name };

    // One blank frame gives the output shapes (often unknown in model.json) and checks that the input fits.
    const blank = { data: new Uint8Array(inputSize * inputSize * 3), n: 1, height: inputSize, width: inputSize };
    const probe = await runTfjs(binding, blank, spatialName ? [pooledName, spatialName] : [pooledName], who);
    const [pooledShape, spatialShape] = probe.map((t) => t.shape);
    for (const t of probe) t.dispose();
    if (pooledShape!.length !== 2) throw new Error(`${who}: pooled output '${pooledName}' has shape [${pooledShape}] for one frame, expected [N, D]`);
    let spatial: EncoderInfo['spatial'] = null;
    if (spatialShape) {
      const d = spatialShape;
      if (d.length === 3 && Math.round(Math.sqrt(d[1]!)) ** 2 === d[1]) spatial = { tokens: d[1]!, channels: d[2]!, grid: Math.round(Math.sqrt(d[1]!)) };
      else if (d.length === 4 && d[1] === d[2]) spatial = { tokens: d[1]! * d[2]!, channels: d[3]!, grid: d[1]! };
      else throw new Error(`${who}: spatial output '${spatialName}' has shape [${d}] for one frame, expected [N, T, C] with a square T or an NHWC map [N, h, w, C] with h = w`);
    }
    const mapping = `tfjs-${kind};input=${input.name};pooled=${pooledName};spatial=${spatialName ?? ''}`;
    const info: EncoderInfo = {
      id,
      inputSize,
      normalisation: norm,
      pooledDim: pooledShape![1]!,
      spatial,
      parameterCount,
      digest: createHash('sha256').update(digest).update(`\0preprocess:${binding.preprocess.id};${mapping}`).digest('hex'),
    };
    return new TfjsEncoder(info, binding, pooledName, spatialName, options.maxBatch ?? TFJS_MAX_BATCH);
  } catch (error) {
    model.dispose();
    throw error;
  }
}
