/**
 * Feature-norm entropy of encoders on the protocol's probe set, at every bin count of the sensitivity list (50, 100,
 * 200), with what the norms were taken of; plus the cost of the probe: rendering its frames (from the cached expert
 * rollouts, or rolling them out on a cold cache) against encoding them, and peak RSS.
 *
 *   npx tsx benchmarks/entropy.ts [--encoders pixels,vit-tiny-random] [--cache-dir DIR] [--fresh] [--workers N]
 *   npx tsx benchmarks/entropy.ts --cold-workers N
 *
 * The entropies go through the same cache as `bench run` (--fresh measures them again, without reading it);
 * `--workers` rolls a cold probe out in N threads (a run uses its demo workers). `--cold-workers N` instead times
 * the probe's frames from two empty caches, in this thread and in N workers, with CPU seconds and the frames
 * checked identical (exit 1 if not).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { integerOption, listOption } from '../src/cli/option_checks.js';
import { renderProbeFrames } from '../src/data/probe_frames.js';
import { createEncoder } from '../src/encoders/registry.js';
import '../src/envs/index.js';
import { featureNormEntropy, type NormEntropy } from '../src/eval/entropy.js';
import { protocolEntropyProbe, loadOrComputeEntropy } from '../src/eval/entropy_cache.js';
import { resolveCacheDir } from '../src/util/cache_dir.js';

const { values } = parseArgs({
  options: {
    encoders: { type: 'string', default: 'pixels,vit-tiny-random' },
    'cache-dir': { type: 'string' },
    fresh: { type: 'boolean', default: false },
    workers: { type: 'string', default: '1' },
    'cold-workers': { type: 'string' },
  },
});

if (values['cold-workers'] !== undefined) {
  const workers = integerOption('cold-workers', 1)(values['cold-workers']);
  const { set } = protocolEntropyProbe();
  const root = mkdtempSync(join(tmpdir(), 'bench-probe-cold-'));
  try {
    const timed = async (threads: number) => {
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      const frames = await renderProbeFrames(set, join(root, `cache-${threads}`), (line) => console.log(line), undefined, threads);
      const used = process.cpuUsage(cpu);
      return { frames, wall: (performance.now() - t0) / 1000, cpu: (used.user + used.system) / 1e6 };
    };
    const load = loadavg()[0]!.toFixed(1);
    const one = await timed(1);
    const many = await timed(workers);
    const same = Buffer.compare(Buffer.from(one.frames.data), Buffer.from(many.frames.data)) === 0;
    console.log(`cold probe (${one.frames.n} frames, ${set.tasks.length} tasks), load ${load} -> ${loadavg()[0]!.toFixed(1)}`);
    console.log(`  this thread: ${one.wall.toFixed(1)} s wall, ${one.cpu.toFixed(1)} CPU-s`);
    console.log(`  ${workers} workers: ${many.wall.toFixed(1)} s wall, ${many.cpu.toFixed(1)} CPU-s (workers' threads included); wall ratio ${(many.wall / one.wall).toFixed(2)}`);
    console.log(`  frames identical: ${same}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    process.exitCode = same ? 0 : 1;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  process.exit();
}

const cacheDir = resolveCacheDir(values['cache-dir']);
const probe = protocolEntropyProbe(integerOption('workers', 1)(values.workers));
console.log(`probe ${probe.set.name} (${probe.set.digest.slice(0, 12)}): ${probe.set.tasks.map((t) => `${t.name}@v${t.version}`).join(', ')}`);
let t0 = performance.now();
const frames = await probe.frames(cacheDir, (line) => console.log(line));
console.log(`probe frames: ${frames.n} at ${frames.height}px in ${((performance.now() - t0) / 1000).toFixed(1)} s (rollouts from ${cacheDir}/probe when cached)`);

const rows: { encoder: string; result: NormEntropy; seconds: number; cached: boolean }[] = [];
for (const text of listOption('encoders')(values.encoders)) {
  const encoder = await createEncoder(text);
  try {
    t0 = performance.now();
    const { result, cached } = values.fresh
      ? { result: await featureNormEntropy(encoder, frames), cached: false }
      : await loadOrComputeEntropy(encoder, probe, cacheDir, async () => frames, (line) => console.log(line));
    rows.push({ encoder: text, result, seconds: (performance.now() - t0) / 1000, cached });
  } finally {
    await encoder.dispose();
  }
}

const width = Math.max(8, ...rows.map((r) => r.encoder.length)) + 2;
const bins = rows[0]?.result.byBins.map((b) => b.bins) ?? [];
console.log(`\n${'encoder'.padEnd(width)}${'source'.padEnd(30)}${bins.map((b) => `H@${b}`.padStart(8)).join('')}${bins.map((b) => `H/ln${b}`.padStart(9)).join('')}  seconds`);
for (const { encoder, result, seconds, cached } of rows) {
  const source = `${result.source}, ${result.norms / result.frames}/frame x ${result.frames}`;
  const h = result.byBins.map((b) => b.entropy.toFixed(3).padStart(8)).join('');
  const n = result.byBins.map((b) => b.entropyNormalised.toFixed(3).padStart(9)).join('');
  console.log(`${encoder.padEnd(width)}${source.padEnd(30)}${h}${n}  ${cached ? 'cached' : seconds.toFixed(1)}`);
}
console.log(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
