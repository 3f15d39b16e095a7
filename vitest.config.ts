import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most of a test's time is spent in child processes (the CLI) and database servers, not in
    // the worker: three files at a time keep the 2-core machines busy without starving them.
    maxWorkers: 3,
    reporters: ['default'],
    // test/pack gets its own project so that its global setup (`npm pack`, which builds) runs
    // only when one of its files is in the run. Each project's `include` is its own (extended
    // projects would merge a root-level one into theirs).
    projects: [
      { extends: true, test: { name: 'tidemark', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/pack/**'] } },
      // One file at a time: each runs npm and tsc in child processes, and shares the machine's cores with them.
      { extends: true, test: { name: 'pack', include: ['test/pack/**/*.test.ts'], globalSetup: ['test/pack/global-setup.ts'], fileParallelism: false } },
    ],
  },
});
