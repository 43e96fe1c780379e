import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { registerTask } from '../src/envs/registry.js';
import { createProgress } from '../src/util/progress.js';
import { pointMassTask } from './fixtures/point_mass_task.js';

const TASK = 'test-point-mass-cli';
const tmp = mkdtempSync(join(tmpdir(), 'bench-cli-'));

beforeAll(() => {
  registerTask(pointMassTask({ name: TASK, horizon: 30 }));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Runs the CLI in-process and returns what it wrote to stdout. */
async function bench(...args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    await main(args);
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

/** The one-line message `bin/bench.js` would print after "bench: ". */
async function benchError(...args: string[]): Promise<string> {
  const error = await bench(...args).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error, `bench ${args.join(' ')} should fail`).toBeInstanceOf(Error);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  return message;
}

describe('bench tasks', () => {
  it('--json lists every task of a benchmark with its protocol facts', async () => {
    const facts = JSON.parse(await bench('tasks', '--suite', 'cortexbench', '--json')) as Record<string, unknown>[];
    const byName = new Map(facts.map((f) => [f.task, f]));
    expect(byName.has(TASK)).toBe(false);
    expect(byName.get('reacher-easy')).toMatchObject({
      family: 'dmc',
      benchmarks: ['cortexbench'],
      horizon: 1000,
      control_timestep: 0.02,
      camera: 'fixed',
      action_dim: 2,
      proprio_dim: 0,
      metric: 'return/10',
      goal_steps: null,
      paper_demos: 100,
      paper_eval_episodes: 10,
      theia_eval_episodes: 25,
      expert: 'ik-pd',
    });
    expect(byName.get('button-press-topdown')).toMatchObject({
      family: 'metaworld',
      horizon: 500,
      timestep: 0.0025,
      substeps: 5,
      control_timestep: 0.0125,
      camera: 'top_cap2',
      action_dim: 4,
      proprio_dim: 4,
      paper_demos: 25,
      paper_eval_episodes: 25,
      expert: 'scripted',
    });
    for (const f of facts) expect(Number.isInteger(f.version) && (f.version as number) >= 1, String(f.task)).toBe(true);
  });

  it('prints a table of every registered task, and names an unknown benchmark', async () => {
    const lines = (await bench('tasks')).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^task\s+family\s+horizon\s+control\s+camera\s+action\s+proprio\s+metric/);
    expect(lines.find((l) => l.startsWith(TASK))).toMatch(/dmc\s+30\s+0\.04 s \(0\.02 x 2\)\s+fixed\s+1\s+1\s+return\/10/);
    expect(lines.some((l) => l.startsWith('drawer-open '))).toBe(true);
    expect(await benchError('tasks', '--suite', 'nope')).toMatch(/unknown benchmark 'nope'; known: .*cortexbench/);
  });
});

describe('bench experts', () => {
  it('--json prints exactly task, episodes, mean_return, success_rate, mean_score', async () => {
    const out = await bench('experts', '--task', TASK, '--episodes', '3', '--json', '--quiet');
    const result = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(['task', 'episodes', 'mean_return', 'success_rate', 'mean_score']);
    expect(result.task).toBe(TASK);
    expect(result.episodes).toBe(3);
    const meanReturn = result.mean_return as number;
    expect(meanReturn).toBeGreaterThan(0);
    expect(meanReturn).toBeLessThanOrEqual(30);
    expect(result.mean_score).toBeCloseTo(meanReturn / 10, 12);
    expect(result.success_rate).toBeGreaterThanOrEqual(0);
    expect(result.success_rate).toBeLessThanOrEqual(1);
    // Same seeds, same numbers.
    expect(await bench('experts', '--task', TASK, '--episodes', '3', '--json')).toBe(out);
    expect(await bench('experts', '--task', TASK, '--episodes', '3', '--json', '--seed', '1')).not.toBe(out);
  });

  it('prints a readable table without --json', async () => {
    const out = await bench('experts', '--task', TASK, '--episodes', '2');
    expect(out).toMatch(/^task\s+test-point-mass-cli/m);
    expect(out).toMatch(/^mean return\s+\d+\.\d\d$/m);
    expect(out).toMatch(/^success rate\s+\d+\.\d% \(at the last step\)$/m);
  });
});

describe('bench demos', () => {
  it('generates, then resumes from the cache directory', async () => {
    const cacheDir = join(tmp, 'cache');
    const first = await bench('demos', '--task', TASK, '--episodes', '3', '--cache-dir', cacheDir);
    expect(first).toContain('3 episodes, 90 steps (0 read from cache, 3 generated)');
    expect(first).toMatch(/demo set key [0-9a-f]{64}/);
    const second = await bench('demos', '--task', TASK, '--episodes', '4', '--cache-dir', cacheDir);
    expect(second).toContain('(3 read from cache, 1 generated)');
  });

  it('--shard i/n generates every n-th episode', async () => {
    const cacheDir = join(tmp, 'sharded');
    expect(await bench('demos', '--task', TASK, '--episodes', '5', '--shard', '2/2', '--cache-dir', cacheDir)).toContain(
      '2 episodes (shard 2/2 of 5), 60 steps (0 read from cache, 2 generated)',
    );
    expect(await bench('demos', '--task', TASK, '--episodes', '5', '--cache-dir', cacheDir)).toContain('(2 read from cache, 3 generated)');
    expect(await benchError('demos', '--task', TASK, '--shard', '3/2')).toMatch(/^--shard: expected i\/n/);
  });

  it('uses $BENCH_CACHE_DIR when --cache-dir is not given', async () => {
    const cacheDir = join(tmp, 'from-env');
    vi.stubEnv('BENCH_CACHE_DIR', cacheDir);
    const out = await bench('demos', '--task', TASK, '--episodes', '1');
    expect(out).toContain(`stored in ${join(cacheDir, 'demos', TASK)}`);
    expect(readdirSync(join(cacheDir, 'demos', TASK)).length).toBe(1);
  });
});

describe('bench errors: one line naming the input', () => {
  it('unknown task lists the known ones', async () => {
    expect(await benchError('experts', '--task', 'no-such-task')).toMatch(/^unknown task 'no-such-task'; known tasks: .*test-point-mass-cli/);
    expect(await benchError('demos', '--task', 'no-such-task')).toMatch(/^unknown task 'no-such-task'/);
    expect(await benchError('render', '--task', 'no-such-task', '--out', join(tmp, 'x.png'))).toMatch(/^unknown task/);
  });

  it('bad numbers', async () => {
    expect(await benchError('experts', '--task', TASK, '--episodes', 'abc')).toBe("--episodes must be an integer in [1, 100000], got 'abc'");
    expect(await benchError('experts', '--task', TASK, '--episodes', '0')).toMatch(/^--episodes must be an integer in \[1, 100000\], got '0'/);
    expect(await benchError('experts', '--task', TASK, '--episodes', '2.5')).toMatch(/^--episodes must be an integer/);
    expect(await benchError('demos', '--task', TASK, '--seed', '-3')).toMatch(/^--seed must be an integer in \[0, 4294967295\]/);
    expect(await benchError('demos', '--task', TASK, '--seed', 'NaN')).toMatch(/^--seed must be an integer/);
    expect(await benchError('experts', '--task', TASK, '--episodes', '1', '--episodes', '2')).toBe('--episodes was given 2 times; give it once');
  });

  it('missing and unknown flags, missing command', async () => {
    expect(await benchError('experts')).toMatch(/Missing required argument: task/);
    expect(await benchError('experts', '--task')).toMatch(/task/);
    expect(await benchError('experts', '--task', TASK, '--bogus', '1')).toMatch(/Unknown argument: bogus/);
    expect(await benchError()).toMatch(/name a command/);
    expect(await benchError('no-such-command')).toMatch(/no-such-command/);
  });

  it('render: unknown extension, bad size, unknown camera, too many steps', async () => {
    expect(await benchError('render', '--task', TASK, '--out', join(tmp, 'x.jpg'))).toMatch(/^--out must end in \.png or \.gif, got '.*x\.jpg'$/);
    expect(await benchError('render', '--task', TASK, '--size', '8', '--out', join(tmp, 'x.png'))).toBe("--size must be an integer in [64, 512], got '8'");
    expect(await benchError('render', '--task', TASK, '--size', 'big', '--out', join(tmp, 'x.png'))).toBe("--size must be an integer in [64, 512], got 'big'");
    expect(await benchError('render', '--task', TASK, '--camera', 'nope', '--out', join(tmp, 'x.png'))).toMatch(/^unknown camera 'nope' for task 'test-point-mass-cli'; cameras: fixed$/);
    expect(await benchError('render', '--task', TASK, '--steps', '31', '--out', join(tmp, 'x.gif'))).toMatch(/^--steps must be at most the horizon .* \(30\), got 31$/);
  });

  it('encode: wrong output extension, unknown device', async () => {
    expect(await benchError('encode', '--encoder', 'pixels', '--frames', 'f.bin', '--out', join(tmp, 'x.npy'))).toMatch(/^--out must end in \.safetensors/);
    expect(await benchError('encode', '--encoder', 'pixels', '--frames', 'f.bin', '--out', join(tmp, 'x.safetensors'), '--device', 'tpu')).toBe(
      "--device must be cpu or cuda, got 'tpu'",
    );
  });
});

describe('bench render', () => {
  it('writes a PNG of the requested size', async () => {
    const out = join(tmp, 'frame.png');
    expect(await bench('render', '--task', TASK, '--size', '72', '--out', out)).toMatch(/^wrote .*frame\.png: PNG 72x72, after reset/);
    const png = PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([72, 72]);
    // Not a blank image: the scene has a floor, a ball and a background.
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) colours.add((png.data[i]! << 16) | (png.data[i + 1]! << 8) | png.data[i + 2]!);
    expect(colours.size).toBeGreaterThan(2);
  });

  it('writes an animated GIF of an expert rollout', async () => {
    const out = join(tmp, 'rollout.gif');
    expect(await bench('render', '--task', TASK, '--size', '64', '--steps', '10', '--out', out)).toMatch(/GIF 64x64, 11 frames \(every 1 of 10 expert steps/);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 6).toString('ascii')).toBe('GIF89a');
    expect(bytes.readUInt16LE(6)).toBe(64);
    expect(bytes.readUInt16LE(8)).toBe(64);
  });
});

describe('bench encoders / encode', () => {
  it('lists every encoder family with what it feeds the policy, and describes one', async () => {
    const listed = JSON.parse(await bench('encoders', '--json')) as { spec: string; family: string; feeds: string }[];
    const families = new Set(listed.map((f) => f.family));
    for (const family of ['pixels', 'random ViT', 'ONNX model', 'TensorFlow.js model', 'vit', 'deit', 'dinov2', 'clip', 'sam', 'depth_anything', 'theia', 'r3m', 'vc1']) {
      expect(families, family).toContain(family);
    }
    expect(listed.every((f) => f.feeds.length > 0)).toBe(true);
    expect(await bench('encoders')).toMatch(/^r3m:FILE_OR_DIR +r3m +pooled \[512\]/m);
    const described = JSON.parse(await bench('encoders', 'pixels', '--json')) as { id: string; outputs: Record<string, number[]> };
    expect(described.id).toBe('pixels');
    expect(Object.keys(described.outputs)).toContain('pooled');
    expect(await benchError('encoders', 'no-such-encoder')).toMatch(/unknown encoder spec 'no-such-encoder'/);
  });

  it('encodes a rendered frame into a safetensors file', async () => {
    const png = join(tmp, 'encode-input.png');
    await bench('render', '--task', TASK, '--size', '64', '--out', png);
    const out = join(tmp, 'features.safetensors');
    const described = JSON.parse(await bench('encoders', 'pixels', '--json')) as { outputs: Record<string, number[]> };
    expect(await bench('encode', '--encoder', 'pixels', '--frames', png, '--out', out, '--threads', '1')).toBe(
      `wrote ${out}: pooled [1, ${described.outputs.pooled!.join(', ')}]\n`,
    );
    // safetensors: u64 header length, then a JSON header naming the tensors.
    const bytes = readFileSync(out);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, { shape: number[] }>;
    expect(header.pooled!.shape).toEqual([1, ...described.outputs.pooled!]);
  });
});

describe('createProgress', () => {
  /** A stream that records writes and claims to be (or not to be) a terminal. */
  function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
    const stream = { isTTY, columns: 100, text: '', write(chunk: string) { stream.text += chunk; return true; } };
    return stream as unknown as NodeJS.WriteStream & { text: string };
  }

  it('draws on a terminal, and nothing when quiet', () => {
    const tty = fakeStream(true);
    const bar = createProgress({ label: 'demos x', total: 4, stream: tty });
    bar.update(3, '(1 from cache)');
    bar.stop();
    bar.stop();
    expect(tty.text).toContain('demos x');
    expect(tty.text).toContain('3/4');
    for (const stream of [fakeStream(false), fakeStream(true)]) {
      const silent = createProgress({ label: 'demos x', total: 4, stream, quiet: true });
      silent.update(2);
      silent.stop();
      expect(stream.text).toBe('');
    }
  });

  it('prints lines with elapsed time and ETA when not a terminal: every 30 s while running, once at the end', () => {
    const log = fakeStream(false);
    let now = 0;
    const progress = createProgress({ label: 'demos cheetah-run', total: 6, stream: log, clock: () => now });
    now = 10_000;
    progress.update(1);
    expect(log.text).toBe('');
    now = 40_000;
    progress.update(2, '1 cached');
    now = 50_000;
    progress.update(3);
    now = 90_000;
    progress.update(6);
    progress.stop();
    progress.stop();
    expect(log.text.split('\n')).toEqual([
      'demos cheetah-run: 2/6, 40.0 s elapsed, eta 1m20s (1 cached)',
      'demos cheetah-run: 6/6 done in 1m30s',
      '',
    ]);
  });
});
