/**
 * Preloaded into a `bench` child process (`node --import tsx --import ./test/helpers/crash_points.ts`) by the kill
 * test, to make a crash land exactly where the test wants it. Both hooks are off unless their variable is set.
 *
 * BENCH_TEST_CRASH_WRITE=REGEX:N  the N-th atomic write of a file whose final path matches REGEX is cut short: its
 *                                 temporary file is truncated to half its bytes and the process SIGKILLs itself
 *                                 before the rename, which is what a crash in the middle of the write leaves.
 * BENCH_TEST_HOLD_LOG=REGEX       after printing a log line that matches REGEX the process stops (for up to 60 s),
 *                                 so the test can SIGKILL it at that point from outside.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';

const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');

const crash = process.env.BENCH_TEST_CRASH_WRITE;
if (crash) {
  const split = crash.lastIndexOf(':');
  const pattern = new RegExp(crash.slice(0, split));
  let remaining = Number(crash.slice(split + 1));
  const rename = fs.renameSync;
  fs.renameSync = (from, to) => {
    if (pattern.test(String(to)) && --remaining === 0) {
      fs.truncateSync(from, Math.floor(fs.statSync(from).size / 2));
      process.kill(process.pid, 'SIGKILL');
    }
    rename(from, to);
  };
  syncBuiltinESMExports();
}

const hold = process.env.BENCH_TEST_HOLD_LOG;
if (hold) {
  const pattern = new RegExp(hold);
  const log = console.log.bind(console);
  console.log = (...args: unknown[]) => {
    log(...args);
    if (pattern.test(args.map(String).join(' '))) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  };
}
