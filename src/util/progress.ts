/**
 * Progress of long CLI jobs, on stderr (stdout stays clean for --json and piping). On a terminal: a bar. Without one
 * (CI logs): a line when the stage ends, and one every HEARTBEAT_SECONDS while it runs, each with the elapsed time
 * and an ETA, so that a log shows where the time goes. `quiet` silences both.
 */
import cliProgress from 'cli-progress';

/** Seconds between the progress lines of a stage that is still running, without a terminal. */
export const HEARTBEAT_SECONDS = 30;

export interface ProgressOptions {
  /** Text before the bar, e.g. "demos reacher-easy". */
  label: string;
  total: number;
  /** Force silence even on a terminal. */
  quiet?: boolean;
  /** Stream to draw on; process.stderr unless given (tests pass a fake TTY). */
  stream?: NodeJS.WriteStream;
  /** Milliseconds clock (tests pass a fake one); performance.now unless given. */
  clock?: () => number;
}

export interface Progress {
  /** Sets the number of finished units; `note` replaces the short status text after the counts. */
  update(done: number, note?: string): void;
  /** Stops drawing and moves to the next line; safe to call twice. */
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

/** 4.2 s, 3m07s, 1h02m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The time left if the remaining units take as long as the finished ones did on average. */
export function estimateRemaining(elapsedSeconds: number, done: number, total: number): number {
  return done > 0 ? (elapsedSeconds / done) * (total - done) : Number.NaN;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return silent;
  if (!stream.isTTY) return lineProgress(options, stream);
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${options.label} [{bar}] {value}/{total} | {duration_formatted} elapsed, eta {eta_formatted} {note}`,
      barsize: 30,
      hideCursor: null,
      // Redraw at most 5 times a second: drawing competes with the simulation for the CPU.
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(options.total, 0, { note: '' });
  let stopped = false;
  return {
    update(done, note) {
      if (!stopped) bar.update(done, { note: note ?? '' });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

function lineProgress(options: ProgressOptions, stream: NodeJS.WritableStream): Progress {
  const clock = options.clock ?? (() => performance.now());
  const started = clock();
  let lastLine = started;
  let done = 0;
  let note = '';
  let stopped = false;
  const elapsed = (): number => (clock() - started) / 1000;
  // Notes come with or without their own parentheses ("(2 from cache)", "2 cached"); print them in one pair.
  const suffix = (): string => (note ? ` (${note.replace(/^\((.*)\)$/, '$1')})` : '');
  return {
    update(value, text) {
      if (stopped) return;
      done = value;
      note = text ?? '';
      if (clock() - lastLine < HEARTBEAT_SECONDS * 1000 || done >= options.total) return;
      lastLine = clock();
      const eta = estimateRemaining(elapsed(), done, options.total);
      stream.write(`${options.label}: ${done}/${options.total}, ${formatDuration(elapsed())} elapsed, eta ${formatDuration(eta)}${suffix()}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      stream.write(`${options.label}: ${done}/${options.total} done in ${formatDuration(elapsed())}${suffix()}\n`);
    },
  };
}
