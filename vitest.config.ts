import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // MuJoCo's WASM heap and ORT sessions are per process; forks isolate them per test file.
    pool: 'forks',
    // Two files at once: vitest's default (one fewer than the cores) runs files one after another on a 2-core CI
    // machine, while most files spend part of their time waiting on child processes or the file system. No test
    // depends on running alone (none asserts a duration).
    maxWorkers: 2,
  },
});
