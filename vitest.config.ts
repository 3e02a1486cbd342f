import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A poll without its own timeout waits up to 10 s (vitest's default is 1 s): the browser tests poll pages whose
    // requests take longer than that on a loaded 2-core machine, and a poll that can never pass still fails.
    expect: { poll: { timeout: 10_000 } },
    reporters: ['default'],
    // Two groups, one after the other: the unit, service and route suites two files at a time (much of their time
    // is spent waiting on PostgreSQL, PGlite or a child process), then the browser suites one at a time (each drives
    // chromium against a server of its own; side by side on 2 cores they timed out).
    projects: [
      {
        extends: true,
        test: {
          name: 'server',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/browser/**'],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
