// Types of the repo scripts' shared helpers (lib.mjs), for the TypeScript tools that reuse them.
import type { SpawnSyncOptions, SpawnSyncReturns } from 'node:child_process';

/** The repository's root folder. */
export const root: string;

/** The workspace folders of one group (`packages` or `examples`) that hold a package.json. */
export function workspaceDirs(group: string): string[];

/** The parsed package.json of a folder. */
export function readPackage(dir: string): Record<string, any>;

/** The published packages (not private) under packages/. */
export function publishedPackages(): { dir: string; pkg: Record<string, any> }[];

/** Runs a command with inherited output; throws when it fails. */
export function run(
  command: string,
  args: readonly string[],
  options?: SpawnSyncOptions,
): SpawnSyncReturns<Buffer>;

/**
 * Packs every published package (built first), or only those named in `only`, into `dest`;
 * returns the tarball paths by package name.
 */
export function packAll(dest: string, only?: readonly string[]): Map<string, string>;
