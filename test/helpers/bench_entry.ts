// The `bench` entry point on the TypeScript sources (bin/bench.js runs the build): same messages and exit codes.
import { main } from '../../src/cli/main.js';

main(process.argv.slice(2)).catch((err: Error & { exitCode?: number }) => {
  console.error(`bench: ${err.message}`);
  process.exitCode = typeof err.exitCode === 'number' ? err.exitCode : 1;
});
