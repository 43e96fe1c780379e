/**
 * PyTorch checkpoints read without running code (src/encoders/torch/): the allow-listed unpickler, the zip reader
 * and the storage checks, on the fixtures in test/fixtures/pickle-hostile (see its README.md) and on archives and
 * pickles crafted here.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createEncoder } from '../src/encoders/registry.js';
import { SafetensorsFile } from '../src/encoders/safetensors.js';
import { openTensorFile } from '../src/encoders/tensor_file.js';
import { PickleDict, unpickleStateDict } from '../src/encoders/torch/pickle.js';
import { ZipArchive } from '../src/encoders/torch/zip.js';

const HOSTILE = join(import.meta.dirname, 'fixtures', 'pickle-hostile');
/** What the hostile fixture's payload would create (README: `touch /tmp/pickle-hostile-fixture-EXECUTED`). */
const MARKER = '/tmp/pickle-hostile-fixture-EXECUTED';
const scratch = mkdtempSync(join(tmpdir(), 'torch-checkpoint-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A stored (uncompressed) zip of `records`, as torch.save writes them. */
function writeZip(path: string, records: [string, Uint8Array][]): void {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of records) {
    const nameBytes = Buffer.from(name);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt32LE(crc32(data) >>> 0, 14);
    header.writeUInt32LE(data.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt32LE(crc32(data) >>> 0, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    locals.push(header, nameBytes, Buffer.from(data));
    central.push(entry, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(records.length, 8);
  end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(path, Buffer.concat([...locals, directory, end]));
}

/** benign.pt's records, to re-zip with edits. */
function benignRecords(): [string, Uint8Array][] {
  const archive = ZipArchive.open(join(HOSTILE, 'benign.pt'));
  try {
    return archive.names().map((name) => [name, archive.read(name)]);
  } finally {
    archive.close();
  }
}

const proto2 = (...body: number[][]): Uint8Array => Uint8Array.from([0x80, 0x02, ...body.flat(), 0x2e]);
const text = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const shortUnicode = (s: string): number[] => [0x8c, s.length, ...text(s)];

describe('restricted unpickler', () => {
  it('loads benign.pt with the values of benign.safetensors (the state dict under its wrapping key)', () => {
    const torch = openTensorFile(join(HOSTILE, 'benign.pt'), { stateDictKey: 'r3m' });
    const reference = SafetensorsFile.open(join(HOSTILE, 'benign.safetensors'));
    expect(torch.names().sort()).toEqual(reference.names().sort());
    for (const name of reference.names()) {
      expect(torch.entries.get(name)!.shape, name).toEqual(reference.entries.get(name)!.shape);
      expect(torch.entries.get(name)!.dtype, name).toBe(reference.entries.get(name)!.dtype);
      if (reference.entries.get(name)!.dtype === 'F32') expect(torch.readFloat32(name).data, name).toEqual(reference.readFloat32(name).data);
    }
    expect(() => torch.readFloat32('module.convnet.bn1.num_batches_tracked')).toThrow(/dtype I64; only F32, F16, BF16 and F64/);
    torch.close();
    reference.close();
  });

  it('refuses os-system-global.pt naming os.system, returns nothing and executes nothing', async () => {
    const path = join(HOSTILE, 'os-system-global.pt');
    expect(() => openTensorFile(path)).toThrow(/refusing pickle global os\.system/);
    // Through the encoder registry too: no partial state dict reaches a model.
    await expect(createEncoder(`r3m:${path}`)).rejects.toThrow(/refusing pickle global os\.system/);
    expect(existsSync(MARKER)).toBe(false);
  });

  it('refuses STACK_GLOBAL imports, calls of non-callables and object-building opcodes', () => {
    const stackGlobal = proto2(shortUnicode('builtins'), shortUnicode('eval'), [0x93], shortUnicode('1'), [0x85, 0x52]);
    expect(() => unpickleStateDict(stackGlobal, 'crafted')).toThrow(/crafted: refusing pickle global builtins\.eval/);
    const reduceOnString = proto2(shortUnicode('x'), [0x29, 0x52]);
    expect(() => unpickleStateDict(reduceOnString, 'crafted')).toThrow(/REDUCE on "x" is not allowed/);
    const inst = proto2([0x28], [0x69], text('os\nsystem\n'));
    expect(() => unpickleStateDict(inst, 'crafted')).toThrow(/opcode 0x69 at byte \d+ is not allowed in a state dict \(INST builds arbitrary objects\)/);
    const storageCall = proto2([0x63], text('torch\nFloatStorage\n'), [0x29, 0x52]);
    expect(() => unpickleStateDict(storageCall, 'crafted')).toThrow(/REDUCE on torch\.FloatStorage is not allowed/);
    expect(() => unpickleStateDict(Uint8Array.from([0x80, 0x02, 0x7d]), 'crafted')).toThrow(/pickle ends early/);
  });

  it('reads plain data: dicts, lists, tuples, numbers, strings, memo, OrderedDict attributes', () => {
    // {'a': [1, -2, 3.5], 'b': ('x', None, True)} with an OrderedDict under 'c' carrying _metadata.
    const bytes = proto2(
      [0x7d, 0x94], // EMPTY_DICT, MEMOIZE
      [0x28], shortUnicode('a'), [0x5d, 0x28, 0x4b, 1, 0x4a, 0xfe, 0xff, 0xff, 0xff, 0x47, 0x40, 0x0c, 0, 0, 0, 0, 0, 0, 0x65],
      shortUnicode('b'), shortUnicode('x'), [0x4e, 0x88, 0x87],
      shortUnicode('c'), [0x63], text('collections\nOrderedDict\n'), [0x29, 0x52, 0x7d, 0x28], shortUnicode('_metadata'), [0x7d, 0x75, 0x62],
      [0x75],
    );
    const root = unpickleStateDict(bytes, 'crafted') as PickleDict;
    expect([...root.items.keys()]).toEqual(['a', 'b', 'c']);
    expect(root.items.get('a')).toEqual([1, -2, 3.5]);
    expect((root.items.get('c') as PickleDict).attributes.has('_metadata')).toBe(true);
  });
});

describe('archive and storage checks', () => {
  it('refuses a truncated zip with a clear error and no partial result', () => {
    expect(() => openTensorFile(join(HOSTILE, 'truncated.pt'))).toThrow(/truncated or corrupt zip \(no end-of-central-directory record\)/);
  });

  it('names a storage record that is missing or of the wrong size', () => {
    const records = benignRecords();
    const missing = join(scratch, 'missing.pt');
    writeZip(missing, records.filter(([name]) => name !== 'benign/data/0'));
    expect(() => openTensorFile(missing)).toThrow(/refers to storage 0, but the archive has no record benign\/data\/0/);
    const short = join(scratch, 'short.pt');
    writeZip(short, records.map(([name, data]) => [name, name === 'benign/data/1' ? data.subarray(0, 8) : data]));
    expect(() => openTensorFile(short)).toThrow(/storage 1 of tensor "module\.convnet\.bn1\.weight" should hold 4 F32 values \(16 bytes\), but record benign\/data\/1 has 8 bytes/);
    const corrupt = join(scratch, 'corrupt.pt');
    writeZip(corrupt, records);
    const bytes = readFileSync(corrupt);
    bytes[bytes.indexOf('benign/data.pkl') + 'benign/data.pkl'.length + 3]! ^= 0xff; // a byte of the pickle
    writeFileSync(corrupt, bytes);
    expect(() => openTensorFile(corrupt)).toThrow(/record "benign\/data\.pkl" fails its CRC-32 check/);
  });

  it('a re-zipped copy of benign.pt loads like the original (the reader trusts the central directory only)', () => {
    const copy = join(scratch, 'copy.pt');
    writeZip(copy, benignRecords());
    const file = openTensorFile(copy);
    const original = openTensorFile(join(HOSTILE, 'benign.pt'));
    expect(file.readFloat32('module.convnet.conv1.weight').data).toEqual(original.readFloat32('module.convnet.conv1.weight').data);
    file.close();
    original.close();
  });

  it('refuses legacy (non-zip) pickles and files of other kinds with a clear message', () => {
    const legacy = join(scratch, 'legacy.pt');
    writeFileSync(legacy, proto2([0x7d]));
    expect(() => openTensorFile(legacy)).toThrow(/legacy \(non-zip\) PyTorch pickle; only the zip format .* is read/);
    const other = join(scratch, 'weights.npz.txt');
    writeFileSync(other, 'hello');
    expect(() => openTensorFile(other)).toThrow(/neither a zip PyTorch checkpoint/);
  });
});
