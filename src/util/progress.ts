/**
 * A progress bar for long CLI jobs. It draws on stderr (stdout stays clean for --json and piping) and draws
 * nothing when stderr is not a terminal (CI logs, tests) or when the caller asks for quiet.
 */
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  /** Text before the bar, e.g. "demos reacher-easy". */
  label: string;
  total: number;
  /** Force silence even on a terminal. */
  quiet?: boolean;
  /** Stream to draw on; process.stderr unless given (tests pass a fake TTY). */
  stream?: NodeJS.WriteStream;
}

export interface Progress {
  /** Sets the number of finished units; `note` replaces the short status text after the counts. */
  update(done: number, note?: string): void;
  /** Stops drawing and moves to the next line; safe to call twice. */
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet || !stream.isTTY) return silent;
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
