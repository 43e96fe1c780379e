/**
 * A restricted unpickler for PyTorch state dicts: it interprets pickle opcodes (protocols 0-5) itself and accepts
 * only the globals a plain state dict needs, the way `torch.load(weights_only=True)` does. Nothing is ever
 * imported or called: the allowed globals are data constructors written here.
 *
 * Allowed globals: collections.OrderedDict, torch._utils._rebuild_tensor, _rebuild_tensor_v2 and _rebuild_parameter,
 * and the torch.<Type>Storage classes (which appear only inside storage references). The first other global
 * (GLOBAL or STACK_GLOBAL) stops the whole load with an error naming it; nothing parsed before is returned. Object
 * construction (REDUCE, NEWOBJ, BUILD) is possible only through the allowed constructors; INST, OBJ, NEWOBJ_EX and
 * the extension registry are refused outright.
 */

/** A storage reference from a persistent id ('storage', torch.<Type>Storage, key, location, numel). */
export interface StorageRef {
  readonly kind: 'storage';
  /** safetensors-style dtype name, e.g. 'F32', 'I64'. */
  readonly dtype: TorchDtype;
  /** Record name under ARCHIVE/data/. */
  readonly key: string;
  readonly location: string;
  /** Elements in the storage. */
  readonly numel: number;
}

/** A tensor view of a storage, as `_rebuild_tensor_v2(storage, offset, size, stride, ...)` describes it. */
export interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  /** In elements. */
  readonly offset: number;
  readonly shape: readonly number[];
  /** In elements. */
  readonly stride: readonly number[];
}

export type TorchDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each storage dtype. */
export const TORCH_DTYPE_BYTES: Readonly<Record<TorchDtype, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

const STORAGE_TYPES: Readonly<Record<string, TorchDtype>> = {
  DoubleStorage: 'F64', FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};

/** A dict (plain or OrderedDict); `attributes` holds what BUILD set on an OrderedDict (e.g. `_metadata`). */
export class PickleDict {
  readonly items = new Map<PickleKey, PickleValue>();
  readonly attributes = new Map<string, PickleValue>();
}

/** A Python tuple (lists are plain arrays). */
export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}

export type PickleKey = string | number | boolean | null;

export type PickleValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | StorageRef
  | TensorRef
  | AllowedGlobal;

/** A global the unpickler accepts: what it builds when called (REDUCE / NEWOBJ), if anything. */
export interface AllowedGlobal {
  readonly kind: 'global';
  readonly qualifiedName: string;
  readonly storageDtype?: TorchDtype;
  call?(args: PickleValue[], context: string): PickleValue;
}

function integer(value: PickleValue, what: string, context: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Error(`${context}: ${what} must be an integer, got ${describe(value)}`);
  return value;
}

function integerTuple(value: PickleValue, what: string, context: string): number[] {
  if (!(value instanceof PickleTuple)) throw new Error(`${context}: ${what} must be a tuple of integers, got ${describe(value)}`);
  return value.items.map((v, i) => {
    const n = integer(v, `${what}[${i}]`, context);
    if (n < 0) throw new Error(`${context}: ${what}[${i}] must be >= 0, got ${n}`);
    return n;
  });
}

function rebuildTensor(args: PickleValue[], context: string): TensorRef {
  const [storage, offset, size, stride] = args;
  if (args.length < 4 || !isStorage(storage)) throw new Error(`${context}: _rebuild_tensor expects (storage, offset, size, stride, ...), got ${args.length} arguments`);
  const shape = integerTuple(size!, 'tensor size', context);
  const strides = integerTuple(stride!, 'tensor stride', context);
  if (shape.length !== strides.length) throw new Error(`${context}: tensor size [${shape}] and stride [${strides}] differ in length`);
  const start = integer(offset!, 'storage offset', context);
  if (start < 0) throw new Error(`${context}: storage offset must be >= 0, got ${start}`);
  return { kind: 'tensor', storage, offset: start, shape, stride: strides };
}

function isStorage(v: PickleValue | undefined): v is StorageRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'kind' in v && v.kind === 'storage';
}

function isTensor(v: PickleValue | undefined): v is TensorRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'kind' in v && v.kind === 'tensor';
}

const ALLOWED_GLOBALS: ReadonlyMap<string, AllowedGlobal> = new Map<string, AllowedGlobal>([
  ['collections.OrderedDict', { kind: 'global', qualifiedName: 'collections.OrderedDict', call: () => new PickleDict() }],
  ['torch._utils._rebuild_tensor', { kind: 'global', qualifiedName: 'torch._utils._rebuild_tensor', call: rebuildTensor }],
  ['torch._utils._rebuild_tensor_v2', { kind: 'global', qualifiedName: 'torch._utils._rebuild_tensor_v2', call: rebuildTensor }],
  [
    'torch._utils._rebuild_parameter',
    {
      kind: 'global',
      qualifiedName: 'torch._utils._rebuild_parameter',
      call: (args, context) => {
        if (!isTensor(args[0])) throw new Error(`${context}: _rebuild_parameter expects a tensor, got ${describe(args[0] ?? null)}`);
        return args[0];
      },
    },
  ],
  ...Object.entries(STORAGE_TYPES).map(([name, dtype]): [string, AllowedGlobal] => [`torch.${name}`, { kind: 'global', qualifiedName: `torch.${name}`, storageDtype: dtype }]),
]);

const ALLOWED_PICKLE_GLOBALS: readonly string[] = [...ALLOWED_GLOBALS.keys()];

function describe(v: PickleValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof PickleTuple) return `a ${v.items.length}-tuple`;
  if (v instanceof PickleDict) return 'a dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return v.kind === 'global' ? v.qualifiedName : `a ${v.kind}`;
  return JSON.stringify(v);
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/** Interprets `bytes` as a pickle; `context` names the source in errors (e.g. "model.pt: archive/data.pkl"). */
export function unpickleStateDict(bytes: Uint8Array, context: string): PickleValue {
  return new Unpickler(bytes, context).run();
}

class Unpickler {
  private pos = 0;
  private stack: StackItem[] = [];
  private readonly marks: StackItem[][] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly storages = new Map<string, StorageRef>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly context: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(problem: string): never {
    throw new Error(`${this.context}: ${problem}`);
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) this.fail(`pickle ends early at byte ${this.pos} (truncated or corrupt)`);
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  private u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`length ${v} is too large`);
    return Number(v);
  }

  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail(`pickle ends early at byte ${this.pos} (unterminated text argument)`);
    const text = new TextDecoder('latin1').decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }

  private utf8(n: number): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.take(n));
  }

  private push(v: PickleValue): void {
    this.stack.push(v);
  }

  private pop(): PickleValue {
    if (this.stack.length === 0) this.fail(`stack underflow at byte ${this.pos - 1}`);
    const v = this.stack.pop()!;
    if (v === MARK) this.fail(`unexpected MARK on the stack at byte ${this.pos - 1}`);
    return v;
  }

  private top(): PickleValue {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined || v === MARK) this.fail(`empty stack at byte ${this.pos - 1}`);
    return v;
  }

  /** Items since the last MARK, which is removed. */
  private popMark(): PickleValue[] {
    const items = this.stack;
    const previous = this.marks.pop();
    if (!previous) this.fail(`no MARK on the stack at byte ${this.pos - 1}`);
    this.stack = previous;
    return items as PickleValue[];
  }

  private global(module: string, name: string): void {
    const qualified = `${module}.${name}`;
    const allowed = ALLOWED_GLOBALS.get(qualified);
    if (!allowed) {
      const constructors = ALLOWED_PICKLE_GLOBALS.filter((g) => !ALLOWED_GLOBALS.get(g)!.storageDtype);
      this.fail(`refusing pickle global ${qualified}: a state dict needs only ${constructors.join(', ')} and torch.<Type>Storage (nothing in the file was executed)`);
    }
    this.push(allowed);
  }

  private call(callable: PickleValue, args: PickleValue, opcode: string): PickleValue {
    if (typeof callable !== 'object' || callable === null || Array.isArray(callable) || !('kind' in callable) || callable.kind !== 'global' || !callable.call) {
      this.fail(`${opcode} on ${describe(callable)} is not allowed (only ${ALLOWED_PICKLE_GLOBALS.filter((g) => ALLOWED_GLOBALS.get(g)!.call).join(', ')} may be called)`);
    }
    if (!(args instanceof PickleTuple)) this.fail(`${opcode} arguments must be a tuple, got ${describe(args)}`);
    return callable.call(args.items, `${this.context}: ${callable.qualifiedName}`);
  }

  private persistentLoad(pid: PickleValue): StorageRef {
    const items = pid instanceof PickleTuple ? pid.items : null;
    if (!items || items.length !== 5 || items[0] !== 'storage') {
      this.fail(`persistent id must be ('storage', type, key, location, numel), got ${describe(pid)}`);
    }
    const [, type, key, location, numel] = items;
    const dtype = typeof type === 'object' && type !== null && 'kind' in type && type.kind === 'global' ? type.storageDtype : undefined;
    if (!dtype) this.fail(`persistent id names storage type ${describe(type!)}, expected a torch.<Type>Storage`);
    if (typeof key !== 'string' || typeof location !== 'string') this.fail('persistent id key and location must be strings');
    const count = integer(numel!, 'storage numel', this.context);
    const existing = this.storages.get(key);
    if (existing) {
      if (existing.dtype !== dtype || existing.numel !== count) this.fail(`storage ${key} is referenced as ${existing.dtype}[${existing.numel}] and as ${dtype}[${count}]`);
      return existing;
    }
    const storage: StorageRef = { kind: 'storage', dtype, key, location, numel: count };
    this.storages.set(key, storage);
    return storage;
  }

  private setItems(dict: PickleValue, pairs: PickleValue[]): void {
    if (!(dict instanceof PickleDict)) this.fail(`SETITEM(S) on ${describe(dict)}, expected a dict`);
    if (pairs.length % 2 !== 0) this.fail('SETITEMS with an odd number of items');
    for (let i = 0; i < pairs.length; i += 2) {
      const key = pairs[i]!;
      if (key !== null && typeof key === 'object') this.fail(`dict key ${describe(key)} is not supported (expected a string or number)`);
      dict.items.set(key, pairs[i + 1]!);
    }
  }

  private build(target: PickleValue, state: PickleValue): void {
    if (!(target instanceof PickleDict)) this.fail(`BUILD on ${describe(target)} is not allowed (only an OrderedDict's attributes may be set)`);
    if (!(state instanceof PickleDict)) this.fail(`BUILD state must be a dict, got ${describe(state)}`);
    for (const [k, v] of state.items) {
      if (typeof k !== 'string') this.fail(`BUILD attribute name ${describe(k)} is not a string`);
      target.attributes.set(k, v);
    }
  }

  run(): PickleValue {
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      switch (op) {
        case 0x80: // PROTO
          if (this.u8() > 5) this.fail('pickle protocol above 5 is not supported');
          break;
        case 0x95: // FRAME
          this.u64();
          break;
        case 0x2e: { // STOP
          const result = this.pop();
          if (this.stack.length !== 0 || this.marks.length !== 0) this.fail('values left on the stack at STOP');
          if (this.pos !== this.bytes.length) this.fail(`${this.bytes.length - this.pos} bytes after STOP`);
          return result;
        }
        case 0x28: // MARK
          this.marks.push(this.stack);
          this.stack = [];
          break;
        case 0x7d: this.push(new PickleDict()); break; // EMPTY_DICT
        case 0x5d: this.push([]); break; // EMPTY_LIST
        case 0x29: this.push(new PickleTuple([])); break; // EMPTY_TUPLE
        case 0x4e: this.push(null); break; // NONE
        case 0x88: this.push(true); break; // NEWTRUE
        case 0x89: this.push(false); break; // NEWFALSE
        case 0x4b: this.push(this.u8()); break; // BININT1
        case 0x4d: this.push(this.u16()); break; // BININT2
        case 0x4a: this.push(this.i32()); break; // BININT
        case 0x8a: this.push(this.long(this.u8())); break; // LONG1
        case 0x8b: this.push(this.long(this.u32())); break; // LONG4
        case 0x49: this.push(this.textInt(this.line())); break; // INT
        case 0x4c: this.push(this.textInt(this.line().replace(/L$/, ''))); break; // LONG
        case 0x47: { // BINFLOAT (big-endian)
          this.need(8);
          this.push(this.view.getFloat64(this.pos, false));
          this.pos += 8;
          break;
        }
        case 0x46: this.push(Number.parseFloat(this.line())); break; // FLOAT
        case 0x58: this.push(this.utf8(this.u32())); break; // BINUNICODE
        case 0x8c: this.push(this.utf8(this.u8())); break; // SHORT_BINUNICODE
        case 0x8d: this.push(this.utf8(this.u64())); break; // BINUNICODE8
        case 0x54: this.push(new TextDecoder('latin1').decode(this.take(this.u32()))); break; // BINSTRING
        case 0x55: this.push(new TextDecoder('latin1').decode(this.take(this.u8()))); break; // SHORT_BINSTRING
        case 0x42: this.push(this.take(this.u32()).slice()); break; // BINBYTES
        case 0x43: this.push(this.take(this.u8()).slice()); break; // SHORT_BINBYTES
        case 0x8e: this.push(this.take(this.u64()).slice()); break; // BINBYTES8
        case 0x74: this.push(new PickleTuple(this.popMark())); break; // TUPLE
        case 0x85: this.push(new PickleTuple([this.pop()])); break; // TUPLE1
        case 0x86: { const b = this.pop(); const a = this.pop(); this.push(new PickleTuple([a, b])); break; } // TUPLE2
        case 0x87: { const c = this.pop(); const b = this.pop(); const a = this.pop(); this.push(new PickleTuple([a, b, c])); break; } // TUPLE3
        case 0x6c: this.push(this.popMark()); break; // LIST
        case 0x64: { const d = new PickleDict(); this.setItems(d, this.popMark()); this.push(d); break; } // DICT
        case 0x61: { const v = this.pop(); this.list(this.top()).push(v); break; } // APPEND
        case 0x65: { const items = this.popMark(); this.list(this.top()).push(...items); break; } // APPENDS
        case 0x73: { const v = this.pop(); const k = this.pop(); this.setItems(this.top(), [k, v]); break; } // SETITEM
        case 0x75: { const items = this.popMark(); this.setItems(this.top(), items); break; } // SETITEMS
        case 0x30: this.pop(); break; // POP
        case 0x31: this.popMark(); break; // POP_MARK
        case 0x32: this.push(this.top()); break; // DUP
        case 0x71: this.memo.set(this.u8(), this.top()); break; // BINPUT
        case 0x72: this.memo.set(this.u32(), this.top()); break; // LONG_BINPUT
        case 0x70: this.memo.set(this.textInt(this.line()), this.top()); break; // PUT
        case 0x94: this.memo.set(this.memo.size, this.top()); break; // MEMOIZE
        case 0x68: this.push(this.memoGet(this.u8())); break; // BINGET
        case 0x6a: this.push(this.memoGet(this.u32())); break; // LONG_BINGET
        case 0x67: this.push(this.memoGet(this.textInt(this.line()))); break; // GET
        case 0x63: { const module = this.line(); const name = this.line(); this.global(module, name); break; } // GLOBAL
        case 0x93: { // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings');
          this.global(module, name);
          break;
        }
        case 0x52: { const args = this.pop(); const callable = this.pop(); this.push(this.call(callable, args, 'REDUCE')); break; } // REDUCE
        case 0x81: { const args = this.pop(); const cls = this.pop(); this.push(this.call(cls, args, 'NEWOBJ')); break; } // NEWOBJ
        case 0x62: { const state = this.pop(); this.build(this.top(), state); break; } // BUILD
        case 0x51: this.push(this.persistentLoad(this.pop())); break; // BINPERSID
        case 0x50: this.fail('text persistent ids (PERSID) are not used by torch.save and are refused');
        default:
          this.fail(`pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at} is not allowed in a state dict (${REFUSED_OPCODES[op] ?? 'unknown opcode'})`);
      }
    }
  }

  private list(v: PickleValue): PickleValue[] {
    if (!Array.isArray(v)) this.fail(`APPEND(S) on ${describe(v)}, expected a list`);
    return v;
  }

  private memoGet(index: number): PickleValue {
    if (!this.memo.has(index)) this.fail(`memo entry ${index} is read before it is written`);
    return this.memo.get(index)!;
  }

  private textInt(text: string): number {
    const trimmed = text.trim();
    if (trimmed === '00') return 0; // protocol 0's False
    if (trimmed === '01') return 1; // protocol 0's True
    const v = Number(trimmed);
    if (!/^[-+]?\d+$/.test(trimmed) || !Number.isSafeInteger(v)) this.fail(`bad integer literal ${JSON.stringify(text)}`);
    return v;
  }

  /** Little-endian two's-complement integer of n bytes. */
  private long(n: number): number {
    const bytes = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
    if (n > 0 && bytes[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) this.fail(`integer ${v} is outside the safe range`);
    return Number(v);
  }
}

const REFUSED_OPCODES: Readonly<Record<number, string>> = {
  0x69: 'INST builds arbitrary objects',
  0x6f: 'OBJ builds arbitrary objects',
  0x92: 'NEWOBJ_EX builds arbitrary objects',
  0x82: 'EXT1 uses the extension registry',
  0x83: 'EXT2 uses the extension registry',
  0x84: 'EXT4 uses the extension registry',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER needs out-of-band buffers',
  0x98: 'READONLY_BUFFER needs out-of-band buffers',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
};
