// The `bench` entry point on the TypeScript sources (bin/bench.js runs the build): same messages and exit codes. One
// piece differs: entropy is measured on a small synthetic probe, as in the tests' runBenchmark calls (the protocol's
// probe renders expert rollouts of every cortexbench task, a minute of work; entropy_probe.test.ts tests it).
import { main } from '../../src/cli/main.js';
import { syntheticProbeDeps } from './synthetic_probe.js';

main(process.argv.slice(2), syntheticProbeDeps).catch((err: Error & { exitCode?: number }) => {
  console.error(`bench: ${err.message}`);
  process.exitCode = typeof err.exitCode === 'number' ? err.exitCode : 1;
});
