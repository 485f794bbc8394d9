import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// @keel/saga and @keel/cqrs are optional peers. The main entry point must not name them at all
// (not even a type: its declarations would then fail to compile for a service without them
// under `skipLibCheck: false`); the saga and idempotency stores live behind their own entry
// points, `./saga` and `./cqrs`, which need their peer and nothing else optional.
const OPTIONAL_PEERS = ['@keel/saga', '@keel/cqrs'];
const source = dirname(fileURLToPath(import.meta.url));
const STATEMENT = /^(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)';/gm;

interface ModuleImport {
  readonly file: string;
  readonly specifier: string;
  readonly typeOnly: boolean;
}

/** Every import and re-export of the modules reachable from `entry`, following relative paths. */
function importsReachableFrom(entry: string): ModuleImport[] {
  const seen = new Set<string>();
  const found: ModuleImport[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, , type, specifier] of readFileSync(file, 'utf8').matchAll(STATEMENT)) {
      if (specifier === undefined) continue;
      found.push({ file: relative(source, file), specifier, typeOnly: type !== undefined });
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  };
  visit(entry);
  return found;
}

const isOptionalPeer = (specifier: string): boolean =>
  OPTIONAL_PEERS.some((peer) => specifier === peer || specifier.startsWith(`${peer}/`));

describe('the @keel/postgres entry points', () => {
  it('main: reaches nothing of @keel/saga or @keel/cqrs, not even a type', () => {
    const peers = importsReachableFrom(join(source, 'index.ts')).filter((entry) =>
      isOptionalPeer(entry.specifier),
    );
    expect(peers).toEqual([]);
  });

  it('./saga reaches @keel/saga and not @keel/cqrs; ./cqrs reaches @keel/cqrs and not @keel/saga', () => {
    const peersOf = (entry: string) =>
      new Set(
        importsReachableFrom(join(source, entry))
          .filter((found) => isOptionalPeer(found.specifier))
          .map((found) => found.specifier.split('/').slice(0, 2).join('/')),
      );
    expect([...peersOf('saga.ts')]).toEqual(['@keel/saga']);
    expect([...peersOf('cqrs.ts')]).toEqual(['@keel/cqrs']);
  });
});
