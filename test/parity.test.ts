/**
 * Parity of checkpoint encoders (theia:, hf:, r3m:, vc1:) with the upstream Python references in test/fixtures (see
 * their README.md files): pixel_values bit-exact, every output within 2e-5 abs, or within 1e-5 of the largest
 * reference value for the tensors whose README says their float32 noise is larger (R3M's features, Depth-Anything's
 * Theia target). float32 noise is ~5e-6, and a tanh-approximated GELU would move outputs by ~5e-5. Actual max
 * differences are printed.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointSession } from '../src/encoders/checkpoint_session.js';
import type { FrameBatch } from '../src/encoders/encoder.js';
import { checkpointDigest, createModelEncoder, type EncoderModel } from '../src/encoders/encoder_model.js';
import { loadCheckpoint } from '../src/encoders/hf/checkpoint.js';
import { runEncode } from '../src/cli/commands/encode.js';
import { describeEncoder } from '../src/cli/commands/encoders.js';
import { isCheckpointSpec, loadCheckpointModel, parseEncoderSpec } from '../src/encoders/registry.js';
import { SafetensorsFile, writeSafetensors, type WritableTensor } from '../src/encoders/safetensors.js';
import type { VitSpec } from '../src/encoders/vit_spec.js';
import { resizePositionEmbeddings } from '../src/encoders/onnx/pos_embed.js';
import { THEIA_TEACHERS, writeRandomTheiaCheckpoint } from './helpers/theia_checkpoint.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const TOLERANCE = 2e-5;
const RELATIVE_TOLERANCE = 1e-5;
const scratch = mkdtempSync(join(tmpdir(), 'parity-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The fixtures' two 224x224 "variant A" images (one copy, in vit-micro; every v3 folder uses the same file). */
const VARIANT_A = join(FIXTURES, 'vit-micro', 'input.bin');

function frames(path: string, side: number): FrameBatch {
  return { data: new Uint8Array(readFileSync(path)), n: 2, height: side, width: side };
}

/** The 224 images centred in 256x256 frames: Resize(256) is then the identity and CenterCrop(224) gives them back. */
function padTo256(batch: FrameBatch): FrameBatch {
  const data = new Uint8Array(2 * 256 * 256 * 3);
  for (let i = 0; i < 2; i++) {
    for (let y = 0; y < 224; y++) data.set(batch.data.subarray((i * 224 + y) * 224 * 3, (i * 224 + y + 1) * 224 * 3), ((i * 256 + y + 16) * 256 + 16) * 3);
  }
  return { data, n: 2, height: 256, width: 256 };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

const maxAbs = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

const sha256 = (a: Float32Array): string => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

async function model(text: string): Promise<EncoderModel> {
  const spec = parseEncoderSpec(text);
  if (!isCheckpointSpec(spec)) throw new Error(`${text} is not a checkpoint spec`);
  return loadCheckpointModel(spec);
}

function vitSpec(m: EncoderModel): VitSpec {
  if (!('translators' in m.spec)) throw new Error(`${m.id} is not a ViT-family model`);
  return m.spec;
}

interface ParityCase {
  spec: string;
  folder: string;
  frames: FrameBatch;
  expected: string;
  /** expected tensor name -> encoder output name */
  outputs: Record<string, string>;
  /** expected tensors compared with a bar relative to their largest value: name -> fraction (default 1e-5) */
  relative?: Record<string, number>;
  /** where pixel_values are stored, when not in `expected` ('sha256': only their hash, in the metadata) */
  pixelValuesFrom?: string;
}

const fixture = (folder: string): string => join(FIXTURES, folder);
const theiaOutputs = {
  spatial: 'spatial',
  cls: 'cls',
  'translator.facebook/dinov2-large': 'translator.facebook/dinov2-large',
  'translator.facebook/sam-vit-huge': 'translator.facebook/sam-vit-huge',
};
const hfOutputs = { last_hidden_state: 'tokens', pooler_output: 'pooled' };
const r3mCase = (file: string): ParityCase => ({
  spec: `r3m:${join(fixture('r3m-resnet-micro'), file)}`, folder: 'r3m-resnet-micro', frames: padTo256(frames(VARIANT_A, 224)), expected: 'expected.safetensors',
  outputs: { features: 'pooled', layer4: 'feature_map' }, relative: { features: RELATIVE_TOLERANCE, layer4: RELATIVE_TOLERANCE },
});
const vc1Case = (file: string): ParityCase => ({
  spec: `vc1:${join(fixture('vc1-mae-vit-micro'), file)}`, folder: 'vc1-mae-vit-micro', frames: frames(VARIANT_A, 224), expected: 'expected.safetensors',
  outputs: { embedding: 'pooled', last_hidden_state: 'tokens' },
});
const CASES: ParityCase[] = [
  { spec: `theia:${fixture('theia-micro')}`, folder: 'theia-micro', frames: frames(join(fixture('theia-micro'), 'input.bin'), 224), expected: 'expected.safetensors', outputs: theiaOutputs },
  { spec: `theia:${fixture('theia-micro')}`, folder: 'theia-micro', frames: frames(join(fixture('theia-micro'), 'input256.bin'), 256), expected: 'expected256.safetensors', outputs: theiaOutputs },
  { spec: `hf:${fixture('vit-micro')}`, folder: 'vit-micro', frames: frames(VARIANT_A, 224), expected: 'expected.safetensors', outputs: hfOutputs },
  { spec: `hf:${fixture('clip-vision-micro')}`, folder: 'clip-vision-micro', frames: frames(VARIANT_A, 224), expected: 'expected.safetensors', outputs: hfOutputs },
  // transformers >= 4.45 position-embedding interpolation (size=(g, g)); see the DINOv2 fixture README.
  {
    spec: `hf:${fixture('dinov2-micro')}`, folder: 'dinov2-micro', frames: frames(VARIANT_A, 224), expected: 'expected_hf_ge_4_45.safetensors',
    outputs: hfOutputs, pixelValuesFrom: 'expected.safetensors',
  },
  {
    spec: `hf:${fixture('deit-distilled-micro')}`, folder: 'deit-distilled-micro', frames: frames(VARIANT_A, 224), expected: 'expected.safetensors',
    outputs: { last_hidden_state: 'tokens', cls: 'cls', distillation: 'distillation', spatial: 'spatial' },
  },
  {
    spec: `hf:${fixture('dinov2-reg-micro')}`, folder: 'dinov2-reg-micro', frames: frames(VARIANT_A, 224), expected: 'expected.safetensors',
    outputs: { last_hidden_state: 'tokens', pooler_output: 'pooled', registers: 'registers', spatial: 'spatial' },
  },
  {
    spec: `hf:${fixture('sam-vision-micro')}`, folder: 'sam-vision-micro', frames: frames(VARIANT_A, 224), expected: 'expected.safetensors',
    outputs: { image_embeddings: 'image_embeddings', 'vision_hidden_states.2': 'hidden_states' },
  },
  {
    spec: `hf:${fixture('depth-anything-micro')}`, folder: 'depth-anything-micro', frames: frames(VARIANT_A, 224), expected: 'expected.safetensors',
    outputs: { last_hidden_state: 'tokens', predicted_depth: 'predicted_depth', head_feature_64: 'theia_target' },
    relative: { head_feature_64: RELATIVE_TOLERANCE }, pixelValuesFrom: 'sha256',
  },
  r3mCase('model.pt'),
  r3mCase('model.safetensors'),
  vc1Case('model.pth'),
  vc1Case('model.safetensors'),
];

/** Every output of every case, kept to compare .pt/.pth with .safetensors copies. */
const results = new Map<string, Map<string, Float32Array>>();

describe('parity with upstream references', () => {
  for (const c of CASES) {
    it(`${c.spec.replace(FIXTURES, 'fixtures')} (${c.expected})`, async () => {
      const session = await CheckpointSession.create(await model(c.spec), { threads: 1 });
      try {
        const names = [...new Set(Object.values(c.outputs)), 'pixel_values'];
        const outputs = await session.run(c.frames, names);
        results.set(c.spec, new Map([...outputs].map(([k, v]) => [k, v.data])));
        const expected = SafetensorsFile.open(join(fixture(c.folder), c.expected));
        const pixels = outputs.get('pixel_values')!;
        const diffs: Record<string, number> = {};
        if (c.pixelValuesFrom === 'sha256') {
          expect(JSON.stringify(pixels.shape)).toBe(expected.metadata.pixel_values_shape);
          expect(sha256(pixels.data), 'pixel_values sha256').toBe(expected.metadata.pixel_values_sha256);
        } else {
          const pixelFile = SafetensorsFile.open(join(fixture(c.folder), c.pixelValuesFrom ?? c.expected));
          const reference = pixelFile.readFloat32('pixel_values');
          pixelFile.close();
          expect(pixels.shape).toEqual(reference.shape);
          diffs.pixel_values = maxAbsDiff(pixels.data, reference.data);
          expect(diffs.pixel_values).toBe(0);
        }
        const bars: Record<string, number> = {};
        for (const [expectedName, outputName] of Object.entries(c.outputs)) {
          const reference = expected.readFloat32(expectedName);
          expect(outputs.get(outputName)!.shape).toEqual(reference.shape);
          diffs[expectedName] = maxAbsDiff(outputs.get(outputName)!.data, reference.data);
          const relative = c.relative?.[expectedName];
          bars[expectedName] = relative === undefined ? TOLERANCE : relative * maxAbs(reference.data);
        }
        expected.close();
        console.log(`parity ${c.spec.replace(FIXTURES, 'fixtures')} / ${c.expected}: ${Object.entries(diffs).map(([k, v]) => `${k} ${v.toExponential(2)}${bars[k] && bars[k] !== TOLERANCE ? ` (bar ${bars[k]!.toExponential(2)})` : ''}`).join(', ')}`);
        for (const [name, diff] of Object.entries(diffs)) expect(diff, name).toBeLessThanOrEqual(bars[name] ?? TOLERANCE);
      } finally {
        await session.dispose();
      }
    });
  }

  it('.pt / .pth and .safetensors copies of the same weights give identical outputs and digests', async () => {
    for (const [torch, safetensors] of [['r3m-resnet-micro/model.pt', 'r3m-resnet-micro/model.safetensors'], ['vc1-mae-vit-micro/model.pth', 'vc1-mae-vit-micro/model.safetensors']] as const) {
      const form = torch.startsWith('r3m') ? 'r3m' : 'vc1';
      const a = results.get(`${form}:${join(FIXTURES, torch)}`)!;
      const b = results.get(`${form}:${join(FIXTURES, safetensors)}`)!;
      expect([...a.keys()]).toEqual([...b.keys()]);
      const bytes = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      for (const [name, values] of a) expect(bytes(values).equals(bytes(b.get(name)!)), `${torch} ${name}`).toBe(true);
      const digest = async (file: string): Promise<string> => checkpointDigest(await model(`${form}:${join(FIXTURES, file)}`));
      expect(await digest(torch)).toBe(await digest(safetensors));
    }
  });

  it('DINOv2 follows transformers >= 4.45, not the 4.41 interpolation', async () => {
    const session = await CheckpointSession.create(await model(`hf:${fixture('dinov2-micro')}`), { threads: 1 });
    const tokens = (await session.run(frames(VARIANT_A, 224), ['tokens'])).get('tokens')!;
    await session.dispose();
    const old = SafetensorsFile.open(join(FIXTURES, 'dinov2-micro', 'expected.safetensors')).readFloat32('last_hidden_state');
    expect(maxAbsDiff(tokens.data, old.data)).toBeGreaterThan(0.05);
  });
});

describe('checkpoint specs', () => {
  it('reads architecture and sizes from config and weights', () => {
    const theia = vitSpec(loadCheckpoint('theia', join(FIXTURES, 'theia-micro')));
    expect(theia).toMatchObject({ family: 'theia', imageSize: 224, patchSize: 16, hiddenSize: 64, numLayers: 2, numHeads: 2, mlpSize: 256, layerNormEps: 1e-12, pooled: 'cls', finalNorm: 'all' });
    expect(theia.translators).toEqual([
      { teacherId: 'facebook/dinov2-large', targetShape: [96, 16, 16] },
      { teacherId: 'facebook/sam-vit-huge', targetShape: [32, 64, 64] },
    ]);
    expect(loadCheckpoint('hf', join(FIXTURES, 'vit-micro')).spec).toMatchObject({ family: 'vit', pooled: 'dense_tanh', posGrid: 14 });
    expect(loadCheckpoint('hf', join(FIXTURES, 'dinov2-micro')).spec).toMatchObject({ family: 'dinov2', layerScale: true, posGrid: 37, imageSize: 224, layerNormEps: 1e-6 });
    expect(loadCheckpoint('hf', join(FIXTURES, 'clip-vision-micro')).spec).toMatchObject({ family: 'clip', preNorm: true, patchBias: false, finalNorm: 'cls', activation: 'quick_gelu' });
  });

  it('reads the new families: token layouts, windows, stages, block layouts and head counts', async () => {
    expect(vitSpec(loadCheckpoint('hf', fixture('deit-distilled-micro')))).toMatchObject({ family: 'deit', distillationToken: true, registerTokens: 0, posGrid: 14, pooled: 'cls' });
    expect(vitSpec(loadCheckpoint('hf', fixture('dinov2-reg-micro')))).toMatchObject({ family: 'dinov2', registerTokens: 4, posInterpolation: 'bicubic_antialias', posGrid: 37 });
    const sam = loadCheckpoint('hf', fixture('sam-vision-micro'));
    expect(sam.spec).toMatchObject({ family: 'sam', imageSize: 256, windowSize: 6, globalLayers: [1], numHeads: 2, neckChannels: 32 });
    expect(Object.fromEntries(sam.outputs)).toMatchObject({ image_embeddings: [32, 16, 16], spatial: [256, 32], pooled: [32] });
    const depth = loadCheckpoint('hf', fixture('depth-anything-micro'));
    expect(depth.spec).toMatchObject({ family: 'depth_anything', stageLayers: [0, 1, 2, 3], reassembleFactors: [4, 2, 1, 0.5], neckHiddenSizes: [8, 16, 32, 64], fusionHiddenSize: 16, headHiddenSize: 32 });
    expect([...depth.headOutputs]).toEqual(['predicted_depth', 'theia_target']);
    const r3m = await model(`r3m:${fixture('r3m-resnet-micro')}`);
    expect(r3m.spec).toMatchObject({ family: 'r3m', block: 'basic', stemChannels: 8, stages: [{ blocks: 1, planes: 8, stride: 1 }, { blocks: 1, planes: 16, stride: 2 }, { blocks: 1, planes: 32, stride: 2 }, { blocks: 1, planes: 64, stride: 2 }] });
    expect(r3m.architecture).toBe('R3M ResNet-10');
    // The head count is not in the weights: the fixture's config.json gives 2.
    expect(vitSpec(await model(`vc1:${fixture('vc1-mae-vit-micro')}`))).toMatchObject({ family: 'vc1', numHeads: 2, hiddenSize: 64, layerNormEps: 1e-6 });
  });

  it('DINOv2 with registers resizes position embeddings with antialiased bicubic (upstream table)', () => {
    const stored = loadCheckpoint('hf', fixture('dinov2-reg-micro')).weights.get('embed.pos')!;
    const expected = SafetensorsFile.open(join(fixture('dinov2-reg-micro'), 'debug_pos_embed.safetensors')).readFloat32('interpolated_position_embeddings');
    const resized = resizePositionEmbeddings(stored, 16, 'bicubic_antialias');
    expect([1, ...resized.shape]).toEqual(expected.shape);
    expect(maxAbsDiff(resized.data, expected.data)).toBeLessThan(1e-6);
    expect(maxAbsDiff(resizePositionEmbeddings(stored, 16, 'bicubic').data, expected.data)).toBeGreaterThan(0.01);
  });

  it('SAM takes frames of any shape (longest side resized, then padded); Depth-Anything needs square ones', async () => {
    const sam = await CheckpointSession.create(loadCheckpoint('hf', fixture('sam-vision-micro')), { threads: 1 });
    const wide = await sam.run({ data: new Uint8Array(1 * 48 * 96 * 3).fill(90), n: 1, height: 48, width: 96 }, ['pooled', 'pixel_values']);
    expect(wide.get('pooled')!.shape).toEqual([1, 32]);
    expect(wide.get('pixel_values')!.data[200 * 256]).toBe(0); // below the 128-row image: padding
    await sam.dispose();
    const depth = await CheckpointSession.create(loadCheckpoint('hf', fixture('depth-anything-micro')), { threads: 1 });
    await expect(depth.run({ data: new Uint8Array(48 * 96 * 3), n: 1, height: 48, width: 96 }, ['pooled'])).rejects.toThrow(
      /turns 96x48 frames into 518x252 images, but the graph is built for 518x518; .* the frames must be square/,
    );
    await depth.dispose();
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
    expect(vitSpec(loaded).translators.map((t) => t.teacherId)).toEqual([newId, 'facebook/sam-vit-huge']);
    expect(loaded.headWeights.get(`translators.${newId}.adapter.8.weight`)?.shape).toEqual([96, 64]);
  });

  it('SAM: global/windowed layers from the config must fit the relative-position tables', () => {
    const dir = editedCopy('sam-vision-micro', 'sam-wrong-globals', (t) => t, (c) => { (c.vision_config as Record<string, unknown>).global_attn_indexes = [0]; });
    expect(() => loadCheckpoint('hf', dir)).toThrow(/layer 0 is global \(grid 16\) by the config, so its rel_pos tables need 31 rows, but .*rel_pos_h has 11/);
  });

  it('rejects unsupported architectures, listing the supported ones', () => {
    const dir = editedCopy('vit-micro', 'swin', (t) => t, (c) => { c.architectures = ['SwinModel']; c.model_type = 'swin'; });
    expect(() => loadCheckpoint('hf', dir)).toThrow(/architectures \["SwinModel"\] is not supported \(supported: ViTModel, .*Dinov2Model.*CLIPVisionModel/);
    expect(() => loadCheckpoint('theia', join(FIXTURES, 'vit-micro'))).toThrow(/not a Theia config/);
  });
});

describe('runEncode and describeEncoder', () => {
  it('writes the requested outputs from a safetensors frames file and from a directory of PNGs', async () => {
    const batch = frames(join(fixture('theia-micro'), 'input256.bin'), 256);
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
    await expect(runEncode({ encoder: spec, frames: framesFile, out: fromFile, outputs: ['nope'] })).rejects.toThrow(/unknown output\(s\) nope \(available: spatial, cls, pooled, tokens, translator\..*, pixel_values\)/);
  });

  it("writes Depth-Anything's Theia teacher feature as a named output", async () => {
    const framesFile = join(scratch, 'variant_a.safetensors');
    writeSafetensors(framesFile, [{ name: 'frames', dtype: 'U8', shape: [2, 224, 224, 3], data: frames(VARIANT_A, 224).data }]);
    const out = join(scratch, 'theia_target.safetensors');
    const spec = `hf:${fixture('depth-anything-micro')}`;
    expect(await runEncode({ encoder: spec, frames: framesFile, out, outputs: ['theia_target'], threads: 1 })).toMatch(/theia_target \[2, 32, 64, 64\]/);
    const written = SafetensorsFile.open(out).readFloat32('theia_target');
    const reference = SafetensorsFile.open(join(fixture('depth-anything-micro'), 'expected.safetensors')).readFloat32('head_feature_64');
    expect(maxAbsDiff(written.data, reference.data)).toBeLessThanOrEqual(RELATIVE_TOLERANCE * maxAbs(reference.data));
    const description = await describeEncoder(spec);
    expect(description).toMatchObject({ family: 'depth_anything', inputSize: 518, outputs: { theia_target: [32, 64, 64], predicted_depth: [518, 518], spatial: [1369, 64] } });
  });

  it('describes a checkpoint encoder and serves it through the Encoder interface', async () => {
    const description = await describeEncoder(`hf:${join(FIXTURES, 'clip-vision-micro')}`);
    expect(description).toMatchObject({ family: 'clip', inputSize: 224, parameterCount: 154368, outputs: { pooled: [64], spatial: [256, 64] } });
    expect(description.digest).toMatch(/^[0-9a-f]{64}$/);
    const encoder = await createModelEncoder(loadCheckpoint('theia', join(FIXTURES, 'theia-micro')), { threads: 1 });
    expect(encoder.info.digest).toBe((await describeEncoder(`theia:${join(FIXTURES, 'theia-micro')}`)).digest);
    expect(encoder.info).toMatchObject({ inputSize: 224, pooledDim: 64, spatial: { tokens: 196, channels: 64, grid: 14 }, normalisation: { mean: [0.5, 0.5, 0.5] } });
    const encoded = await encoder.encode(frames(join(fixture('theia-micro'), 'input.bin'), 224), { spatial: true });
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
    expect(vitSpec(loaded).translators.map((t) => t.teacherId)).toEqual(Object.keys(THEIA_TEACHERS));
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
