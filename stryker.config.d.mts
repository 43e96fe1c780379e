// Types of stryker.config.mjs for the TypeScript that reads its scope table (vitest.mutation.config.ts,
// benchmarks/mutation.ts).
import type { PartialStrykerOptions } from '@stryker-mutator/api/core';

/** What each mutation scope mutates and the test files its mutants run. */
export declare const SCOPES: Record<string, { mutate: string[]; tests: string[] }>;
declare const options: PartialStrykerOptions;
export default options;
