/**
 * Stops with the signal's reason when it is aborted. Rollouts, renders and demo generation are synchronous: yielding
 * to the event loop first lets a signal handler (Ctrl-C) run and abort. No signal: returns at once, without yielding.
 */
export async function yieldAndCheckAbort(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  await new Promise((resolve) => setImmediate(resolve));
  signal.throwIfAborted();
}
