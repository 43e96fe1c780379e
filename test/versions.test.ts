/** The versions and CPU kind every result row records (run/versions.ts). */
import { arch } from 'node:os';
import { describe, expect, it } from 'vitest';
import { collectVersions, describeCpu } from '../src/run/versions.js';

describe('describeCpu', () => {
  it('names the model, the architecture, the widest SIMD level in the flags and the logical CPUs', () => {
    expect(describeCpu('AMD EPYC', 'fpu sse2 avx2 avx512f avx512bw', 2)).toBe(`AMD EPYC (${arch()}, avx512, 2 logical CPUs)`);
    expect(describeCpu('AMD EPYC', 'fpu sse2 avx avx2 fma', 2)).toBe(`AMD EPYC (${arch()}, avx2, 2 logical CPUs)`);
    // A flag only counts as a whole word: 'avx512_bf16'-like names do not make a CPU avx512.
    expect(describeCpu('Old', 'fpu sse2 sse4_1 avx512_fake', 1)).toBe(`Old (${arch()}, sse, 1 logical CPU)`);
    expect(describeCpu('Apple M2', null, 8)).toBe(`Apple M2 (${arch()}, 8 logical CPUs)`);
  });

  it('is recorded by collectVersions, the record every cell carries', () => {
    const versions = collectVersions('wasm');
    expect(versions.cpu).toBe(describeCpu());
    expect(versions.cpu).toMatch(/\(.+, \d+ logical CPUs?\)$/);
  });
});
