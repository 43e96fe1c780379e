/**
 * The test configuration mutation testing runs with (stryker.config.mjs): the normal one, with test files ordered
 * so that a mutant is killed as early as possible. Stryker stops at the first failing test, so files that failed
 * last time (they tend to kill the next mutant of the same code too) go first, then the quickest; vitest's own
 * order puts the slowest first, which suits parallel runs, not bailing ones. Only the test files of the scope being
 * mutated (MUTATION_SCOPE, stryker.config.mjs) run.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';
import { SCOPES } from './stryker.config.mjs';

class QuickFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const known = (spec: TestSpecification) => cache.getFileTestResults(`${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`);
    return [...files].sort((a, b) => {
      const [ra, rb] = [known(a), known(b)];
      if (!ra || !rb) return ra ? 1 : rb ? -1 : 0;
      if (ra.failed !== rb.failed) return ra.failed ? -1 : 1;
      return ra.duration - rb.duration;
    });
  }
}

// Mutants run at low priority on a shared machine, where the slowest end-to-end tests can take several times their
// usual time; a test timing out must mean a mutant looped, not that the machine was busy.
const scope = process.env.MUTATION_SCOPE;
const include = scope ? SCOPES[scope]!.tests : Object.values(SCOPES).flatMap((s) => s.tests);

// mergeConfig would append `include` to the base's pattern; the scope's list replaces it.
const merged = mergeConfig(
  base,
  defineConfig({ test: { sequence: { sequencer: QuickFirstSequencer }, testTimeout: 600_000, hookTimeout: 600_000 } }),
);
export default { ...merged, test: { ...merged.test, include: [...new Set(include)] } };
