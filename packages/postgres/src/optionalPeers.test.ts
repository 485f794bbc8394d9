import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// @keel/saga and @keel/cqrs are optional peers: the entry point may name their types (erased at
// build) but must never import one of their values, or a service without them fails to load.
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

describe('the @keel/postgres entry point', () => {
  const imports = importsReachableFrom(join(source, 'index.ts'));

  it('reaches the saga and idempotency stores, which name the optional peers types', () => {
    const peers = imports.filter((entry) => isOptionalPeer(entry.specifier));
    expect(peers.map((entry) => entry.file)).toEqual(
      expect.arrayContaining(['saga/postgresSagaStore.ts', 'cqrs/postgresIdempotencyStore.ts']),
    );
  });

  it('imports only types from @keel/saga and @keel/cqrs, so it loads without them', () => {
    const valueImports = imports.filter((entry) => isOptionalPeer(entry.specifier) && !entry.typeOnly);
    expect(valueImports).toEqual([]);
  });
});
