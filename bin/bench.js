#!/usr/bin/env node
// Entry point of the `bench` command: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via `prepare`).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  // An error may carry its exit code (130 for Ctrl-C, bench compare's 2 for bad input); every other failure exits 1.
  process.exitCode = typeof err?.exitCode === 'number' ? err.exitCode : 1;
});
