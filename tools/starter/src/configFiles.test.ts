import { describe, expect, it } from 'vitest';
import {
  readTimeouts,
  starterReadmeHeader,
  starterTsconfig,
  starterVitestConfig,
  withRepositoryLinks,
  withoutSourceConditionArgument,
} from './configFiles.js';

describe('starterTsconfig', () => {
  it('keeps the strict options, drops monorepo-only ones and extends nothing', () => {
    const config = JSON.parse(
      starterTsconfig({
        strict: true,
        exactOptionalPropertyTypes: true,
        customConditions: ['@keel/source'],
        declaration: true,
      }),
    ) as { extends?: string; compilerOptions: Record<string, unknown> };
    expect(config.extends).toBeUndefined();
    expect(config.compilerOptions).toEqual({ strict: true, exactOptionalPropertyTypes: true, noEmit: true });
  });
});

describe('readTimeouts', () => {
  it('reads both timeouts, with numeric separators', () => {
    const text = 'test: { projects, testTimeout: 30_000,\n hookTimeout: 60000 }';
    expect(readTimeouts(text)).toEqual({ testTimeout: 30_000, hookTimeout: 60_000 });
  });

  it('refuses a config that sets no hook timeout', () => {
    expect(() => readTimeouts('testTimeout: 5')).toThrow(/hookTimeout/);
  });
});

describe('starterVitestConfig', () => {
  it('writes the timeouts into the config', () => {
    const text = starterVitestConfig({ testTimeout: 1234, hookTimeout: 5678 });
    expect(text).toContain('testTimeout: 1234,');
    expect(text).toContain('hookTimeout: 5678,');
  });
});

describe('withoutSourceConditionArgument', () => {
  it('removes the argument from the end or the middle of a list', () => {
    expect(withoutSourceConditionArgument("['--import', 'tsx', '--conditions=@keel/source']")).toBe(
      "['--import', 'tsx']",
    );
    expect(withoutSourceConditionArgument('["--conditions=@keel/source", "a.ts"]')).toBe('["a.ts"]');
  });
});

describe('withRepositoryLinks', () => {
  it('turns links that leave the example into repository links and keeps anchors and local links', () => {
    const readme =
      'See [design](../../docs/design.md#tiers), [core](../../packages/core) and [here](./src/main.ts).';
    expect(withRepositoryLinks(readme, 'examples/shop', 'https://example.com/keel')).toBe(
      'See [design](https://example.com/keel/blob/main/docs/design.md#tiers), ' +
        '[core](https://example.com/keel/blob/main/packages/core) and [here](./src/main.ts).',
    );
  });
});

describe('starterReadmeHeader', () => {
  it('names the example and the command', () => {
    expect(starterReadmeHeader('shop', 'pnpm starter shop ../x')).toContain(
      "Keel's `examples/shop` by `pnpm starter shop ../x`",
    );
  });
});
