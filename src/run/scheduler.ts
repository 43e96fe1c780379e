/**
 * Which cells of a run run at the same time. Cells run as interleaved async work on the main thread, so running
 * two at once pays only where a cell waits on other threads: one cell's training (main thread) then overlaps
 * another's evaluation rollouts and demo-frame rendering (env worker threads) or demo generation (demo workers).
 *
 * Rules, whatever the number of jobs:
 * - never two cells of one task at once: they share the task's envs, demos and features;
 * - a cell of a heavy encoder runs alone: ONNX Runtime already spreads one encoder call over every core, and
 *   another cell would only take cores from it.
 * An encoder is cheap when one frame costs less to encode than to render (both measured at the start of the run,
 * `measureEncoderLoad`): its cells are then bound by the simulator and the policy, which other threads or the
 * other cell can overlap. `--jobs N` overrides the measurement: N cells at once for every encoder (still never two
 * of one task). Scores do not depend on the schedule: every cell's numbers come from its own seeds (tested).
 */
import { availableParallelism } from 'node:os';

/** How many cells run at once, and which must run alone. */
export interface CellSchedule<C> {
  /** Cells at once, at most. */
  jobs: number;
  /** The task of a cell (two cells of one task never overlap). */
  taskOf: (cell: C) => string;
  /** Whether the cell must run with no other. */
  alone: (cell: C) => boolean;
}

/** A heavy or cheap encoder, from its measured per-frame costs. */
export interface EncoderLoad {
  encoder: string;
  encodeSecondsPerFrame: number;
  renderSecondsPerFrame: number;
  cheap: boolean;
}

export function encoderLoad(encoder: string, encodeSecondsPerFrame: number, renderSecondsPerFrame: number): EncoderLoad {
  return { encoder, encodeSecondsPerFrame, renderSecondsPerFrame, cheap: encodeSecondsPerFrame < renderSecondsPerFrame };
}

/**
 * The default number of jobs: 2 where cells have other threads to overlap (env workers on a machine with at least
 * two cores), else 1 (on one thread, two cells only take turns).
 */
export function defaultJobs(envWorkers: number, cores = availableParallelism()): number {
  return envWorkers > 0 && cores >= 2 ? 2 : 1;
}

/**
 * Runs `run(cell, index)` for every cell under `schedule`, starting cells in plan order and letting a cell that
 * cannot start yet (its task is running) be overtaken by the next one that can. When a run throws, no further cell
 * starts; the running ones finish (their results are kept) and the first error is thrown.
 */
export async function runScheduled<C>(cells: readonly C[], schedule: CellSchedule<C>, run: (cell: C, index: number) => Promise<void>): Promise<void> {
  if (!Number.isInteger(schedule.jobs) || schedule.jobs < 1) throw new Error(`--jobs: expected a positive integer, got ${schedule.jobs}`);
  const pending = [...cells.keys()];
  const running = new Map<number, Promise<void>>();
  let failure: { error: unknown } | null = null;
  const fits = (i: number): boolean => {
    const cell = cells[i]!;
    if (running.size >= schedule.jobs) return false;
    if (running.size > 0 && schedule.alone(cell)) return false;
    for (const j of running.keys()) {
      if (schedule.alone(cells[j]!) || schedule.taskOf(cells[j]!) === schedule.taskOf(cell)) return false;
    }
    return true;
  };
  while ((pending.length > 0 && !failure) || running.size > 0) {
    for (let p = 0; p < pending.length && !failure; ) {
      const i = pending[p]!;
      if (!fits(i)) {
        p++;
        continue;
      }
      pending.splice(p, 1);
      const work = run(cells[i]!, i).then(
        () => undefined,
        (error: unknown) => {
          failure ??= { error };
        },
      );
      running.set(
        i,
        work.finally(() => running.delete(i)),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (failure) throw (failure as { error: unknown }).error;
}
