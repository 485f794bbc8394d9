import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkGuide, tsBlocks } from '../../../scripts/check-guide-excerpts.mjs';

// The CI check that every TypeScript block of docs/guides quotes a file that compiles and runs.

const SOURCE = 'export const a = 1;\nexport const b = 2;\n';

describe('check-guide-excerpts', () => {
  let dir: string;
  let guide: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keel-guides-'));
    mkdirSync(join(dir, 'docs', 'guides'), { recursive: true });
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'a.ts'), SOURCE);
    guide = join(dir, 'docs', 'guides', 'g.md');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a block introduced by its source line that its file contains verbatim', () => {
    const markdown = 'Intro\n\nFrom [`src/a.ts`](../../src/a.ts):\n\n```ts\nexport const b = 2;\n```\n';
    expect(checkGuide(guide, markdown)).toEqual([]);
  });

  it('accepts a prettier-ignore line between the blank line and the block', () => {
    const markdown =
      'From [`a.ts`](../../src/a.ts):\n\n<!-- prettier-ignore -->\n```ts\nexport const a = 1;\n```\n';
    expect(checkGuide(guide, markdown)).toEqual([]);
  });

  it('reports a block with no source line, or with no blank line after it, at the fence line', () => {
    const markdown =
      'Some prose:\n\n```ts\nconst x = 1;\n```\n\nFrom [`a`](../../src/a.ts):\n```ts\nx\n```\n';
    expect(checkGuide(guide, markdown).map(({ line }) => line)).toEqual([3, 8]);
  });

  it('reports a link to a missing file and a block its file does not contain', () => {
    const markdown =
      'From [`x`](../../src/missing.ts):\n\n```ts\nexport const a = 1;\n```\n\n' +
      'From [`a`](../../src/a.ts):\n\n```ts\nexport const a = 1;\nexport const c = 3;\n```\n';
    expect(checkGuide(guide, markdown)).toEqual([
      { line: 3, problem: '../../src/missing.ts is not a file' },
      { line: 9, problem: '../../src/a.ts does not contain this block verbatim' },
    ]);
  });

  it('ignores blocks in other languages and fences inside longer fences', () => {
    const markdown = '````md\n```ts\nnot code\n```\n````\n\n```sh\npnpm test\n```\n';
    expect(tsBlocks(markdown)).toEqual([]);
    expect(checkGuide(guide, markdown)).toEqual([]);
  });
});
