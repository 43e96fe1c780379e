/**
 * The measurement shared by the encoder throughput scripts: the harness path and a direct ONNX Runtime run of the
 * same graph, interleaved in one process (one warm-up each, then alternating order so that drift on a shared machine
 * hits both alike). Reports medians of wall time, the best (shortest) wall time of each path, which other processes
 * can only lengthen, the spread of the per-repetition ratios (each from two back-to-back runs), and medians of the
 * CPU time each path uses (process.cpuUsage, every ORT thread included); on a shared machine the best-of, paired and
 * CPU ratios are the steadier measures of harness overhead.
 */
export interface HarnessVsDirect {
  harnessImagesPerSec: number;
  directImagesPerSec: number;
  /** harness / direct images per second, from median wall times (>= 1: the harness is as fast). */
  ratio: number;
  /** The same from each path's best wall time. */
  bestRatio: number;
  /** Per repetition, direct / harness wall time of its two back-to-back runs: median and range over repetitions. */
  pairedRatio: { median: number; min: number; max: number };
  harnessCpuSecPerImage: number;
  directCpuSecPerImage: number;
  /** direct / harness CPU seconds per image. */
  cpuRatio: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Times `harness` and `direct` (each processing `images` frames) `iters` times each. */
export async function compareHarnessToDirect(harness: () => Promise<unknown>, direct: () => Promise<unknown>, images: number, iters: number): Promise<HarnessVsDirect> {
  const wall = { harness: [] as number[], direct: [] as number[] };
  const cpu = { harness: [] as number[], direct: [] as number[] };
  const timed = async (which: 'harness' | 'direct'): Promise<void> => {
    const c = process.cpuUsage();
    const t = performance.now();
    await (which === 'harness' ? harness() : direct());
    wall[which].push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu[which].push((used.user + used.system) / 1000);
  };
  await harness(); // warm-up: first runs allocate arenas
  await direct();
  for (let i = 0; i < iters; i++) {
    const order: ('harness' | 'direct')[] = i % 2 === 0 ? ['harness', 'direct'] : ['direct', 'harness'];
    for (const which of order) await timed(which);
  }
  const paired = wall.direct.map((d, i) => d / wall.harness[i]!);
  const harnessImagesPerSec = (images * 1000) / median(wall.harness);
  const directImagesPerSec = (images * 1000) / median(wall.direct);
  return {
    harnessImagesPerSec,
    directImagesPerSec,
    ratio: harnessImagesPerSec / directImagesPerSec,
    bestRatio: Math.min(...wall.direct) / Math.min(...wall.harness),
    pairedRatio: { median: median(paired), min: Math.min(...paired), max: Math.max(...paired) },
    harnessCpuSecPerImage: median(cpu.harness) / 1000 / images,
    directCpuSecPerImage: median(cpu.direct) / 1000 / images,
    cpuRatio: median(cpu.direct) / median(cpu.harness),
  };
}

/** The process's peak resident set so far, in MiB. */
export const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;
