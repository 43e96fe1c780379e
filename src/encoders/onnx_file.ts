/**
 * `onnx:PATH` encoders: any ONNX model that maps an image batch to a pooled vector (and optionally spatial tokens).
 *
 * Settings (`ModelFileConfig` in encoder.ts) come from, in increasing priority:
 *   1. a JSON file beside the model: `PATH.json` (e.g. `dino.onnx.json`), else `model.json` in the model's folder;
 *   2. `options.onnx` (CLI flags).
 * Example JSON: {"inputSize": 224, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
 *                "pooled": "pooler_output", "spatial": "last_hidden_state_patches"}
 * Frames are resized (antialiased bilinear) to inputSize, scaled to [0, 1] and normalised. The pooled output must be
 * [N, D]; the spatial output [N, T, C] or [N, C, h, w] with a square token grid.
 *
 * Only files inside the model's folder are read: the settings file, and the external data files a model may keep
 * its weights in (then the session loads from the path, see onnx/external_data.ts); a link out of the folder is
 * refused. The encoder digest covers the model bytes, the external data and the preprocessing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import onnxPkg from 'onnx-proto';
import { readJsonFile } from '../util/json_file.js';
import { resizeNormalise } from './baselines/preprocess.js';
import type { Encoder, EncoderOptions, ModelFileConfig } from './encoder.js';
import { fileInModelFolder } from './model_files.js';
import { externalDataFiles, hashExternalData, type ExternalDataFile } from './onnx/external_data.js';
import { DEFAULT_MAX_BATCH, SessionEncoder } from './onnx/session_encoder.js';
import { encoderDigest } from './encoder_model.js';
import { createOrtSession, ort } from './ort.js';

const CONFIG_KEYS = ['inputSize', 'mean', 'std', 'input', 'layout', 'pooled', 'spatial'] as const;

/** The JSON settings file that applies to `modelPath`, or null; one that links out of the model's folder is refused. */
export function findOnnxConfigFile(modelPath: string): string | null {
  for (const name of [`${basename(modelPath)}.json`, 'model.json']) {
    const candidate = fileInModelFolder(dirname(modelPath), name, `onnx model '${modelPath}'`);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** Parses and validates a settings object (from JSON or flags); `source` names it in errors. */
export function parseModelFileConfig(value: unknown, source: string): ModelFileConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${source}: expected a JSON object of onnx encoder settings`);
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) throw new Error(`${source}: unknown key '${key}' (known: ${CONFIG_KEYS.join(', ')})`);
  }
  const config: ModelFileConfig = {};
  if (obj.inputSize !== undefined) {
    if (!Number.isInteger(obj.inputSize) || (obj.inputSize as number) < 1) throw new Error(`${source}: inputSize must be a positive integer, got ${JSON.stringify(obj.inputSize)}`);
    config.inputSize = obj.inputSize as number;
  }
  for (const key of ['mean', 'std'] as const) {
    const v = obj[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`${source}: ${key} must be an array of 3 numbers (R, G, B), got ${JSON.stringify(v)}`);
    }
    if (key === 'std' && !v.every((x) => x > 0)) throw new Error(`${source}: std values must be > 0, got ${JSON.stringify(v)}`);
    config[key] = v as [number, number, number];
  }
  if (obj.layout !== undefined) {
    if (obj.layout !== 'nchw' && obj.layout !== 'nhwc') throw new Error(`${source}: layout must be 'nchw' or 'nhwc', got ${JSON.stringify(obj.layout)}`);
    config.layout = obj.layout;
  }
  for (const key of ['input', 'pooled'] as const) {
    const v = obj[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') throw new Error(`${source}: ${key} must be a tensor name, got ${JSON.stringify(v)}`);
    config[key] = v;
  }
  if (obj.spatial !== undefined) {
    if (obj.spatial !== null && (typeof obj.spatial !== 'string' || obj.spatial === '')) throw new Error(`${source}: spatial must be a tensor name or null, got ${JSON.stringify(obj.spatial)}`);
    config.spatial = obj.spatial as string | null;
  }
  return config;
}

function loadSettings(modelPath: string, flags: ModelFileConfig | undefined): ModelFileConfig {
  const file = findOnnxConfigFile(modelPath);
  let fromFile: ModelFileConfig = {};
  if (file) fromFile = parseModelFileConfig(readJsonFile(file, 'onnx encoder settings'), `onnx encoder settings '${file}'`);
  const fromFlags = flags ? parseModelFileConfig(stripUndefined(flags), 'onnx encoder options') : {};
  return { ...fromFile, ...fromFlags };
}

function stripUndefined(o: ModelFileConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

const FLOAT_TYPES = new Set([1, 10, 11, 16]); // FLOAT, FLOAT16, DOUBLE, BFLOAT16

/** Values in the model's floating-point, non-scalar initialisers (its parameter count; constants excluded). */
function countParameters(model: onnxPkg.onnx.ModelProto): number {
  let total = 0;
  for (const t of model.graph?.initializer ?? []) {
    if (FLOAT_TYPES.has(t.dataType ?? 0) && (t.dims ?? []).length > 0) total += (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
  }
  return total;
}

export async function createOnnxFileEncoder(id: string, path: string, options: EncoderOptions = {}): Promise<Encoder> {
  if (!path) throw new Error(`encoder '${id}': expected onnx:PATH with the path of an .onnx file`);
  const modelPath = resolve(path);
  if (!existsSync(modelPath)) throw new Error(`encoder '${id}': ONNX model file '${path}' not found`);
  const settings = loadSettings(modelPath, options.onnx);
  const bytes = new Uint8Array(readFileSync(modelPath));
  let model: onnxPkg.onnx.ModelProto;
  try {
    model = onnxPkg.onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`encoder '${id}': '${path}' is not an ONNX model (${(err as Error).message.split('\n')[0]})`);
  }
  // External data is read by ONNX Runtime relative to the model file, so such a model is loaded from its path.
  const realPath = realpathSync(modelPath);
  const external = externalDataFiles(model, dirname(realPath), `encoder '${id}'`);
  const session = await createOrtSession(external.length > 0 ? realPath : bytes, { threads: options.threads, device: options.device }, `'${path}'`);
  try {
    return await wrapSession(id, path, { bytes, model, external }, session, settings, options);
  } catch (err) {
    await session.release();
    throw err;
  }
}

/** The model file's contents: its bytes, their decoding and the external data files it names. */
interface ModelContents {
  bytes: Uint8Array;
  model: onnxPkg.onnx.ModelProto;
  external: ExternalDataFile[];
}

/** encoderDigest of the model (external data included) and the preprocessing: what determines its features. */
function modelDigest({ bytes, external }: ModelContents, preprocessId: string): string {
  if (external.length === 0) return encoderDigest(bytes, preprocessId);
  const hash = createHash('sha256').update(bytes);
  hashExternalData(hash, external);
  return hash.update('\0preprocess:').update(preprocessId).digest('hex');
}

async function wrapSession(id: string, path: string, contents: ModelContents, session: ort.InferenceSession, settings: ModelFileConfig, options: EncoderOptions): Promise<Encoder> {
  const who = `encoder '${id}'`;
  // Input: name, layout, and side, checked against the model's declared shape.
  if (settings.input === undefined && session.inputNames.length !== 1) {
    throw new Error(`${who}: the model has inputs [${session.inputNames.join(', ')}]; name the image input with 'input'`);
  }
  const inputName = settings.input ?? session.inputNames[0]!;
  const inputIndex = session.inputNames.indexOf(inputName);
  if (inputIndex < 0) throw new Error(`${who}: the model has no input '${inputName}' (inputs: ${session.inputNames.join(', ')})`);
  const layout = settings.layout ?? 'nchw';
  const meta = session.inputMetadata[inputIndex];
  const declared = meta && meta.isTensor ? meta.shape : [];
  const describe = `[${declared.map(String).join(', ')}]`;
  if (declared.length !== 0 && declared.length !== 4) {
    throw new Error(`${who}: input '${inputName}' has shape ${describe} in '${path}', expected an image batch [N, 3, S, S] (or [N, S, S, 3])`);
  }
  // Symbolic dims come as names; unknown ones may come as -1 or 0.
  const fixed = (d: number | string | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null);
  const [chanDim, hDim, wDim] = (layout === 'nchw' ? [declared[1], declared[2], declared[3]] : [declared[3], declared[1], declared[2]]).map(fixed);
  if (chanDim !== null && chanDim !== 3) {
    throw new Error(`${who}: input '${inputName}' has shape ${describe} in '${path}': ${chanDim} channels where 3 (RGB, ${layout}) were expected`);
  }
  const staticSize = hDim !== null && wDim !== null ? [hDim, wDim] : null;
  if (staticSize && staticSize[0] !== staticSize[1]) {
    throw new Error(`${who}: input '${inputName}' has shape ${describe} in '${path}'; only square inputs are supported`);
  }
  // A model exported with a fixed batch of 1 runs frame by frame; other fixed batches would need padding.
  const fixedBatch = fixed(declared[0]);
  if (fixedBatch !== null && fixedBatch !== 1) {
    throw new Error(`${who}: input '${inputName}' has a fixed batch of ${fixedBatch} ${describe}; export the model with a dynamic (or 1) batch dimension`);
  }
  const inputSize = settings.inputSize ?? staticSize?.[0];
  if (inputSize === undefined) throw new Error(`${who}: input '${inputName}' has no fixed size ${describe}; give inputSize`);
  if (staticSize && staticSize[0] !== inputSize) {
    throw new Error(`${who}: input shape does not fit: '${inputName}' is ${describe} in '${path}', but inputSize is ${inputSize}`);
  }

  // Outputs: which is pooled, which spatial.
  const outputs = session.outputNames;
  const pooledName = settings.pooled ?? (outputs.includes('pooled') ? 'pooled' : outputs[0]!);
  const spatialName = settings.spatial === undefined ? (outputs.includes('spatial') ? 'spatial' : null) : settings.spatial;
  for (const [role, name] of [['pooled', pooledName], ['spatial', spatialName]] as const) {
    if (name !== null && !outputs.includes(name)) throw new Error(`${who}: the model has no output '${name}' for ${role} (outputs: ${outputs.join(', ')})`);
  }

  const norm = settings.mean || settings.std ? { mean: settings.mean ?? [0, 0, 0], std: settings.std ?? [1, 1, 1] } : null;
  const preprocess = resizeNormalise(inputSize, 'triangle', norm, layout);

  // One probe frame gives the output shapes (they are often symbolic in the metadata) and checks that the input fits.
  const probeDims = layout === 'nchw' ? [1, 3, inputSize, inputSize] : [1, inputSize, inputSize, 3];
  let probe: ort.InferenceSession.ReturnType;
  try {
    probe = await session.run({ [inputName]: new ort.Tensor('float32', new Float32Array(3 * inputSize * inputSize), probeDims) }, spatialName ? [pooledName, spatialName] : [pooledName]);
  } catch (err) {
    throw new Error(`${who}: input shape does not fit: '${path}' rejected a [${probeDims}] float32 '${inputName}': ${(err as Error).message}`);
  }
  const pooledDims = probe[pooledName]!.dims;
  if (pooledDims.length !== 2 || pooledDims[0] !== 1) throw new Error(`${who}: pooled output '${pooledName}' has shape [${pooledDims}] for one frame, expected [N, D]`);
  let spatial: { tokens: number; channels: number; grid: number } | null = null;
  let spatialLayout: 'ntc' | 'nchw' = 'ntc';
  if (spatialName) {
    const d = probe[spatialName]!.dims;
    if (d.length === 3 && d[0] === 1) {
      const grid = Math.round(Math.sqrt(d[1]!));
      if (grid * grid !== d[1]) throw new Error(`${who}: spatial output '${spatialName}' has ${d[1]} tokens, not a square grid`);
      spatial = { tokens: d[1]!, channels: d[2]!, grid };
    } else if (d.length === 4 && d[0] === 1 && d[2] === d[3]) {
      spatial = { tokens: d[2]! * d[3]!, channels: d[1]!, grid: d[2]! };
      spatialLayout = 'nchw';
    } else {
      throw new Error(`${who}: spatial output '${spatialName}' has shape [${d}] for one frame, expected [N, T, C] or [N, C, h, w] with h = w`);
    }
  }

  const mapping = `input=${inputName};pooled=${pooledName};spatial=${spatialName ?? ''}`;
  return new SessionEncoder({
    info: {
      id,
      inputSize,
      normalisation: norm,
      pooledDim: pooledDims[1]!,
      spatial,
      parameterCount: countParameters(contents.model),
      digest: modelDigest(contents, `${preprocess.id};${mapping}`),
    },
    session,
    preprocess,
    inputName,
    inputLayout: layout,
    pooledOutput: pooledName,
    spatialOutput: spatialName ? { name: spatialName, layout: spatialLayout } : null,
    maxBatch: fixedBatch ?? options.maxBatch ?? DEFAULT_MAX_BATCH,
  });
}
