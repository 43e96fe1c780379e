/**
 * Feature-norm entropy of encoders on the protocol's probe set, at every bin count of the sensitivity list (50, 100,
 * 200), with what the norms were taken of; plus the cost of the probe: rendering its frames (from the cached expert
 * rollouts, or rolling them out on a cold cache) against encoding them, and peak RSS.
 *
 *   npx tsx benchmarks/entropy.ts [--encoders pixels,vit-tiny-random] [--cache-dir DIR] [--fresh]
 *
 * The entropies go through the same cache as `bench run` (--fresh measures them again, without reading it).
 */
import { parseArgs } from 'node:util';
import { listOption } from '../src/cli/option_checks.js';
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
  },
});

const cacheDir = resolveCacheDir(values['cache-dir']);
const probe = protocolEntropyProbe();
console.log(`probe ${probe.set.name} (${probe.set.digest.slice(0, 12)}): ${probe.set.tasks.map((t) => `${t.name}@v${t.version}`).join(', ')}`);
let t0 = performance.now();
const frames = await renderProbeFrames(probe.set, cacheDir, (line) => console.log(line));
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
