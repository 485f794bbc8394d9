import { defineConfig } from 'vitest/config';
import { projects } from './vitest.workspace.js';

/** Resolve workspace packages to their TypeScript source so tests need no build first. */
const sourceConditions = ['@keel/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@keel/source'] } },
  test: {
    projects,
    // Contract suites (`@keel/*/testing`) register through the runner's globals when no runner is
    // passed, as under Jest, Mocha or Bun.
    globals: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
