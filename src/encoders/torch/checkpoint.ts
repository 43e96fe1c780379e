/**
 * PyTorch zip checkpoints (`torch.save` since torch 1.6) read without running any code: the archive's `data.pkl`
 * goes through the restricted unpickler (pickle.ts), the state dict is found in the result, and tensors are read
 * from their storage records (`ARCHIVE/data/<key>`) only when asked for.
 *
 * Every tensor's view (offset, shape, stride) is checked against its storage, and every storage against its record,
 * when the file is opened, so a wrong or missing storage is reported before any weight is used.
 */
import { bf16ToF32, f16ToF32 } from '../safetensors.js';
import type { TensorEntry, TensorFile } from '../tensor_file.js';
import type { Tensor } from '../vit_spec.js';
import { PickleDict, type PickleValue, type StorageRef, TORCH_DTYPE_BYTES, type TensorRef, unpickleStateDict } from './pickle.js';
import { ZipArchive } from './zip.js';

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

function isTensor(v: PickleValue): v is TensorRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'kind' in v && v.kind === 'tensor';
}

function tensorItems(dict: PickleDict): [string, TensorRef][] {
  return [...dict.items].filter((entry): entry is [string, TensorRef] => typeof entry[0] === 'string' && isTensor(entry[1]));
}

/** A state dict = a dict whose values are tensors (other values, e.g. `_extra_state`, are not weights and are skipped). */
function isStateDict(v: PickleValue | undefined): v is PickleDict {
  return v instanceof PickleDict && v.items.size > 0 && tensorItems(v).length > 0;
}

/**
 * The state dict inside the unpickled object: `root[key]` when the checkpoint wraps it under `key` (R3M's 'r3m',
 * VC-1's 'model'), else the object itself when it holds tensors, else its one nested dict of tensors.
 */
function findStateDict(root: PickleValue, key: string | undefined, context: string): PickleDict {
  if (!(root instanceof PickleDict)) throw new Error(`${context}: the checkpoint holds ${root === null ? 'None' : typeof root}, not a dict of tensors`);
  const keys = [...root.items.keys()].map((k) => JSON.stringify(k)).join(', ');
  const named = key === undefined ? undefined : root.items.get(key);
  if (named !== undefined) {
    if (!isStateDict(named)) throw new Error(`${context}: the entry '${key}' is not a dict of tensors`);
    return named;
  }
  if (tensorItems(root).length > 0) return root;
  const nested = [...root.items.values()].filter(isStateDict);
  if (nested.length !== 1) throw new Error(`${context}: cannot tell which entry is the state dict (top-level keys: ${keys})`);
  return nested[0]!;
}

interface TorchEntry extends TensorEntry {
  ref: TensorRef;
}

export class TorchCheckpoint implements TensorFile {
  private constructor(
    readonly path: string,
    private readonly archive: ZipArchive,
    private readonly prefix: string,
    readonly entries: ReadonlyMap<string, TorchEntry>,
  ) {}

  /** @param options.stateDictKey  the top-level key that wraps the state dict, when there is one (see findStateDict) */
  static open(path: string, options: { stateDictKey?: string } = {}): TorchCheckpoint {
    const archive = ZipArchive.open(path);
    try {
      const pickles = archive.names().filter((n) => /^[^/]+\/data\.pkl$/.test(n));
      if (pickles.length !== 1) {
        throw new Error(`PyTorch checkpoint ${path}: expected one ARCHIVE/data.pkl record, found ${pickles.length ? pickles.join(', ') : 'none'} (records: ${archive.names().slice(0, 8).join(', ')})`);
      }
      const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
      if (archive.entries.has(`${prefix}byteorder`)) {
        const order = new TextDecoder().decode(archive.read(`${prefix}byteorder`)).trim();
        if (order !== 'little') throw new Error(`PyTorch checkpoint ${path}: byte order '${order}' is not supported (only little-endian)`);
      }
      const context = `PyTorch checkpoint ${path}`;
      const root = unpickleStateDict(archive.read(pickles[0]!), `${context} (${pickles[0]})`);
      const stateDict = findStateDict(root, options.stateDictKey, context);
      const entries = new Map<string, TorchEntry>();
      for (const [name, ref] of tensorItems(stateDict)) {
        checkView(archive, prefix, name, ref, context);
        entries.set(name, { name, dtype: ref.storage.dtype, shape: [...ref.shape], ref });
      }
      return new TorchCheckpoint(path, archive, prefix, entries);
    } catch (error) {
      archive.close();
      throw error;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  readFloat32(name: string): Tensor {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`PyTorch checkpoint ${this.path}: no tensor named "${name}" (has ${this.entries.size} tensors)`);
    if (!FLOAT_DTYPES.has(entry.dtype)) {
      throw new Error(`PyTorch checkpoint ${this.path}: tensor "${name}" has dtype ${entry.dtype}; only F32, F16, BF16 and F64 can be read as float32`);
    }
    const { storage, offset, shape, stride } = entry.ref;
    const bytesPer = TORCH_DTYPE_BYTES[storage.dtype];
    const numel = shape.reduce((a, b) => a * b, 1);
    const span = numel === 0 ? 0 : 1 + shape.reduce((a, d, i) => a + (d - 1) * stride[i]!, 0);
    const raw = new Uint8Array(span * bytesPer);
    if (span > 0) this.archive.readInto(`${this.prefix}data/${storage.key}`, offset * bytesPer, raw);
    const values = toFloat32(raw, storage.dtype);
    return { shape: [...shape], data: isContiguous(shape, stride) ? values : gather(values, shape, stride) };
  }

  close(): void {
    this.archive.close();
  }
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/** Row-major copy of a strided view whose first element is values[0]. */
function gather(values: Float32Array, shape: readonly number[], stride: readonly number[]): Float32Array {
  const numel = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(numel);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < numel; i++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += index[d]! * stride[d]!;
    out[i] = values[src]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

function toFloat32(raw: Uint8Array, dtype: StorageRef['dtype']): Float32Array {
  // Copies into fresh, aligned buffers (zip records are 64-byte aligned in torch files, but the view may not be).
  const aligned = raw.byteOffset % 8 === 0 ? raw : raw.slice();
  switch (dtype) {
    case 'F32':
      return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
    case 'F64':
      return Float32Array.from(new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8));
    case 'F16':
      return f16ToF32(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2));
    case 'BF16':
      return bf16ToF32(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2));
    default:
      throw new Error(`dtype ${dtype} is not a floating type`);
  }
}

/** The view must lie inside its storage, and the storage must fill its record exactly. */
function checkView(archive: ZipArchive, prefix: string, name: string, ref: TensorRef, context: string): void {
  const { storage, offset, shape, stride } = ref;
  const record = `${prefix}data/${storage.key}`;
  const entry = archive.entries.get(record);
  if (!entry) throw new Error(`${context}: tensor "${name}" refers to storage ${storage.key}, but the archive has no record ${record}`);
  const bytesPer = TORCH_DTYPE_BYTES[storage.dtype];
  if (entry.size !== storage.numel * bytesPer) {
    throw new Error(`${context}: storage ${storage.key} of tensor "${name}" should hold ${storage.numel} ${storage.dtype} values (${storage.numel * bytesPer} bytes), but record ${record} has ${entry.size} bytes`);
  }
  const numel = shape.reduce((a, b) => a * b, 1);
  const last = numel === 0 ? offset : offset + shape.reduce((a, d, i) => a + (d - 1) * stride[i]!, 0);
  if (numel > 0 && last >= storage.numel) {
    throw new Error(`${context}: tensor "${name}" [${shape}] (offset ${offset}, stride [${stride}]) reaches element ${last} of storage ${storage.key}, which holds ${storage.numel}`);
  }
}
