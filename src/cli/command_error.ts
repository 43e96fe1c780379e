/** An error that ends a command with its own exit code (bin/bench.js exits 1 for any other error). */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Runs `body`; any error it throws becomes a CommandError with `exitCode`, its message kept. */
export function withExitCode<T>(exitCode: number, body: () => T): T {
  try {
    return body();
  } catch (err) {
    throw err instanceof CommandError ? err : new CommandError(err instanceof Error ? err.message : String(err), exitCode);
  }
}
