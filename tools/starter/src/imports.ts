import { builtinModules } from 'node:module';
import type { PackageJson } from './manifest.js';

const BUILTINS = new Set(builtinModules);

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Package names imported (statically or with `import()`) by one source file, not relative ones. */
export function importedPackages(source: string): string[] {
  const found = new Set<string>();
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"\s]+)\1/g;
  for (const match of source.matchAll(pattern)) {
    const specifier = match[2] ?? '';
    if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) continue;
    const name = packageOf(specifier);
    if (!BUILTINS.has(name)) found.add(name);
  }
  return [...found].sort();
}

/**
 * Packages the sources import that the manifest does not list (dependencies or
 * devDependencies): a starter with any of them would fail on a clean install, sorted.
 */
export function undeclaredImports(sources: Iterable<string>, manifest: PackageJson): string[] {
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.devDependencies ?? {}),
  ]);
  const missing = new Set<string>();
  for (const source of sources) {
    for (const name of importedPackages(source)) if (!declared.has(name)) missing.add(name);
  }
  return [...missing].sort();
}
