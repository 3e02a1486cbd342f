import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A poll without its own timeout waits up to 10 s (vitest's default is 1 s): the browser tests poll pages whose
    // requests take longer than that on a loaded 2-core machine, and a poll that can never pass still fails.
    expect: { poll: { timeout: 10_000 } },
    reporters: ['default'],
  },
});
