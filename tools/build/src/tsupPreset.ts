import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Options } from 'tsup';

/** The `exports` map of a package.json, as far as the preset reads it. */
type ExportsMap = Readonly<Record<string, string | Readonly<Record<string, unknown>>>>;

/**
 * The source entry files of a package: the `@keel/source` condition of every subpath export of
 * its package.json. Deriving them keeps one place (the exports map) that says what a package
 * publishes, so adding a subpath cannot forget its build entry.
 *
 * @param packageDir The package folder (where its package.json is).
 * @returns The entries relative to the package folder, e.g. `['src/index.ts', 'src/testing.ts']`.
 * @throws {Error} when the package has no subpath export with a `@keel/source` condition.
 */
export function sourceEntries(packageDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    readonly name?: string;
    readonly exports?: ExportsMap;
  };
  const entries = Object.values(manifest.exports ?? {})
    .map((target) => (typeof target === 'object' ? target['@keel/source'] : undefined))
    .filter((source): source is string => typeof source === 'string')
    .map((source) => source.replace(/^\.\//, ''));
  if (entries.length === 0) {
    throw new Error(
      `${manifest.name ?? packageDir}: no export has a "@keel/source" condition to build from.`,
    );
  }
  return entries;
}

/**
 * The build of every published package: ESM and CJS with declarations and source maps for
 * Node 20, from the entries its exports map names. A package's `tsup.config.ts` is one call.
 *
 * @param packageDir The package folder; tsup runs in it, so the default is the working directory.
 * @returns The tsup options.
 * @example
 * ```ts
 * import { keelPackage } from '../../tools/build/src/tsupPreset.js';
 *
 * export default keelPackage();
 * ```
 */
export function keelPackage(packageDir: string = process.cwd()): Options {
  return {
    entry: sourceEntries(packageDir),
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    tsconfig: '../../tsconfig.build.json',
  };
}
