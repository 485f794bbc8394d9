import { describe, expect, it } from 'vitest';
import { importedPackages, packageOf, undeclaredImports } from './imports.js';

describe('importedPackages', () => {
  it('finds static, type-only, side-effect and dynamic imports by package name', () => {
    const source = [
      "import { a } from '@scope/pkg/sub';",
      "import type { B } from 'plain/deep/path';",
      "import 'side-effect';",
      "const c = await import('dynamic');",
      "import { d } from './local.js';",
      "import { e } from 'node:fs';",
      "import { f } from 'path';",
      "const args = ['--import', 'tsx'];",
    ].join('\n');
    expect(importedPackages(source)).toEqual(['@scope/pkg', 'dynamic', 'plain', 'side-effect']);
  });
});

describe('packageOf', () => {
  it('keeps the scope of a scoped package', () => {
    expect(packageOf('@keel/core')).toBe('@keel/core');
    expect(packageOf('vitest/config')).toBe('vitest');
  });
});

describe('undeclaredImports', () => {
  it('lists what neither dependencies nor devDependencies hold', () => {
    const manifest = {
      name: 'x',
      version: '1.0.0',
      dependencies: { zod: '^4' },
      devDependencies: { vitest: '~4' },
    };
    const sources = ["import { z } from 'zod';", "import { it } from 'vitest';\nimport pg from 'pg';"];
    expect(undeclaredImports(sources, manifest)).toEqual(['pg']);
  });
});
