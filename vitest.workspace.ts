import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProjectInlineConfiguration } from 'vitest/config';

/** Folders of the workspace that hold one vitest project each. */
const groups = ['packages', 'examples'] as const;

function projectsIn(group: (typeof groups)[number]): TestProjectInlineConfiguration[] {
  const dir = join(import.meta.dirname, group);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'package.json')))
    .map((entry) => ({
      extends: true,
      test: {
        name: `${group === 'packages' ? '@keel/' : 'example:'}${entry.name}`,
        root: join(dir, entry.name),
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      },
    }));
}

/**
 * Every type test (`*.test-d.ts`) of the workspace in one project: one tsc run instead of one
 * per package, and vitest's "experimental typecheck" warning, printed once per project that
 * typechecks, appears once instead of once per package.
 */
function typeTestProject(): TestProjectInlineConfiguration {
  return {
    extends: true,
    test: {
      name: 'types',
      root: import.meta.dirname,
      include: [],
      typecheck: {
        enabled: true,
        only: true,
        include: [...groups.map((group) => `${group}/*/src/**/*.test-d.ts`)],
        tsconfig: join(import.meta.dirname, 'tsconfig.json'),
      },
    },
  };
}

/** Tools with tests of their own (tools/test-services has none, so it is not listed). */
const toolsWithTests = ['chaos', 'starter'] as const;

function toolProjects(): TestProjectInlineConfiguration[] {
  return toolsWithTests
    .filter((name) => existsSync(join(import.meta.dirname, 'tools', name, 'package.json')))
    .map((name) => ({
      extends: true,
      test: {
        name: `tool:${name}`,
        root: join(import.meta.dirname, 'tools', name),
        include: ['src/**/*.test.ts'],
      },
    }));
}

/**
 * The vitest projects of the monorepo: one per published package, one per example, and one per
 * tool that has tests. vitest 4 reads projects from `test.projects` in `vitest.config.ts`, which
 * imports this list.
 */
export const projects: TestProjectInlineConfiguration[] = [
  ...groups.flatMap(projectsIn),
  ...toolProjects(),
  typeTestProject(),
];

export default projects;
