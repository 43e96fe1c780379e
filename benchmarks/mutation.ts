/**
 * Mutation testing of the modules that decide the harness's numbers (`npm run mutation`): runs StrykerJS
 * (stryker.config.mjs) once per scope, then prints the mutation score of every module and the wall time.
 *
 *   npm run mutation [-- --scopes eval,results-csv] [--concurrency 2]   (run it with `nice -n 10` on a shared machine)
 *   npm run mutation -- --from-reports [--scopes ...]                    (the table of the last reports, running nothing)
 *
 * Score = detected / (detected + undetected), detected = killed or timed out, undetected = survived or not covered
 * by any test; static mutants (module-level constants) are ignored (see stryker.config.mjs). Reports:
 * reports/mutation/<scope>/index.html (every mutant with the tests that ran it) and mutation.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SCOPES as SCOPE_TABLE } from '../stryker.config.mjs';

const SCOPES = Object.keys(SCOPE_TABLE);
/** The bar every module must reach. */
const BAR = 80;

const { values } = parseArgs({
  options: { scopes: { type: 'string' }, concurrency: { type: 'string' }, 'from-reports': { type: 'boolean' }, help: { type: 'boolean' } },
});
if (values.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const scopes = values.scopes ? values.scopes.split(',') : SCOPES;
for (const scope of scopes) if (!SCOPES.includes(scope)) throw new Error(`--scopes: unknown scope '${scope}'; scopes: ${SCOPES.join(', ')}`);

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

const started = performance.now();
const rows: { scope: string; file: string; detected: number; undetected: number; seconds: number }[] = [];
/** Scopes without a report (with --from-reports). */
const unmeasured: string[] = [];
for (const scope of scopes) {
  const t0 = performance.now();
  if (!values['from-reports']) {
    const args = ['stryker', 'run', ...(values.concurrency ? ['--concurrency', values.concurrency] : [])];
    const run = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, MUTATION_SCOPE: scope } });
    if (run.status !== 0) throw new Error(`stryker (scope ${scope}) exited with status ${run.status}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const path = `reports/mutation/${scope}/mutation.json`;
  if (!existsSync(path)) {
    if (!values['from-reports']) throw new Error(`stryker (scope ${scope}) wrote no ${path}`);
    unmeasured.push(scope);
    continue;
  }
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
  for (const [file, { mutants }] of Object.entries(report.files)) {
    rows.push({
      scope,
      file,
      detected: mutants.filter((m) => DETECTED.has(m.status)).length,
      undetected: mutants.filter((m) => UNDETECTED.has(m.status)).length,
      seconds,
    });
  }
}

const score = (r: { detected: number; undetected: number }): number => (100 * r.detected) / Math.max(1, r.detected + r.undetected);
console.log(`\n${'scope'.padEnd(22)}${'module'.padEnd(52)}${'score'.padStart(7)}  detected / mutants`);
for (const r of rows) console.log(`${r.scope.padEnd(22)}${r.file.padEnd(52)}${score(r).toFixed(1).padStart(7)}  ${r.detected} / ${r.detected + r.undetected}`);
const below = rows.filter((r) => score(r) < BAR);
const minutes = (performance.now() - started) / 60_000;
const measured = scopes.filter((s) => !unmeasured.includes(s));
const times = values['from-reports'] ? 'from the last reports' : `wall time ${minutes.toFixed(1)} min (${measured.map((s) => `${s} ${(rows.find((r) => r.scope === s)!.seconds / 60).toFixed(1)}`).join(', ')})`;
console.log(`\n${rows.length} modules, ${below.length} below ${BAR}%; ${times}${unmeasured.length ? `; no report yet: ${unmeasured.join(', ')}` : ''}`);
process.exitCode = below.length === 0 && unmeasured.length === 0 ? 0 : 1;
