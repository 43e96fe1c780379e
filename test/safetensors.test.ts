import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_HEADER_BYTES, SafetensorsFile, readSafetensors, writeSafetensors } from '../src/encoders/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'safetensors-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A raw file: 8-byte length, the header text as given, then `data`. */
function rawFile(name: string, header: unknown, data: Uint8Array, headerLength?: bigint): string {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(headerLength ?? BigInt(text.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([length, text, data]));
  return path;
}

const openError = (path: string): string => {
  try {
    SafetensorsFile.open(path).close();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
};

describe('safetensors writer + reader', () => {
  it('round-trips float32 and uint8 tensors with metadata, 8-byte aligned', () => {
    const path = join(dir, 'roundtrip.safetensors');
    const a = Float32Array.from([1.5, -2, 3.25, 0, 1e-30, -7]);
    const frames = Uint8Array.from([0, 1, 2, 253, 254, 255]);
    writeSafetensors(path, [
      { name: 'a', dtype: 'F32', shape: [2, 3], data: a },
      { name: 'frames', dtype: 'U8', shape: [1, 1, 2, 3], data: frames },
    ], { format: 'pt' });
    const headerLength = Number(readFileSync(path).readBigUInt64LE(0));
    expect((8 + headerLength) % 8).toBe(0);
    const file = SafetensorsFile.open(path);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.readFloat32('a')).toEqual({ shape: [2, 3], data: a });
    expect(file.readUint8('frames').data).toEqual(frames);
    expect(() => file.readFloat32('frames')).toThrow(/dtype U8; only F32, F16 and BF16/);
    expect(() => file.readFloat32('nope')).toThrow(/no tensor named "nope"/);
    file.close();
    expect([...readSafetensors(path).tensors.keys()]).toEqual(['a']);
  });

  it('rejects a tensor whose data does not match its shape when writing', () => {
    expect(() => writeSafetensors(join(dir, 'bad.safetensors'), [{ name: 'x', dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }]))
      .toThrow(/"x" shape \[2,2\] does not match its 3 values/);
  });
});

describe('safetensors header validation', () => {
  it('reports a truncated file, naming the file and the tensor', () => {
    const path = join(dir, 'truncated.safetensors');
    writeSafetensors(path, [{ name: 'w', dtype: 'F32', shape: [4, 4], data: new Float32Array(16) }]);
    truncateSync(path, readFileSync(path).length - 4);
    const message = openError(path);
    expect(message).toContain(path);
    expect(message).toMatch(/tensor "w".*beyond the data section/);
    const tiny = join(dir, 'tiny.safetensors');
    writeFileSync(tiny, Buffer.from([1, 2, 3]));
    expect(openError(tiny)).toMatch(/shorter than the 8-byte header length/);
  });

  it('rejects an oversized header length and one past the end of the file', () => {
    expect(openError(rawFile('huge.safetensors', {}, new Uint8Array(0), BigInt(MAX_HEADER_BYTES) + 1n))).toMatch(/exceeds the 100000000-byte limit/);
    expect(openError(rawFile('past.safetensors', {}, new Uint8Array(0), 1000n))).toMatch(/runs past the end of the \d+-byte file/);
  });

  it('rejects malformed JSON and malformed entries', () => {
    expect(openError(rawFile('json.safetensors', '{"a": ', new Uint8Array(0)))).toMatch(/header is not valid JSON/);
    expect(openError(rawFile('array.safetensors', '[]', new Uint8Array(0)))).toMatch(/header must be a JSON object/);
    expect(openError(rawFile('dtype.safetensors', { x: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16))))
      .toMatch(/tensor "x": unknown dtype "F128"/);
    expect(openError(rawFile('shape.safetensors', { x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4))))
      .toMatch(/shape must be an array of non-negative integers/);
    expect(openError(rawFile('meta.safetensors', { __metadata__: { a: 1 } }, new Uint8Array(0)))).toMatch(/__metadata__.a must be a string/);
  });

  it('rejects overlapping tensors', () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    expect(openError(rawFile('overlap.safetensors', header, new Uint8Array(12)))).toMatch(/tensors "a" and "b" overlap/);
  });

  it('rejects a dtype/shape that disagrees with the byte length', () => {
    const header = { a: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } };
    expect(openError(rawFile('mismatch.safetensors', header, new Uint8Array(8)))).toMatch(/F16 \[3\] needs 6 bytes but data_offsets span 8/);
  });

  it('accepts non-float tensors in the header (int64 buffers) but refuses to read them as float', () => {
    const path = rawFile('i64.safetensors', { ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array(16));
    const file = SafetensorsFile.open(path);
    expect(() => file.readFloat32('ids')).toThrow(/dtype I64/);
    file.close();
  });
});

describe('safetensors half-precision conversion', () => {
  it('converts F16 (normal, subnormal, inf, NaN) and BF16 to float32', () => {
    const f16 = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x7e00, 0x8000]);
    const bf16 = Uint16Array.from([0x3f80, 0xc020, 0x4049, 0x0000, 0xff80]);
    const data = new Uint8Array(f16.byteLength + bf16.byteLength);
    data.set(new Uint8Array(f16.buffer), 0);
    data.set(new Uint8Array(bf16.buffer), f16.byteLength);
    const header = {
      h: { dtype: 'F16', shape: [9], data_offsets: [0, f16.byteLength] },
      b: { dtype: 'BF16', shape: [5], data_offsets: [f16.byteLength, data.length] },
    };
    const file = SafetensorsFile.open(rawFile('halves.safetensors', header, data));
    expect([...file.readFloat32('h').data]).toEqual([1, -2, 0.5, 65504, 2 ** -24, Infinity, -Infinity, NaN, -0]);
    expect([...file.readFloat32('b').data]).toEqual([1, -2.5, 3.140625, 0, -Infinity]);
    file.close();
  });
});
