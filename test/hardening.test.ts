/**
 * Bad input, faults and concurrency as a user meets them: every case ends with the right numbers or a clear error
 * naming the input or file, never a silent wrong result. Runs use a tiny point-mass task and the `pixels` encoder,
 * so each takes a second or two.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { readFrames } from '../src/cli/frames_input.js';
import { Interrupted } from '../src/cli/interrupt.js';
import type { EncodeOptions, Encoder, FrameBatch } from '../src/encoders/encoder.js';
import { GraphBuilder } from '../src/util/onnx_graph.js';
import { createEncoder } from '../src/encoders/registry.js';
import { registerTask } from '../src/envs/registry.js';
import type { Expert } from '../src/envs/task.js';
import { featureNormEntropy } from '../src/eval/entropy.js';
import { locateOptionalPackage, selectTfBackend } from '../src/policies/backend.js';
import type { BcPolicy } from '../src/policies/policy.js';
import type { RunResults } from '../src/results/schema.js';
import type { RunDependencies } from '../src/run/deps.js';
import { runBenchmark } from '../src/run/runner.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { writeError } from '../src/util/fs_errors.js';
import { Rng } from '../src/util/rng.js';
import { pointMassTask } from './fixtures/point_mass_task.js';
import { runOptionsIn } from './helpers/run_options.js';
import { syntheticProbe, syntheticProbeDeps } from './helpers/synthetic_probe.js';
import { tinyProfile } from './helpers/tiny_profile.js';
import onnxPkg from 'onnx-proto';

const TASK = 'test-point-mass-hardening';
const root = mkdtempSync(join(tmpdir(), 'bench-hardening-'));
const cacheDir = join(root, 'cache');
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(() => registerTask(pointMassTask({ name: TASK, horizon: 20 })));

const tiny = tinyProfile({ seeds: [1, 2] });

// A small probe of its own: the protocol's renders expert rollouts of every cortexbench task, none of which this file registers.
const deps = syntheticProbeDeps;
const options = runOptionsIn(root, { benchmark: 'test', tasks: [TASK], encoders: ['pixels'], profile: tiny, cacheDir, deps });

/** results.json without what legitimately differs between identical runs (timings, failure times). */
function numbers(out: string): unknown {
  const results = JSON.parse(readFileSync(join(root, out, 'results.json'), 'utf8')) as RunResults;
  return { ...results, cells: results.cells.map(({ timings: _t, ...cell }) => cell) };
}

let clean: unknown;
beforeAll(async () => {
  await runBenchmark(options('clean'));
  clean = numbers('clean');
});

describe('optional tfjs backends', () => {
  it('are loaded only from the project, never from a parent folder node_modules (which Node would search)', () => {
    // A package planted where any local user can write: <parent>/node_modules, above the project.
    const parent = join(root, 'planted');
    const project = join(parent, 'project');
    const planted = join(parent, 'node_modules', '@tensorflow', 'tfjs-node');
    mkdirSync(planted, { recursive: true });
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'package.json'), '{"name": "project"}');
    const marker = join(root, 'planted-code-ran');
    writeFileSync(join(planted, 'package.json'), '{"name": "@tensorflow/tfjs-node", "main": "index.js"}');
    writeFileSync(join(planted, 'index.js'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');`);
    // Node's own resolution from the project finds the planted package: the hazard is real.
    expect(spawnSync(process.execPath, ['-e', `console.log(require.resolve('@tensorflow/tfjs-node'))`], { cwd: project, encoding: 'utf8' }).stdout).toContain(planted);
    const found = locateOptionalPackage('@tensorflow/tfjs-node', project);
    expect(found).toEqual({ refused: expect.stringMatching(/resolves to .*planted.*outside this project's node_modules/) });
    expect(existsSync(marker)).toBe(false);

    // Installed in the project itself it is found; a symbolic link out of the project is refused like the parent.
    const installIn = (name: string, how: 'copy' | 'link'): string => {
      const dir = join(parent, name);
      mkdirSync(join(dir, 'node_modules', '@tensorflow'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), '{"name": "project"}');
      const target = join(dir, 'node_modules', '@tensorflow', 'tfjs-node');
      if (how === 'copy') cpSync(planted, target, { recursive: true });
      else symlinkSync(planted, target);
      return dir;
    };
    const own = installIn('own', 'copy');
    expect(locateOptionalPackage('@tensorflow/tfjs-node', own)).toEqual({ path: join(own, 'node_modules', '@tensorflow', 'tfjs-node', 'index.js') });
    expect(locateOptionalPackage('@tensorflow/tfjs-node', installIn('linked', 'link'))).toEqual({ refused: expect.stringMatching(/outside this project's node_modules/) });
    // A node_modules folder that is itself a link (a shared install) is still the project's own.
    const shared = join(parent, 'shared-project');
    mkdirSync(shared);
    writeFileSync(join(shared, 'package.json'), '{"name": "project"}');
    symlinkSync(join(own, 'node_modules'), join(shared, 'node_modules'));
    expect(locateOptionalPackage('@tensorflow/tfjs-node', shared)).toEqual({ path: join(own, 'node_modules', '@tensorflow', 'tfjs-node', 'index.js') });
    expect(locateOptionalPackage('@tensorflow/tfjs-node-gpu', project)).toBeNull();
  });

  it('bench run --backend names the backend, records it in every row and refuses unknown ones', async () => {
    // The default install has no native backend, so 'auto' chose wasm and a forced wasm agrees with it.
    if ((await selectTfBackend()).backend !== 'wasm') return;
    const lines: string[] = [];
    const report = await runBenchmark(options('backend', { backend: 'wasm', log: (l) => lines.push(l), seeds: [1] }));
    expect(lines.join('\n')).toMatch(/policy backend wasm \(simd, 1 thread\)/);
    expect(report.results.cells.map((c) => c.versions.tfjsBackend)).toEqual(['wasm (simd, 1 thread)']);
    expect(readFileSync(join(root, 'backend', 'results.csv'), 'utf8')).toContain('wasm (simd, 1 thread)');
    await expect(main(['run', '--backend', 'gpu'])).rejects.toThrow(/--backend: expected auto, onnxruntime, node-gpu, node, wasm, got 'gpu'/);
  });
});

describe('one run directory, several processes', () => {
  it('of two concurrent runs of different configurations, one is refused: no cell is overwritten', async () => {
    const outcomes = await Promise.allSettled([runBenchmark(options('mixed')), runBenchmark(options('mixed', { shuffleActions: true }))]);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(
      new RegExp(`is being written by a run of another configuration: pid ${process.pid} on .* \\(bench run: profile 'smoke', head auto, shuffled actions false\\); use a different --out`),
    );
    // Finished, the directory still refuses the other configuration, naming one of its cells.
    await expect(runBenchmark(options('mixed', { shuffleActions: true }))).rejects.toThrow(/holds results of another configuration \(profile 'smoke', head mlp, shuffled actions false\), e\.g\. .*cells\/.*\.json; use a different --out/);
    const done = outcomes.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<typeof runBenchmark>>>;
    const shuffled = done.value.results.shuffleActions;
    expect(done.value.results.cells.every((c) => c.shuffleActions === shuffled)).toBe(true);
    if (!shuffled) expect(numbers('mixed')).toEqual(clean);
  });

  it('identical concurrent runs share the cells instead of computing each twice, and end with the clean results', async () => {
    const [a, b] = await Promise.all([runBenchmark(options('shared')), runBenchmark(options('shared'))]);
    expect(a.ran + b.ran).toBe(2);
    expect(a.leftToOthers + b.leftToOthers).toBeGreaterThan(0);
    const again = await runBenchmark(options('shared'));
    expect([again.ran, again.skipped]).toEqual([0, 2]);
    expect(numbers('shared')).toEqual(clean);
    expect(readdirSync(join(root, 'shared', 'cells')).filter((f) => !f.endsWith('.json'))).toEqual([]);
  });

  it('leaves a cell claimed by a live process to it, naming its pid, and takes over a claim of a dead one', async () => {
    await runBenchmark(options('claims', { seeds: [1] }));
    const cells = join(root, 'claims', 'cells');
    const lock = join(cells, `${readdirSync(cells)[0]!.replace(/\.json$/, '')}.lock`);
    rmSync(join(cells, readdirSync(cells)[0]!));
    const owner = (pid: number): string => JSON.stringify({ pid, host: hostname(), started: 'earlier', purpose: 'bench run' });
    writeFileSync(lock, owner(1)); // pid 1 is alive
    const lines: string[] = [];
    const left = await runBenchmark(options('claims', { seeds: [1], log: (l) => lines.push(l) }));
    expect([left.ran, left.leftToOthers]).toEqual([0, 1]);
    expect(lines.join('\n')).toMatch(/being run by pid 1 on .* since earlier \(bench run\); leaving it to that process/);
    const dead = spawnSync('true').pid!;
    writeFileSync(lock, owner(dead));
    const notes: string[] = [];
    const taken = await runBenchmark(options('claims', { seeds: [1], log: (l) => notes.push(l) }));
    expect(taken.ran).toBe(1);
    expect(notes.join('\n')).toMatch(new RegExp(`taking over .*\\.lock, left by pid ${dead}`));
    expect(existsSync(lock)).toBe(false);
  });
});

describe('seeds', () => {
  it('outside the 32-bit generator range are refused instead of aliasing smaller ones', async () => {
    await expect(main(['run', '--suite', 'test', '--seeds', '100,4294967396'])).rejects.toThrow(/--seeds: 4294967396 is out of range; seeds are integers in \[0, 4294967295\]/);
    await expect(runBenchmark(options('seeds', { seeds: [100, 2 ** 32 + 100] }))).rejects.toThrow(/--seeds: a policy seed must be an integer in \[0, 4294967295\], got 4294967396/);
    expect(() => new Rng(2 ** 32 + 100)).toThrow(/Rng: seed must be an integer in \[0, 4294967295\]/);
    expect(existsSync(join(root, 'seeds'))).toBe(false);
  });
});

describe('output paths', () => {
  it.runIf(existsSync('/proc/self'))('on procfs fail at once with the path, instead of spinning in mkdir', { timeout: 20_000 }, async () => {
    await expect(runBenchmark(options('unused', { out: '/proc/bench-x/run' }))).rejects.toThrow(/cannot create --out directory '\/proc\/bench-x\/run': the file system refuses to create '\/proc\/bench-x'/);
    await expect(runBenchmark(options('procfs-cache', { cacheDir: '/proc/bench-x' }))).rejects.toThrow(/cannot create --cache-dir '\/proc\/bench-x'/);
  });

  it('that are regular files, or inside one, fail before any demo, feature or backend work', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const fresh = join(root, 'untouched-cache');
    await expect(runBenchmark(options('unused', { out: file, cacheDir: fresh }))).rejects.toThrow(new RegExp(`cannot create --out directory '${file}': '${file}' is a file, not a directory`));
    await expect(runBenchmark(options('unused', { out: join(file, 'run'), cacheDir: fresh }))).rejects.toThrow(/is a file, not a directory/);
    expect(existsSync(fresh)).toBe(false);
    await expect(main(['encode', '--encoder', 'pixels', '--frames', 'none.png', '--out', join(file, 'x.safetensors')])).rejects.toThrow(/cannot create the folder of --out file .*is a file, not a directory/);
  });
});

describe('errors name the file and what was being written', () => {
  it('a truncated cell file is named, set aside and run again; the results end as a clean run', async () => {
    await runBenchmark(options('truncated'));
    const cells = join(root, 'truncated', 'cells');
    const name = readdirSync(cells)[0]!;
    const text = readFileSync(join(cells, name), 'utf8');
    writeFileSync(join(cells, name), text.slice(0, text.length / 2));
    const lines: string[] = [];
    const report = await runBenchmark(options('truncated', { log: (l) => lines.push(l) }));
    expect([report.ran, report.skipped]).toEqual([1, 1]);
    expect(lines.join('\n')).toMatch(new RegExp(`warning: cell result '${join(cells, name)}' is not valid JSON: it ends early, after \\d+ bytes \\(truncated\\?\\); moved it to .*\\.unreadable and treating it as not done`));
    expect(numbers('truncated')).toEqual(clean);
  });

  it('a file-size limit (EFBIG) and a full disk (ENOSPC) are reported in words, with the path and what it holds', () => {
    const script = `import { writeFileAtomic } from './src/util/atomic.ts';
      try { writeFileAtomic(${JSON.stringify(join(root, 'efbig', 'cell.json'))}, 'x'.repeat(5000), 'cell result'); } catch (e) { console.log(e.message); }`;
    const child = spawnSync('bash', ['-c', `ulimit -f 1 && exec "${process.execPath}" --import tsx --input-type=module -e "$0"`, script], { encoding: 'utf8', cwd: resolve('.') });
    expect(child.stdout.trim()).toBe(`cannot write cell result '${join(root, 'efbig', 'cell.json')}': the file would exceed the file-size limit (see 'ulimit -f') or the file system's maximum (EFBIG)`);
    expect(readdirSync(join(root, 'efbig'))).toEqual([]); // the temporary file is removed
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(writeError(enospc, 'feature cache', '/c/f.bfeat').message).toBe("cannot write feature cache '/c/f.bfeat': the disk is full (ENOSPC)");
    mkdirSync(join(root, 'isdir', 'results.json'), { recursive: true });
    expect(() => writeFileAtomic(join(root, 'isdir', 'results.json'), '{}', 'run results')).toThrow(/cannot write run results '.*results\.json': it is a directory \(EISDIR\)/);
  });

  it('a bad checkpoint config value names config.json and the key', async () => {
    const dir = join(root, 'vit-heads');
    cpSync('test/fixtures/vit-micro', dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, num_attention_heads: 0.5 }));
    await expect(createEncoder(`hf:${dir}`, { threads: 1 })).rejects.toThrow(/hf:.*vit-heads: config\.json field 'num_attention_heads' must be a positive integer, got 0\.5/);
  });

  it('a garbage .onnx names its path', async () => {
    const path = join(root, 'garbage.onnx');
    writeFileSync(path, Buffer.from('this is not a model at all, just text'));
    await expect(createEncoder(`onnx:${path}`, { threads: 1 })).rejects.toThrow(new RegExp(`'${path}'`));
  });

  it('a non-finite feature in the entropy probe names the encoder and the frame', async () => {
    const nan: Encoder = {
      info: { id: 'nan-encoder', inputSize: 4, normalisation: null, pooledDim: 2, spatial: null, parameterCount: 0, digest: 'nan' },
      async encode(frames: FrameBatch, _options?: EncodeOptions) {
        return { pooled: new Float32Array(frames.n * 2).map((_, i) => (i === 5 ? Number.NaN : 1)) };
      },
      async dispose() {},
    };
    const probe: FrameBatch = { data: new Uint8Array(4 * 4 * 4 * 3), n: 4, height: 4, width: 4 };
    await expect(featureNormEntropy(nan, probe)).rejects.toThrow(/encoder 'nan-encoder' gave a token norm of NaN on probe frame 2 of 4/);
  });

  it('Ctrl-C stops a run with exit code 130, saying what was kept and how to resume', async () => {
    const out = join(root, 'sigint');
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => {
      lines.push(line);
      if (/^cell 2\/2/.test(line) && !lines.some((l) => l.includes('SIGINT received'))) process.emit('SIGINT');
    });
    let error: unknown;
    try {
      await main(['run', '--suite', 'test', '--tasks', TASK, '--encoders', 'pixels', '--profile', 'smoke', '--seeds', '1,2', '--out', out, '--cache-dir', cacheDir, '--quiet'], deps);
    } catch (e) {
      error = e;
    } finally {
      vi.restoreAllMocks();
    }
    expect(error).toBeInstanceOf(Interrupted);
    expect((error as Interrupted).exitCode).toBe(130);
    const text = lines.join('\n');
    expect(text).toMatch(/SIGINT received: stopping at the next check point/);
    expect(text).toMatch(new RegExp(`interrupted: 1 cells finished in this run; all 1 finished cells are kept in ${out}/cells .*Rerun the same command to resume`));
    expect(process.listenerCount('SIGINT')).toBe(0);
  });
});

describe('a failing cell', () => {
  it('is recorded with its error while the other cells run; a rerun retries it', async () => {
    // Seed 2's policy predicts NaN actions, which the environment refuses.
    const nanPolicy: RunDependencies = {
      ...deps,
      createPolicy: async (spec, seed, opts) => {
        const policy = await deps.createPolicy(spec, seed, opts);
        if (seed !== 2) return policy;
        const broken: BcPolicy = {
          spec: policy.spec,
          trainEpoch: (data, epochSeed) => policy.trainEpoch(data, epochSeed),
          predict: async (features, proprio, n) => (await policy.predict(features, proprio, n)).fill(Number.NaN),
          dispose: () => policy.dispose(),
        };
        return broken;
      },
    };
    const report = await runBenchmark(options('failing', { deps: nanPolicy }));
    expect([report.ran, report.failed.length]).toEqual([1, 1]);
    expect(report.failed[0]).toMatchObject({ task: TASK, encoder: 'pixels', seed: 2, error: expect.stringMatching(/non-finite|NaN/) });
    const results = JSON.parse(readFileSync(join(root, 'failing', 'results.json'), 'utf8')) as RunResults;
    expect(results.cells.map((c) => c.seed)).toEqual([1]);
    expect(results.failures.map((f) => f.seed)).toEqual([2]);
    const retried = await runBenchmark(options('failing'));
    expect([retried.ran, retried.skipped, retried.failed.length]).toEqual([1, 1, 0]);
    expect(numbers('failing')).toEqual(clean);
  });

  it('makes bench run exit non-zero at the end, naming the first failure, after the other cells ran', async () => {
    // A task whose expert breaks: its demos, and so its cells, fail; the healthy task's cells still run.
    const broken = pointMassTask({ name: `${TASK}-broken-expert`, horizon: 20 });
    const breakExpert = (expert: Expert): Expert => ({
      name: expert.name,
      reset: (physics, rng) => expert.reset(physics, rng),
      act: () => {
        throw new Error('the expert broke');
      },
    });
    registerTask({ ...broken, createExpert: () => breakExpert(broken.createExpert()) });
    const out = join(root, 'failing-cli');
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const run = main(['run', '--suite', 'test', '--tasks', `${TASK},${broken.name}`, '--encoders', 'pixels', '--profile', 'smoke', '--seeds', '1', '--out', out, '--cache-dir', cacheDir, '--quiet'], deps);
    await expect(run.finally(() => vi.restoreAllMocks())).rejects.toThrow(
      new RegExp(`1 cell\\(s\\) failed, the first ${broken.name} x pixels x seed 1: the expert broke .*under 'failures' in ${out}/results\\.json`),
    );
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.cells.map((c) => c.task)).toEqual([TASK]);
    expect(results.failures.map((f) => [f.task, f.error])).toEqual([[broken.name, 'the expert broke']]);
    // The entropy probe is the run's fixed set, which the broken task is no part of: it is measured all the same.
    expect(results.entropy.map((e) => [e.encoder, e.probe.digest])).toEqual([['pixels', deps.entropyProbe().set.digest]]);
  });

  it('reports an entropy that cannot be measured and runs the cells without it', async () => {
    // A probe of its own, so that no run before has cached an entropy on it.
    const probe = syntheticProbe(8, 32, 77);
    const failing = { ...probe, frames: () => Promise.reject(new Error('the probe broke')) };
    const report = await runBenchmark(options('entropy-failing', { seeds: [1], deps: { ...deps, entropyProbe: () => failing } }));
    expect(report.entropyFailures).toEqual([{ encoder: 'pixels', error: 'the probe broke' }]);
    expect([report.ran, report.results.entropy]).toEqual([1, []]);
  });
});

describe('bounded inputs', () => {
  it('a PNG declaring 20000x20000 pixels is refused from its header, before decoding', () => {
    const png = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png, 0);
    png.writeUInt32BE(13, 8);
    png.write('IHDR', 12, 'latin1');
    png.writeUInt32BE(20000, 16);
    png.writeUInt32BE(20000, 20);
    const path = join(root, 'huge.png');
    writeFileSync(path, png);
    expect(() => readFrames(path)).toThrow(/huge\.png declares 20000x20000 pixels; frames must be 1 to 4096 pixels a side/);
  });

  it('an empty shard says so and computes nothing', async () => {
    const out = join(root, 'empty-shard');
    await expect(runBenchmark(options('empty-shard', { seeds: [1], shard: { index: 1, count: 5 } }))).rejects.toThrow(
      /--shard 2\/5 is empty: the plan has 1 cell\(s\), so only shards 1 to 1 of 5 have work; nothing to run/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('model folders', () => {
  it('files linking out of a checkpoint folder are refused without echoing their content', async () => {
    const secret = join(root, 'secret.txt');
    writeFileSync(secret, 'root:SECRET-HASH:19000:0:99999:7:::\n');
    const dir = join(root, 'linked-checkpoint');
    cpSync('test/fixtures/vit-micro', dir, { recursive: true });
    rmSync(join(dir, 'config.json'));
    symlinkSync(secret, join(dir, 'config.json'));
    const error = await createEncoder(`hf:${dir}`, { threads: 1 }).then(() => null, (e: unknown) => e as Error);
    expect(error?.message).toMatch(/refusing '.*config\.json': it resolves to '.*secret\.txt', outside the model folder/);
    expect(error?.message).not.toContain('SECRET');
    // Inside the folder a link is fine; a file that is not JSON is reported without quoting it.
    rmSync(join(dir, 'config.json'));
    cpSync(secret, join(dir, 'not-json.txt'));
    symlinkSync(join(dir, 'not-json.txt'), join(dir, 'config.json'));
    const inner = await createEncoder(`hf:${dir}`, { threads: 1 }).then(() => null, (e: unknown) => e as Error);
    expect(inner?.message).toMatch(/checkpoint file '.*not-json\.txt' is not valid JSON: a syntax error/);
    expect(inner?.message).not.toContain('SECRET');
    // ONNX settings beside a model are held to the same rule.
    const onnxDir = join(root, 'linked-onnx');
    mkdirSync(onnxDir);
    writeFileSync(join(onnxDir, 'm.onnx'), identityModel().toBytes());
    symlinkSync(secret, join(onnxDir, 'm.onnx.json'));
    await expect(createEncoder(`onnx:${join(onnxDir, 'm.onnx')}`, { threads: 1 })).rejects.toThrow(/refusing .*m\.onnx\.json.*outside the model folder/);
  });

  it('an ONNX model with external data loads from its folder, the data in its digest; data outside the folder is refused', async () => {
    const dir = join(root, 'external');
    mkdirSync(dir);
    const inline = identityModel();
    writeFileSync(join(dir, 'inline.onnx'), inline.toBytes());
    const weights = Float32Array.from({ length: 12 }, (_, i) => (i % 4 === Math.floor(i / 4) ? 2 : 0.25 * i));
    const write = (name: string, location: string): string => {
      const model = onnxPkg.onnx.ModelProto.decode(scaledModel(weights));
      const init = model.graph!.initializer![0]!;
      writeFileSync(join(dir, location), Buffer.from(init.rawData!));
      init.rawData = new Uint8Array(0);
      init.dataLocation = onnxPkg.onnx.TensorProto.DataLocation.EXTERNAL;
      init.externalData = [{ key: 'location', value: location }, { key: 'offset', value: '0' }, { key: 'length', value: String(weights.byteLength) }];
      const path = join(dir, name);
      writeFileSync(path, onnxPkg.onnx.ModelProto.encode(model).finish());
      return path;
    };
    const path = write('external.onnx', 'weights.bin');
    const reference = join(dir, 'reference.onnx');
    writeFileSync(reference, scaledModel(weights));
    const frames: FrameBatch = { data: new Uint8Array(2 * 8 * 8 * 3).map((_, i) => (i * 37) % 256), n: 2, height: 8, width: 8 };
    const [ext, ref] = await Promise.all([createEncoder(`onnx:${path}`, { threads: 1 }), createEncoder(`onnx:${reference}`, { threads: 1 })]);
    expect(Array.from((await ext.encode(frames)).pooled)).toEqual(Array.from((await ref.encode(frames)).pooled));
    // The digest follows the external weights: other weights, other features, another cache key.
    writeFileSync(join(dir, 'weights.bin'), Buffer.from(new Float32Array(12).fill(1).buffer));
    const changed = await createEncoder(`onnx:${path}`, { threads: 1 });
    expect(changed.info.digest).not.toBe(ext.info.digest);
    await Promise.all([ext, ref, changed].map((e) => e.dispose()));

    mkdirSync(join(root, 'elsewhere'), { recursive: true });
    const outside = write('outside.onnx', '../elsewhere/weights.bin');
    await expect(createEncoder(`onnx:${outside}`, { threads: 1 })).rejects.toThrow(/refusing '\.\.\/elsewhere\/weights\.bin': files of a model folder are named by paths inside it/);
    // A link inside the folder that points out of it is refused too.
    symlinkSync(join(root, 'elsewhere', 'weights.bin'), join(dir, 'linked.bin'));
    const linked = write('linked.onnx', 'linked.bin');
    await expect(createEncoder(`onnx:${linked}`, { threads: 1 })).rejects.toThrow(/refusing '.*linked\.bin': it resolves to '.*elsewhere\/weights\.bin', outside the model folder/);
  });
});

/** pooled = mean over the 8x8 image of each channel (an image model with no weights). */
function identityModel(): GraphBuilder {
  const g = new GraphBuilder('identity');
  const x = g.input('image', ['N', 3, 8, 8]);
  g.output('pooled', g.op('ReduceMean', [x], { axes: { ints: [2, 3] }, keepdims: { int: 0 } }), ['N', 3]);
  return g;
}

/** pooled = channel means [N, 3] times a weight matrix [3, 4] (an initializer, to store externally). */
function scaledModel(weights: Float32Array): Uint8Array {
  const g = new GraphBuilder('scaled');
  const x = g.input('image', ['N', 3, 8, 8]);
  const means = g.op('ReduceMean', [x], { axes: { ints: [2, 3] }, keepdims: { int: 0 } });
  g.output('pooled', g.op('MatMul', [means, g.floatTensor('w', weights, [3, 4])]), ['N', 4]);
  return g.toBytes();
}
