/**
 * Parity of theia:/hf: encoders with the upstream Python references in test/fixtures (see their README.md files):
 * pixel_values bit-exact, every output within 2e-5 abs (the brief's bar is 1e-4; float32 noise is ~5e-6, and a
 * tanh-approximated GELU would move outputs by ~5e-5). Actual max differences are printed.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { FrameBatch } from '../src/encoders/encoder.js';
import { CheckpointSession, loadCheckpoint, loadCheckpointEncoder } from '../src/encoders/hf/index.js';
import { runEncode } from '../src/cli/commands/encode.js';
import { describeEncoder } from '../src/cli/commands/encoders.js';
import { SafetensorsFile, writeSafetensors, type WritableTensor } from '../src/encoders/safetensors.js';
import { THEIA_TEACHERS, writeRandomTheiaCheckpoint } from './helpers/theia_checkpoint.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const TOLERANCE = 2e-5;
const scratch = mkdtempSync(join(tmpdir(), 'parity-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function frames(folder: string, file: string, side: number): FrameBatch {
  return { data: new Uint8Array(readFileSync(join(FIXTURES, folder, file))), n: 2, height: side, width: side };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

interface ParityCase {
  kind: 'theia' | 'hf';
  folder: string;
  input: string;
  side: number;
  expected: string;
  /** expected tensor name -> encoder output name */
  outputs: Record<string, string>;
  /** where pixel_values are stored, when not in `expected` */
  pixelValuesFrom?: string;
}

const theiaOutputs = {
  spatial: 'spatial',
  cls: 'cls',
  'translator.facebook/dinov2-large': 'translator.facebook/dinov2-large',
  'translator.facebook/sam-vit-huge': 'translator.facebook/sam-vit-huge',
};
const hfOutputs = { last_hidden_state: 'tokens', pooler_output: 'pooled' };
const CASES: ParityCase[] = [
  { kind: 'theia', folder: 'theia-micro', input: 'input.bin', side: 224, expected: 'expected.safetensors', outputs: theiaOutputs },
  { kind: 'theia', folder: 'theia-micro', input: 'input256.bin', side: 256, expected: 'expected256.safetensors', outputs: theiaOutputs },
  { kind: 'hf', folder: 'vit-micro', input: 'input.bin', side: 224, expected: 'expected.safetensors', outputs: hfOutputs },
  { kind: 'hf', folder: 'clip-vision-micro', input: 'input.bin', side: 224, expected: 'expected.safetensors', outputs: hfOutputs },
  // transformers >= 4.45 position-embedding interpolation (size=(g, g)); see the DINOv2 fixture README.
  {
    kind: 'hf', folder: 'dinov2-micro', input: 'input.bin', side: 224, expected: 'expected_hf_ge_4_45.safetensors',
    outputs: hfOutputs, pixelValuesFrom: 'expected.safetensors',
  },
];

describe('parity with upstream references', () => {
  for (const c of CASES) {
    it(`${c.kind}:${c.folder} ${c.input}`, async () => {
      const session = await CheckpointSession.create(c.kind, join(FIXTURES, c.folder), { threads: 1 });
      try {
        const names = [...new Set(Object.values(c.outputs)), 'pixel_values'];
        const results = await session.run(frames(c.folder, c.input, c.side), names);
        const expected = SafetensorsFile.open(join(FIXTURES, c.folder, c.expected));
        const pixelFile = SafetensorsFile.open(join(FIXTURES, c.folder, c.pixelValuesFrom ?? c.expected));
        const pixels = pixelFile.readFloat32('pixel_values');
        expect(results.get('pixel_values')!.shape).toEqual(pixels.shape);
        const diffs: Record<string, number> = { pixel_values: maxAbsDiff(results.get('pixel_values')!.data, pixels.data) };
        expect(diffs.pixel_values).toBe(0);
        for (const [expectedName, outputName] of Object.entries(c.outputs)) {
          const reference = expected.readFloat32(expectedName);
          expect(results.get(outputName)!.shape).toEqual(reference.shape);
          diffs[expectedName] = maxAbsDiff(results.get(outputName)!.data, reference.data);
        }
        console.log(`parity ${c.folder}/${c.expected}: ${Object.entries(diffs).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
        for (const [name, diff] of Object.entries(diffs)) expect(diff, name).toBeLessThanOrEqual(TOLERANCE);
        expected.close();
        pixelFile.close();
      } finally {
        await session.dispose();
      }
    });
  }

  it('DINOv2 follows transformers >= 4.45, not the 4.41 interpolation', async () => {
    const session = await CheckpointSession.create('hf', join(FIXTURES, 'dinov2-micro'), { threads: 1 });
    const tokens = (await session.run(frames('dinov2-micro', 'input.bin', 224), ['tokens'])).get('tokens')!;
    await session.dispose();
    const old = SafetensorsFile.open(join(FIXTURES, 'dinov2-micro', 'expected.safetensors')).readFloat32('last_hidden_state');
    expect(maxAbsDiff(tokens.data, old.data)).toBeGreaterThan(0.05);
  });
});

describe('checkpoint specs', () => {
  it('reads architecture and sizes from config and weights', () => {
    const theia = loadCheckpoint('theia', join(FIXTURES, 'theia-micro')).spec;
    expect(theia).toMatchObject({ family: 'theia', imageSize: 224, patchSize: 16, hiddenSize: 64, numLayers: 2, numHeads: 2, mlpSize: 256, layerNormEps: 1e-12, pooled: 'cls', finalNorm: 'all' });
    expect(theia.translators).toEqual([
      { teacherId: 'facebook/dinov2-large', targetShape: [96, 16, 16] },
      { teacherId: 'facebook/sam-vit-huge', targetShape: [32, 64, 64] },
    ]);
    expect(loadCheckpoint('hf', join(FIXTURES, 'vit-micro')).spec).toMatchObject({ family: 'vit', pooled: 'dense_tanh', posGrid: 14 });
    expect(loadCheckpoint('hf', join(FIXTURES, 'dinov2-micro')).spec).toMatchObject({ family: 'dinov2', layerScale: true, posGrid: 37, imageSize: 224, layerNormEps: 1e-6 });
    expect(loadCheckpoint('hf', join(FIXTURES, 'clip-vision-micro')).spec).toMatchObject({ family: 'clip', preNorm: true, patchBias: false, finalNorm: 'cls', activation: 'quick_gelu' });
  });

  /** A copy of a fixture folder whose model.safetensors is rewritten by `edit`. */
  function editedCopy(folder: string, name: string, edit: (tensors: WritableTensor[]) => WritableTensor[], config?: (c: Record<string, unknown>) => void): string {
    const dir = join(scratch, name);
    mkdirSync(dir, { recursive: true });
    for (const f of ['config.json', 'preprocessor_config.json']) copyFileSync(join(FIXTURES, folder, f), join(dir, f));
    if (config) {
      const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      config(c);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
    }
    const file = SafetensorsFile.open(join(FIXTURES, folder, 'model.safetensors'));
    const tensors: WritableTensor[] = file.names().map((n) => ({ name: n, dtype: 'F32', ...file.readFloat32(n) }));
    file.close();
    writeSafetensors(join(dir, 'model.safetensors'), edit(tensors));
    return dir;
  }

  it('names missing, unexpected and mis-shaped tensors', () => {
    const dir = editedCopy('vit-micro', 'vit-broken', (tensors) => [
      ...tensors.filter((t) => t.name !== 'encoder.layer.1.output.dense.bias').map((t) =>
        t.name === 'layernorm.weight' ? { ...t, shape: [8, 8] } : t),
      { name: 'encoder.layer.0.surprise', dtype: 'F32', shape: [1], data: new Float32Array(1) },
    ]);
    expect(() => loadCheckpoint('hf', dir)).toThrow(
      /missing tensors: encoder\.layer\.1\.output\.dense\.bias \[64\]; mis-shaped tensors: layernorm\.weight is \[8,8\], expected \[64\]; unexpected tensors: encoder\.layer\.0\.surprise/,
    );
  });

  it('accepts the `vit.` prefix and classifier heads of hub classification checkpoints', () => {
    const dir = editedCopy('vit-micro', 'vit-prefixed', (tensors) => [
      ...tensors.map((t) => ({ ...t, name: `vit.${t.name}` })),
      { name: 'classifier.weight', dtype: 'F32', shape: [10, 64], data: new Float32Array(640) },
    ], (c) => { c.architectures = ['ViTForImageClassification']; });
    const loaded = loadCheckpoint('hf', dir);
    expect(loaded.architecture).toBe('ViTForImageClassification');
    expect(loaded.weights.get('pooler.weight')?.shape).toEqual([64, 64]);
  });

  it("finds translator heads of teacher ids containing '.' under the '_' key the checkpoint uses", () => {
    const oldId = 'facebook/dinov2-large';
    const newId = 'facebook/dinov2-large.v2';
    const dir = editedCopy('theia-micro', 'theia-dotted', (tensors) => tensors.map((t) => ({
      ...t, name: t.name.replace(`heads.${oldId}.`, 'heads.facebook/dinov2-large_v2.'),
    })), (c) => {
      const sizes = c.target_feature_sizes as Record<string, unknown>;
      c.target_feature_sizes = { [newId]: sizes[oldId], 'facebook/sam-vit-huge': sizes['facebook/sam-vit-huge'] };
    });
    const loaded = loadCheckpoint('theia', dir);
    expect(loaded.spec.translators.map((t) => t.teacherId)).toEqual([newId, 'facebook/sam-vit-huge']);
    expect(loaded.weights.get(`translators.${newId}.adapter.8.weight`)?.shape).toEqual([96, 64]);
  });

  it('rejects unsupported architectures, listing the supported ones', () => {
    const dir = editedCopy('vit-micro', 'swin', (t) => t, (c) => { c.architectures = ['SwinModel']; c.model_type = 'swin'; });
    expect(() => loadCheckpoint('hf', dir)).toThrow(/architectures \["SwinModel"\] is not supported \(supported: ViTModel, .*Dinov2Model.*CLIPVisionModel/);
    expect(() => loadCheckpoint('theia', join(FIXTURES, 'vit-micro'))).toThrow(/not a Theia config/);
  });
});

describe('runEncode and describeEncoder', () => {
  it('writes the requested outputs from a safetensors frames file and from a directory of PNGs', async () => {
    const batch = frames('theia-micro', 'input256.bin', 256);
    const framesFile = join(scratch, 'frames.safetensors');
    writeSafetensors(framesFile, [{ name: 'frames', dtype: 'U8', shape: [2, 256, 256, 3], data: batch.data }]);
    const pngDir = join(scratch, 'pngs');
    mkdirSync(pngDir, { recursive: true });
    for (let i = 0; i < 2; i++) {
      const png = new PNG({ width: 256, height: 256 });
      for (let p = 0; p < 256 * 256; p++) {
        for (let ch = 0; ch < 3; ch++) png.data[p * 4 + ch] = batch.data[(i * 256 * 256 + p) * 3 + ch]!;
        png.data[p * 4 + 3] = 255;
      }
      writeFileSync(join(pngDir, `frame_${i}.png`), PNG.sync.write(png));
    }
    const outputs = ['spatial', 'cls', 'translator.facebook/sam-vit-huge', 'pixel_values'];
    const spec = `theia:${join(FIXTURES, 'theia-micro')}`;
    const fromFile = join(scratch, 'from_file.safetensors');
    const fromPngs = join(scratch, 'from_pngs.safetensors');
    expect(await runEncode({ encoder: spec, frames: framesFile, out: fromFile, outputs, threads: 1 })).toMatch(/spatial \[2, 196, 64\]/);
    await runEncode({ encoder: spec, frames: pngDir, out: fromPngs, outputs, threads: 1 });
    const expected = SafetensorsFile.open(join(FIXTURES, 'theia-micro', 'expected256.safetensors'));
    for (const path of [fromFile, fromPngs]) {
      const written = SafetensorsFile.open(path);
      expect(written.names()).toEqual(outputs);
      expect(written.metadata).toMatchObject({ encoder: spec, frames: '2' });
      expect(written.metadata.checkpoint_digest).toMatch(/^[0-9a-f]{64}$/);
      for (const name of outputs) expect(maxAbsDiff(written.readFloat32(name).data, expected.readFloat32(name).data)).toBeLessThanOrEqual(TOLERANCE);
      written.close();
    }
    await expect(runEncode({ encoder: spec, frames: framesFile, out: fromFile, outputs: ['nope'] })).rejects.toThrow(/unknown output\(s\) nope \(available: spatial, cls, pooled, tokens, pixel_values, translator/);
  });

  it('describes a checkpoint encoder and serves it through the Encoder interface', async () => {
    const description = await describeEncoder(`hf:${join(FIXTURES, 'clip-vision-micro')}`);
    expect(description).toMatchObject({ family: 'clip', inputSize: 224, parameterCount: 154368, outputs: { pooled: [64], spatial: [256, 64] } });
    expect(description.digest).toMatch(/^[0-9a-f]{64}$/);
    const encoder = await loadCheckpointEncoder('theia', join(FIXTURES, 'theia-micro'), { threads: 1 });
    expect(encoder.info.digest).toBe((await describeEncoder(`theia:${join(FIXTURES, 'theia-micro')}`)).digest);
    expect(encoder.info).toMatchObject({ inputSize: 224, pooledDim: 64, spatial: { tokens: 196, channels: 64, grid: 14 }, normalisation: { mean: [0.5, 0.5, 0.5] } });
    const encoded = await encoder.encode(frames('theia-micro', 'input.bin', 224), { spatial: true });
    await encoder.dispose();
    const expected = SafetensorsFile.open(join(FIXTURES, 'theia-micro', 'expected.safetensors'));
    expect(maxAbsDiff(encoded.spatial!, expected.readFloat32('spatial').data)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(encoded.pooled, expected.readFloat32('cls').data)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('full-size Theia-tiny with all five teachers', () => {
  it('loads from a hub-shaped config (sizes from the weights) and runs through runEncode', async () => {
    const dir = join(scratch, 'theia-tiny-cddsv');
    const parameters = writeRandomTheiaCheckpoint(dir, { size: 'tiny', teachers: THEIA_TEACHERS, seed: 7 });
    const loaded = loadCheckpoint('theia', dir);
    expect(loaded.spec).toMatchObject({ hiddenSize: 192, numHeads: 3, numLayers: 12, mlpSize: 768, patchSize: 16, imageSize: 224 });
    expect(loaded.spec.translators.map((t) => t.teacherId)).toEqual(Object.keys(THEIA_TEACHERS));
    const framesFile = join(scratch, 'tiny_frames.safetensors');
    const data = new Uint8Array(240 * 320 * 3).map((_, i) => (i * 7) % 251);
    writeSafetensors(framesFile, [{ name: 'frames', dtype: 'U8', shape: [1, 240, 320, 3], data }]);
    const out = join(scratch, 'tiny_out.safetensors');
    const outputs = ['spatial', 'cls', ...Object.keys(THEIA_TEACHERS).map((t) => `translator.${t}`)];
    await runEncode({ encoder: `theia:${dir}`, frames: framesFile, out, outputs, threads: 2 });
    const written = SafetensorsFile.open(out);
    expect(written.entry('spatial').shape).toEqual([1, 196, 192]);
    for (const [teacher, [c, h, w]] of Object.entries(THEIA_TEACHERS)) {
      const t = written.readFloat32(`translator.${teacher}`);
      expect(t.shape).toEqual([1, h * w, c]);
      expect(t.data.every(Number.isFinite)).toBe(true);
    }
    written.close();
    const description = await describeEncoder(`theia:${dir}`);
    expect(description.parameterCount).toBe(parameters);
  }, 120_000);
});
