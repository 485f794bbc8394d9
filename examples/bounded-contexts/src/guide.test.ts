import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const GUIDE = join(import.meta.dirname, '../../../docs/guides/strategic-ddd.md');
// The guide lives in the Keel repository; a starter copied out of it (`pnpm starter`) has none.
const inRepository = existsSync(GUIDE);
if (!inRepository) console.info(`guide.test.ts skipped: ${GUIDE} exists only in the Keel repository.`);

/** "From [`file`](../../examples/bounded-contexts/<path>):" then a ts block: [path, code] pairs. */
async function excerpts(): Promise<[string, string][]> {
  const guide = await readFile(GUIDE, 'utf8');
  const pattern =
    /\]\(\.\.\/\.\.\/examples\/bounded-contexts\/([^)]+\.ts)\):\n\n(?:<!-- prettier-ignore -->\n)?```ts\n([\s\S]*?)\n```/g;
  return [...guide.matchAll(pattern)].map((match) => [match[1] ?? '', match[2] ?? '']);
}

describe.runIf(inRepository)('docs/guides/strategic-ddd.md', () => {
  it('takes every TypeScript block from a named file of this example', async () => {
    const blocks = (await readFile(GUIDE, 'utf8')).match(/^```ts$/gm) ?? [];
    expect(blocks.length).toBeGreaterThan(0);
    expect(await excerpts()).toHaveLength(blocks.length);
  });

  it('quotes every excerpt exactly as it stands in its source file', async () => {
    for (const [path, code] of await excerpts()) {
      const source = await readFile(join(import.meta.dirname, '..', path), 'utf8');
      expect(source, `${path} no longer contains the guide's excerpt:\n${code}`).toContain(code);
    }
  });
});
