import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEPENDENCY_TABLE,
  checkWorkspace,
  findCycles,
  forbiddenBy,
  formatViolation,
  importsOf,
  packageOf,
} from '../../../scripts/check-dependencies.mjs';

// The dependency table of DESIGN.md, checked by scripts/check-dependencies.mjs (a CI step).

const row = (name: string) => {
  const found = DEPENDENCY_TABLE[name];
  if (!found) throw new Error(`no row for ${name}`);
  return found;
};

describe('check-dependencies: reading imports', () => {
  it('names the package of a bare specifier and nothing for local or built-in modules', () => {
    expect(packageOf('@keel/core/testing')).toBe('@keel/core');
    expect(packageOf('lodash/fp')).toBe('lodash');
    expect(packageOf('node:fs')).toBeUndefined();
    expect(packageOf('fs')).toBeUndefined();
    expect(packageOf('./x.js')).toBeUndefined();
    expect(packageOf('#internal')).toBeUndefined();
  });

  it('finds static, type-only, re-exported, dynamic and type-position imports with their lines', () => {
    const text = [
      "import { a } from 'a';",
      "import type { B } from 'b';",
      "export { c } from 'c';",
      "const d = await import('d');",
      "type E = import('e').E;",
      "const f = require('f');",
      "// import { g } from 'g';",
    ].join('\n');
    expect(importsOf(text)).toEqual([
      { specifier: 'a', line: 1, typeOnly: false },
      { specifier: 'b', line: 2, typeOnly: true },
      { specifier: 'c', line: 3, typeOnly: false },
      { specifier: 'd', line: 4, typeOnly: false },
      { specifier: 'e', line: 5, typeOnly: true },
      { specifier: 'f', line: 6, typeOnly: false },
    ]);
  });
});

describe('check-dependencies: the table', () => {
  it('allows what the rows of DESIGN.md allow', () => {
    expect(forbiddenBy(row('@keel/eventsourcing'), '@keel/ddd')).toBeUndefined();
    expect(forbiddenBy(row('@keel/postgres'), '@keel/saga')).toBeUndefined();
    expect(forbiddenBy(row('@keel/http'), '@keel/cqrs')).toBeUndefined();
    expect(forbiddenBy(row('@keel/opentelemetry'), '@keel/http')).toBeUndefined();
    expect(forbiddenBy(row('@keel/core'), 'uuid')).toBeUndefined();
    expect(forbiddenBy(row('@keel/postgres'), 'pg')).toBeUndefined();
  });

  it('forbids what the rows leave out, and database clients in the pattern packages', () => {
    expect(forbiddenBy(row('@keel/core'), '@keel/ddd')).toMatch(/allows no package of ours/);
    expect(forbiddenBy(row('@keel/core'), 'zod')).toMatch(/no external package but uuid/);
    expect(forbiddenBy(row('@keel/cqrs'), '@keel/resilience')).toMatch(/allows @keel\/core$/);
    expect(forbiddenBy(row('@keel/nats'), '@keel/postgres')).toBeDefined();
    expect(forbiddenBy(row('@keel/scaling'), 'ioredis')).toMatch(/database client/);
  });

  it('has an acyclic table', () => {
    const graph = new Map(Object.entries(DEPENDENCY_TABLE).map(([name, r]) => [name, r.allowed]));
    expect(findCycles(graph)).toEqual([]);
  });

  it('finds a cycle with its path', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b', 'c', 'a']]);
  });
});

describe('check-dependencies: a violating workspace', () => {
  let root: string;
  const write = (path: string, content: unknown) => {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  };
  const manifest = (name: string, fields: Record<string, unknown> = {}) => ({
    name,
    exports: { '.': { '@keel/source': './src/index.ts', import: './dist/index.js' } },
    ...fields,
  });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'keel-deps-'));
    write('package.json', { devDependencies: { vitest: '*' } });
    // core: a shipped type-only import of ddd (forbidden, and a cycle); tests may use devDeps.
    write(
      'packages/core/package.json',
      manifest('@keel/core', { devDependencies: { '@keel/ddd': '*', zod: '*' } }),
    );
    write('packages/core/src/index.ts', "export { entityOf } from './entity/entityOf.js';\n");
    write(
      'packages/core/src/entity/entityOf.ts',
      "\nimport type { Entity } from '@keel/ddd';\nexport const entityOf = (e: Entity) => e;\n",
    );
    write('packages/core/src/entity/entityOf.test.ts', "import { it } from 'vitest';\nimport '@keel/ddd';\n");
    write('packages/core/src/entity/helper.fixture.ts', "import { z } from 'zod';\n");
    write('packages/core/src/entity/unshipped.ts', "import { it } from 'vitest';\n");
    // ddd: allowed core, but an undeclared external in shipped code, and a test import undeclared.
    write('packages/ddd/package.json', manifest('@keel/ddd', { dependencies: { '@keel/core': '*' } }));
    write('packages/ddd/src/index.ts', "import { k } from '@keel/core';\nimport l from 'lodash/fp';\n");
    write('packages/ddd/src/index.test.ts', "import x from 'left-pad';\n");
    // cqrs declares a runtime dependency its row forbids; widgets has no row.
    write(
      'packages/cqrs/package.json',
      manifest('@keel/cqrs', { peerDependencies: { '@keel/resilience': '*' } }),
    );
    write('packages/cqrs/src/index.ts', 'export {};\n');
    write('packages/widgets/package.json', manifest('@keel/widgets'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reports every violation with its file, line and import', () => {
    const lines = checkWorkspace(root).map(formatViolation);
    expect(lines).toEqual([
      'packages/core/src/entity/entityOf.ts:2: a type-only import of "@keel/ddd", which @keel/core may not depend on: its row of the dependency table allows no package of ours.',
      'packages/cqrs/package.json: peerDependencies lists "@keel/resilience", but @keel/cqrs may not depend on it: its row of the dependency table allows @keel/core.',
      'packages/ddd/src/index.test.ts:1: an import of "left-pad", but @keel/ddd does not declare "left-pad" in any dependency field.',
      'packages/ddd/src/index.ts:2: an import of "lodash/fp", but @keel/ddd does not declare "lodash" in dependencies or peerDependencies.',
      'packages/widgets/package.json: @keel/widgets has no row in the dependency table of scripts/check-dependencies.mjs (add it, as DESIGN.md does).',
      'packages: the packages depend on each other in a cycle: @keel/core -> @keel/ddd -> @keel/core.',
    ]);
  });

  it('accepts the workspace once the violations are gone', () => {
    write('packages/core/src/entity/entityOf.ts', 'export const entityOf = (e: unknown) => e;\n');
    write(
      'packages/ddd/package.json',
      manifest('@keel/ddd', {
        dependencies: { '@keel/core': '*', lodash: '*' },
        devDependencies: { 'left-pad': '*' },
      }),
    );
    write('packages/cqrs/package.json', manifest('@keel/cqrs', { dependencies: { '@keel/core': '*' } }));
    rmSync(join(root, 'packages/widgets'), { recursive: true });
    expect(checkWorkspace(root)).toEqual([]);
  });
});
