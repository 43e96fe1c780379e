/** The `bench` command as bin/bench.js runs it, on the TypeScript sources (tests start it with `node --import tsx`). */
import { main } from '../../src/cli/main.js';

main(process.argv.slice(2)).catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
