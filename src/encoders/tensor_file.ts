/**
 * A checkpoint file seen as named tensors, whatever its format: safetensors, or a PyTorch zip checkpoint read by the
 * restricted unpickler (torch/checkpoint.ts). Key mappers only need names, shapes and float32 reads, so they work
 * on either, and `.pt`/`.pth` and `.safetensors` copies of the same weights give identical graphs.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Tensor } from './vit_spec.js';
import { SafetensorsFile } from './safetensors.js';
import { TorchCheckpoint } from './torch/checkpoint.js';

export interface TensorEntry {
  name: string;
  /** safetensors dtype name: F32, F16, BF16, F64, I64, ... */
  dtype: string;
  shape: number[];
}

export interface TensorFile {
  readonly path: string;
  readonly entries: ReadonlyMap<string, TensorEntry>;
  names(): string[];
  /** A floating tensor as float32 (integer tensors such as BatchNorm's num_batches_tracked are refused). */
  readFloat32(name: string): Tensor;
  close(): void;
}

export interface OpenTensorFileOptions {
  /** For PyTorch checkpoints that wrap their state dict, e.g. {'r3m': state_dict}: the key to take it from when present. */
  stateDictKey?: string;
}

/** The first bytes of a file (fewer when it is shorter). */
function magic(path: string, n: number): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new Error(`checkpoint ${path}: cannot open (${(error as Error).message})`);
  }
  try {
    const bytes = new Uint8Array(n);
    return bytes.subarray(0, readSync(fd, bytes, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens a `.safetensors` file or a PyTorch zip checkpoint (`.pt`, `.pth`, `.bin`, `.ckpt`), told apart by their
 * first bytes. Legacy (pre-1.6, non-zip) torch pickles are refused with a message saying how to convert them.
 */
export function openTensorFile(path: string, options: OpenTensorFileOptions = {}): TensorFile {
  const head = magic(path, 4);
  if (head[0] === 0x50 && head[1] === 0x4b) return TorchCheckpoint.open(path, options);
  if (head[0] === 0x80) {
    throw new Error(
      `checkpoint ${path}: a legacy (non-zip) PyTorch pickle; only the zip format torch.save has written since torch 1.6 is read. ` +
        `Re-save it with torch.save(torch.load(path, weights_only=True), new_path) or convert it to safetensors`,
    );
  }
  if (/\.safetensors$/i.test(path)) return SafetensorsFile.open(path);
  throw new Error(`checkpoint ${path}: neither a zip PyTorch checkpoint (.pt, .pth) nor a .safetensors file`);
}
