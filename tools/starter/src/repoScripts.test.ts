import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anchorsOf, checkLink, isExternal, linksOf, slug } from '../../../scripts/check-links.mjs';
import { markedBlocks, unbackedBlocks, withSnippets } from '../../../scripts/check-snippets.mjs';
import { packageMeta, withMeta } from '../../../scripts/package-meta.mjs';

// The repository scripts the starter's CI step sits beside: the link check and the package links.

describe('check-links', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keel-links-'));
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs', 'guide.md'), '# Guide\n\n## Retries & backoff\n\n## Setup\n\n## Setup\n');
    writeFileSync(join(dir, 'README.md'), 'x');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("makes GitHub's anchors, numbering repeated headings", () => {
    expect(slug('Retries & backoff')).toBe('retries--backoff');
    expect([
      ...anchorsOf('# A `b` [c](x.md)\n## A b c\n```\n# not a heading\n```\n<a id="here"></a>'),
    ]).toEqual(['a-b-c', 'a-b-c-1', 'here']);
  });

  it('finds inline, image and reference links with their lines, but none inside code', () => {
    const markdown = 'See [a](a.md).\n![img](i.png "t")\n`[no](x.md)`\n```\n[no](y.md)\n```\n[ref]: ./r.md\n';
    expect(linksOf(markdown)).toEqual([
      { target: 'a.md', line: 1 },
      { target: 'i.png', line: 2 },
      { target: './r.md', line: 7 },
    ]);
  });

  it('accepts existing files, folders and headings, and web links without fetching them', () => {
    const file = join(dir, 'docs', 'index.md');
    expect(checkLink(file, 'guide.md#retries--backoff')).toBeUndefined();
    expect(checkLink(file, 'guide.md#setup-1')).toBeUndefined();
    expect(checkLink(file, '../docs')).toBeUndefined();
    expect(checkLink(file, '../README.md')).toBeUndefined();
    expect(isExternal('https://example.com/x')).toBe(true);
    expect(checkLink(file, 'mailto:a@b.c')).toBeUndefined();
  });

  it('reports a missing file and a missing anchor', () => {
    const file = join(dir, 'docs', 'index.md');
    expect(checkLink(file, '../../benchmarks/x.ts')).toBe('../../benchmarks/x.ts does not exist');
    expect(checkLink(file, 'guide.md#setup-2')).toBe('guide.md has no heading for #setup-2');
  });
});

describe('package-meta', () => {
  it('derives repository, homepage and bugs from the git URL and the folder', () => {
    expect(packageMeta('git+https://github.com/o/r.git', 'packages/core')).toEqual({
      repository: { type: 'git', url: 'git+https://github.com/o/r.git', directory: 'packages/core' },
      homepage: 'https://github.com/o/r/tree/main/packages/core#readme',
      bugs: { url: 'https://github.com/o/r/issues' },
    });
  });

  it('puts the fields together after license, replacing old values', () => {
    const meta = packageMeta('git+https://x/y.git', 'packages/a');
    const pkg = { name: 'a', homepage: 'old', license: 'MIT', type: 'module' };
    const next = withMeta(pkg, meta);
    expect(Object.keys(next)).toEqual(['name', 'license', 'repository', 'homepage', 'bugs', 'type']);
    expect(next.homepage).toBe(meta.homepage);
  });
});

describe('check-snippets', () => {
  const readme = [
    '# Pkg',
    '<!-- snippet: src/a.snippet.ts -->',
    '```ts',
    'old();',
    '```',
    '',
    '```ts',
    'unbacked();',
    '```',
    '',
  ].join('\n');

  it('finds the marked blocks and counts the TypeScript blocks no file backs', () => {
    expect(markedBlocks(readme).map(({ file, code }) => ({ file, code }))).toEqual([
      { file: 'src/a.snippet.ts', code: 'old();\n' },
    ]);
    expect(unbackedBlocks(readme)).toBe(1);
  });

  it('replaces a marked block with its file and leaves the rest alone', () => {
    const next = withSnippets(readme, (file) =>
      file === 'src/a.snippet.ts' ? 'fresh();\nmore();\n' : 'wrong',
    );
    expect(next).toContain('<!-- snippet: src/a.snippet.ts -->\n```ts\nfresh();\nmore();\n```\n');
    expect(next).toContain('```ts\nunbacked();\n```');
    expect(withSnippets(next, () => 'fresh();\nmore();\n')).toBe(next);
  });
});
