import { describe, expect, it } from 'vitest';
import { keelClosure, starterManifest, starterName, withoutSourceCondition } from './manifest.js';
import type { PackageJson, Workspace } from './manifest.js';

const pkg = (name: string, fields: Partial<PackageJson> = {}): PackageJson => ({
  name,
  version: '0.3.1',
  ...fields,
});

const workspace: Workspace = {
  packages: new Map([
    ['@keel/core', pkg('@keel/core', { dependencies: { uuid: '^14.0.0' } })],
    ['@keel/cqrs', pkg('@keel/cqrs', { dependencies: { '@keel/core': 'workspace:^' } })],
    [
      '@keel/nats',
      pkg('@keel/nats', {
        dependencies: { '@keel/core': 'workspace:^', '@keel/cqrs': 'workspace:^' },
        peerDependencies: { '@nats-io/transport-node': '^3.0.0' },
      }),
    ],
    [
      '@keel/postgres',
      pkg('@keel/postgres', {
        dependencies: { '@keel/cqrs': 'workspace:^' },
        peerDependencies: { pg: '^8.11.0', '@electric-sql/pglite': '>=0.3.0', vitest: '>=3' },
        peerDependenciesMeta: {
          pg: { optional: true },
          '@electric-sql/pglite': { optional: true },
          vitest: { optional: true },
        },
      }),
    ],
  ]),
  tools: new Map([['@keel/test-services', '/repo/tools/test-services']]),
  root: pkg('root', {
    engines: { node: '>=20.19' },
    devDependencies: {
      tsx: '^4.20.0',
      typescript: '~6.0.3',
      vitest: '~4.1.0',
      '@types/node': '^20.19.0',
      eslint: '^10',
    },
  }),
};

const example = pkg('@keel-examples/orders', {
  private: true,
  scripts: { start: 'tsx --conditions=@keel/source src/main.ts' },
  dependencies: { '@keel/postgres': 'workspace:*', '@keel/nats': 'workspace:*', zod: '^4.1.0' },
  devDependencies: { tsx: '^4.21.0', '@keel/test-services': 'workspace:*' },
});

const registry = { kind: 'registry' } as const;

describe('starterManifest', () => {
  it('depends on the @keel packages by a caret range of their workspace version', () => {
    const { manifest } = starterManifest(example, workspace, { name: 'shop', source: registry });
    expect(manifest.dependencies?.['@keel/postgres']).toBe('^0.3.1');
    expect(manifest.dependencies?.['@keel/nats']).toBe('^0.3.1');
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
  });

  it('points every needed @keel package, transitive ones too, at its tarball through overrides', () => {
    const tarballs = new Map(
      ['@keel/core', '@keel/cqrs', '@keel/nats', '@keel/postgres'].map((name) => [
        name,
        `vendor/${name.slice(6)}.tgz`,
      ]),
    );
    const { manifest } = starterManifest(example, workspace, {
      name: 'shop',
      source: { kind: 'local', tarballs },
    });
    expect(manifest.dependencies?.['@keel/nats']).toBe('file:vendor/nats.tgz');
    expect(manifest.overrides).toEqual({
      '@keel/core': 'file:vendor/core.tgz',
      '@keel/cqrs': 'file:vendor/cqrs.tgz',
      '@keel/nats': 'file:vendor/nats.tgz',
      '@keel/postgres': 'file:vendor/postgres.tgz',
    });
  });

  it('refuses a local starter when a needed package has no tarball', () => {
    const tarballs = new Map([['@keel/postgres', 'vendor/postgres.tgz']]);
    expect(() =>
      starterManifest(example, workspace, { name: 'shop', source: { kind: 'local', tarballs } }),
    ).toThrow(/No packed tarball for @keel\/nats/);
  });

  it('lists required peers and both database drivers, but not other optional peers', () => {
    const { manifest } = starterManifest(example, workspace, { name: 'shop', source: registry });
    expect(manifest.dependencies).toMatchObject({
      '@nats-io/transport-node': '^3.0.0',
      pg: '^8.11.0',
      '@electric-sql/pglite': '>=0.3.0',
    });
    expect(manifest.dependencies).not.toHaveProperty('vitest');
  });

  it("lists tsx, typescript, vitest and @types/node, keeping the example's own version", () => {
    const { manifest } = starterManifest(example, workspace, { name: 'shop', source: registry });
    expect(manifest.devDependencies).toMatchObject({
      tsx: '^4.21.0',
      typescript: '~6.0.3',
      vitest: '~4.1.0',
      '@types/node': '^20.19.0',
    });
    expect(manifest.devDependencies).not.toHaveProperty('eslint');
  });

  it('replaces a private workspace tool with a file: dependency on its copy under local/', () => {
    const result = starterManifest(example, workspace, { name: 'shop', source: registry });
    expect(result.manifest.devDependencies?.['@keel/test-services']).toBe('file:./local/test-services');
    expect([...result.localTools]).toEqual([['@keel/test-services', 'local/test-services']]);
  });

  it('drops the source condition from scripts and adds test and typecheck', () => {
    const { manifest } = starterManifest(example, workspace, { name: 'shop', source: registry });
    expect(manifest.scripts).toEqual({
      start: 'tsx src/main.ts',
      test: 'vitest run',
      typecheck: 'tsc --noEmit',
    });
  });

  it('names the starter, keeps it private and copies the engines of the repository', () => {
    const { manifest } = starterManifest(example, workspace, { name: 'shop', source: registry });
    expect(manifest).toMatchObject({
      name: 'shop',
      private: true,
      type: 'module',
      engines: { node: '>=20.19' },
    });
  });

  it('refuses a workspace dependency that is neither a published package nor a tool', () => {
    const odd = pkg('odd', { dependencies: { '@keel/benchmarks': 'workspace:*' } });
    expect(() => starterManifest(odd, workspace, { name: 'odd', source: registry })).toThrow(
      /@keel\/benchmarks/,
    );
  });
});

describe('keelClosure', () => {
  it('follows dependencies to every @keel package once, sorted', () => {
    expect(keelClosure(['@keel/postgres', '@keel/nats'], workspace.packages)).toEqual([
      '@keel/core',
      '@keel/cqrs',
      '@keel/nats',
      '@keel/postgres',
    ]);
  });
});

describe('starterName', () => {
  it('uses the last folder name, made npm-safe', () => {
    expect(starterName('/tmp/My Shop/')).toBe('my-shop');
    expect(starterName('C:\\work\\_Orders')).toBe('orders');
    expect(starterName('/')).toBe('keel-starter');
  });
});

describe('withoutSourceCondition', () => {
  it('removes the flag in both spellings and leaves other arguments alone', () => {
    expect(withoutSourceCondition('tsx --conditions=@keel/source src/a.ts')).toBe('tsx src/a.ts');
    expect(withoutSourceCondition('node --conditions @keel/source --import tsx b.ts')).toBe(
      'node --import tsx b.ts',
    );
    expect(withoutSourceCondition('tsx --conditions=development c.ts')).toBe(
      'tsx --conditions=development c.ts',
    );
  });
});
