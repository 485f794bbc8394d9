/** Compiler options that only make sense inside the monorepo (its source condition, its build). */
const MONOREPO_ONLY_OPTIONS = new Set([
  'customConditions',
  'declaration',
  'declarationMap',
  'sourceMap',
  'composite',
]);

/**
 * A standalone tsconfig.json for a starter: the repository's base compiler options (so the
 * example typechecks exactly as it does in the repository) without the monorepo-only ones,
 * checking without emitting.
 */
export function starterTsconfig(baseCompilerOptions: Record<string, unknown>): string {
  const compilerOptions = Object.fromEntries(
    Object.entries(baseCompilerOptions).filter(([key]) => !MONOREPO_ONLY_OPTIONS.has(key)),
  );
  const config = {
    compilerOptions: { ...compilerOptions, noEmit: true },
    include: ['src/**/*.ts', 'test/**/*.ts', 'vitest.config.ts'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The test and hook timeouts a vitest config sets. */
export interface TestTimeouts {
  readonly testTimeout: number;
  readonly hookTimeout: number;
}

/** Reads `testTimeout` and `hookTimeout` from the text of the repository's vitest.config.ts. */
export function readTimeouts(vitestConfig: string): TestTimeouts {
  const read = (key: keyof TestTimeouts): number => {
    const match = new RegExp(`\\b${key}:\\s*([\\d_]+)`).exec(vitestConfig);
    if (!match?.[1])
      throw new Error(`vitest.config.ts sets no ${key}; the starter copies it, so set one there.`);
    return Number(match[1].replaceAll('_', ''));
  };
  return { testTimeout: read('testTimeout'), hookTimeout: read('hookTimeout') };
}

/** A starter's vitest.config.ts: the example's tests with the repository's timeouts. */
export function starterVitestConfig(timeouts: TestTimeouts): string {
  return [
    "import { defineConfig } from 'vitest/config';",
    '',
    'export default defineConfig({',
    '  test: {',
    "    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],",
    `    testTimeout: ${timeouts.testTimeout},`,
    `    hookTimeout: ${timeouts.hookTimeout},`,
    '  },',
    '});',
    '',
  ].join('\n');
}

/** The starter's .gitignore: installed packages and what the example writes when it runs. */
export const STARTER_GITIGNORE = ['node_modules', 'out', '.data', '*.log', ''].join('\n');

/**
 * Source text with the monorepo-only `--conditions=@keel/source` argument removed from argument
 * lists (an example that forks Node with tsx passes it), e.g. `['--import', 'tsx',
 * '--conditions=@keel/source']` becomes `['--import', 'tsx']`.
 */
export function withoutSourceConditionArgument(source: string): string {
  return source
    .replace(/,\s*(['"`])--conditions=@keel\/source\1/g, '')
    .replace(/(['"`])--conditions=@keel\/source\1,\s*/g, '');
}

/** Relative links in a README that leave the example's folder point into the repository instead. */
export function withRepositoryLinks(readme: string, exampleDir: string, repositoryWebUrl: string): string {
  return readme.replace(
    /(\]\()(\.\.\/[^)\s#]*)([^)\s]*\))/g,
    (whole, open: string, target: string, rest: string) => {
      const parts = `${exampleDir}/${target}`.split('/');
      const resolved: string[] = [];
      for (const part of parts) {
        if (part === '..') resolved.pop();
        else if (part !== '.' && part !== '') resolved.push(part);
      }
      return `${open}${repositoryWebUrl}/blob/main/${resolved.join('/')}${rest}`;
    },
  );
}

/** The lines put above a starter's README: where it came from and how to run it. */
export function starterReadmeHeader(example: string, command: string): string {
  return [
    `> This project was made from Keel's \`examples/${example}\` by \`${command}\`. It stands on its own:`,
    '> `npm install`, then `npm start` runs it and `npm test` runs its tests (`npm run typecheck` checks',
    '> the types).',
    '',
    '',
  ].join('\n');
}
