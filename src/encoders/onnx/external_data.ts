/**
 * ONNX external data: models over 2 GB (and some exporters' smaller ones) keep tensor bytes in files beside the
 * .onnx, named by each tensor's `external_data` entries ({key: "location", value: "weights.bin"}, offset, length).
 * ONNX Runtime reads those files itself when it loads the model from its path, so before that every location is
 * checked to lie inside the model's folder (model_files.ts): nothing outside the folder is ever read.
 */
import { closeSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import type { Hash } from 'node:crypto';
import onnxPkg from 'onnx-proto';
import { fileInModelFolder } from '../model_files.js';

type Graph = onnxPkg.onnx.IGraphProto;
type TensorProto = onnxPkg.onnx.ITensorProto;

const EXTERNAL = onnxPkg.onnx.TensorProto.DataLocation.EXTERNAL;

/** Every tensor stored in the graph: initialisers, sparse initialisers and node attributes, subgraphs included. */
function* graphTensors(graph: Graph | null | undefined): Generator<TensorProto> {
  if (!graph) return;
  yield* graph.initializer ?? [];
  for (const sparse of graph.sparseInitializer ?? []) {
    if (sparse.values) yield sparse.values;
    if (sparse.indices) yield sparse.indices;
  }
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (attribute.t) yield attribute.t;
      yield* attribute.tensors ?? [];
      yield* graphTensors(attribute.g);
      for (const sub of attribute.graphs ?? []) yield* graphTensors(sub);
    }
  }
}

/** An external data file of a model: its location as the model names it and its checked path. */
export interface ExternalDataFile {
  location: string;
  path: string;
}

/**
 * The external data files `model` names, each checked to exist inside `folder`; empty for a self-contained model.
 * `context` names the model in errors.
 */
export function externalDataFiles(model: onnxPkg.onnx.IModelProto, folder: string, context: string): ExternalDataFile[] {
  const files = new Map<string, ExternalDataFile>();
  for (const tensor of graphTensors(model.graph)) {
    if (tensor.dataLocation !== EXTERNAL) continue;
    const location = tensor.externalData?.find((entry) => entry.key === 'location')?.value;
    if (!location) throw new Error(`${context}: tensor '${tensor.name ?? '?'}' is stored externally but names no location`);
    if (files.has(location)) continue;
    const path = fileInModelFolder(folder, location, context);
    let stats: Stats;
    try {
      stats = statSync(path);
    } catch {
      throw new Error(`${context}: external data file '${location}' of tensor '${tensor.name ?? '?'}' not found in the model folder '${folder}'`);
    }
    if (!stats.isFile()) throw new Error(`${context}: external data '${location}' of tensor '${tensor.name ?? '?'}' is not a file`);
    files.set(location, { location, path });
  }
  return [...files.values()];
}

/** Feeds the external files' bytes into `hash` (streamed, so multi-GB weights need no extra memory). */
export function hashExternalData(hash: Hash, files: readonly ExternalDataFile[]): void {
  const chunk = Buffer.alloc(1 << 22);
  for (const file of files) {
    hash.update(`\0external:${file.location}\0`);
    const fd = openSync(file.path, 'r');
    try {
      for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) hash.update(chunk.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  }
}
