/**
 * Ctrl-C (SIGINT) and SIGTERM during a long command: the first signal aborts the command's AbortSignal, so the
 * command stops at its next check point, keeps what is finished and says how to resume; a second signal exits at
 * once. The command then fails with `Interrupted`, whose exit code is the shell's 128 + signal number.
 */
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export class Interrupted extends Error {
  readonly exitCode: number;

  constructor(readonly signal: (typeof SIGNALS)[number]) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
    this.exitCode = 128 + constants.signals[signal];
  }
}

/** Runs `work` with an AbortSignal that the first SIGINT or SIGTERM aborts. */
export async function withInterrupts<T>(log: (line: string) => void, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const handlers = SIGNALS.map((signal) => {
    const handler = (): void => {
      if (controller.signal.aborted) process.exit(128 + constants.signals[signal]);
      log(`\n${signal} received: stopping at the next check point and keeping what is finished (send it again to quit at once)`);
      controller.abort(new Interrupted(signal));
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  try {
    return await work(controller.signal);
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
