import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPackageLayout } from '../../../scripts/check-layout.mjs';

// The layout rules of docs/design.md ("Inside a package"), checked by scripts/check-layout.mjs.

let dir: string;
const write = (path: string, text = 'export const x = 1;\n') => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
};
const manifest = {
  name: '@keel/sample',
  exports: {
    '.': { '@keel/source': './src/index.ts' },
    './testing': { '@keel/source': './src/testing.ts' },
  },
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keel-layout-'));
  write('package.json', JSON.stringify(manifest));
  write('src/index.ts', "export * from './a/thing.js';\n");
  write('src/testing.ts', "export * from './testing/contract.js';\n");
  write('src/a/thing.ts', "import { y } from '../internal/util.js';\nexport const x = y;\n");
  write('src/internal/util.ts', 'export const y = 1;\n');
  write('src/testing/contract.ts');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('check-layout', () => {
  it('accepts shipped files, tests, fixtures, suites and snippets', () => {
    write('src/a/thing.test.ts');
    write('src/a/thing.test-d.ts');
    write('src/a/world.fixture.ts');
    write('src/a/store.suite.ts');
    write('src/readme/quickStart.snippet.ts');
    expect(checkPackageLayout(dir, dir)).toEqual([]);
  });

  it('names a test-only file with a production name, wherever it is', () => {
    write('src/a/storeBehaviour.ts');
    write('src/internal/testDatabase.ts');
    const files = checkPackageLayout(dir, dir).map((violation) => violation.file);
    expect(files).toEqual(['src/a/storeBehaviour.ts', 'src/internal/testDatabase.ts']);
  });

  it('names both files when two share a name in different folders, tests included', () => {
    write('src/b/thing.ts');
    write('src/a/x.test.ts');
    write('src/b/x.test.ts');
    const violations = checkPackageLayout(dir, dir).filter((v) => v.message.startsWith('shares'));
    expect(violations.map((violation) => violation.file).sort()).toEqual([
      'src/a/thing.ts',
      'src/a/x.test.ts',
      'src/b/thing.ts',
      'src/b/x.test.ts',
    ]);
    expect(violations[0]?.message).toMatch(/with src\/b\/thing\.ts/);
  });
});
