import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStarter } from './createStarter.js';
import type { PackageJson } from './manifest.js';
import { readWorkspace } from './workspace.js';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'keel-starter-test-'));
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

const read = (file: string): string => readFileSync(file, 'utf8');
const readJson = <T>(file: string): T => JSON.parse(read(file)) as T;

/** Empty stand-ins for packed tarballs, one per published package. */
function fakeTarballs(): Map<string, string> {
  const dir = join(work, 'packs');
  mkdirSync(dir);
  const tarballs = new Map<string, string>();
  for (const [name, pkg] of readWorkspace().packages) {
    const file = join(dir, `${name.slice(1).replace('/', '-')}-${pkg.version}.tgz`);
    writeFileSync(file, '');
    tarballs.set(name, file);
  }
  return tarballs;
}

describe('createStarter', () => {
  it('copies the example with a standalone package.json, tsconfig, vitest config and README', () => {
    const dir = join(work, 'orders');
    createStarter('ddd-orders', dir);
    const manifest = readJson<PackageJson>(join(dir, 'package.json'));
    expect(manifest.name).toBe('orders');
    expect(manifest.dependencies?.['@keel/ddd']).toMatch(/^\^\d+\.\d+\.\d+/);
    expect(existsSync(join(dir, 'src', 'main.ts'))).toBe(true);
    expect(readJson<{ extends?: string }>(join(dir, 'tsconfig.json')).extends).toBeUndefined();
    expect(read(join(dir, 'vitest.config.ts'))).toContain('testTimeout: 30000');
    expect(read(join(dir, 'README.md'))).toMatch(
      /^> This project was made from Keel's `examples\/ddd-orders`/,
    );
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
  });

  it('vendors only the needed tarballs and depends on them by relative file: paths', () => {
    const dir = join(work, 'orders');
    createStarter('ddd-orders', dir, { tarballs: fakeTarballs() });
    const manifest = readJson<PackageJson>(join(dir, 'package.json'));
    expect(Object.keys(manifest.overrides ?? {})).toEqual(['@keel/core', '@keel/ddd']);
    for (const spec of Object.values(manifest.overrides ?? {})) {
      expect(spec).toMatch(/^file:vendor\/keel-(core|ddd)-.+\.tgz$/);
      expect(existsSync(join(dir, spec.slice('file:'.length)))).toBe(true);
    }
  });

  it('copies the private test tools an example uses and strips the source condition from its code', () => {
    const dir = join(work, 'saga');
    const { localTools } = createStarter('order-saga', dir);
    expect([...localTools.values()]).toEqual(['local/test-services']);
    expect(existsSync(join(dir, 'local', 'test-services', 'src', 'index.ts'))).toBe(true);
    expect(read(join(dir, 'src', 'distributed', 'serviceProcess.ts'))).not.toContain('@keel/source');
    expect(read(join(dir, 'package.json'))).not.toContain('@keel/source');
  });

  it('refuses a folder that already holds files', () => {
    writeFileSync(join(work, 'keep.txt'), 'mine');
    expect(() => createStarter('ddd-orders', work)).toThrow(/is not empty/);
    expect(read(join(work, 'keep.txt'))).toBe('mine');
  });

  it('refuses an example that does not exist, naming it', () => {
    expect(() => createStarter('no-such-example', join(work, 'x'))).toThrow(
      /There is no example "no-such-example"/,
    );
  });
});
