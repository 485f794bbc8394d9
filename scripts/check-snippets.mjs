// Keeps README code identical to files that compile and run. A code block preceded by
// `<!-- snippet: src/readme/quickStart.snippet.ts -->` must hold exactly that file (relative to
// the README); the file is typechecked by `pnpm typecheck` and run by the package's readme test.
// `--write` copies the files into the READMEs. A package README's ```ts block that no snippet
// backs fails the check, so every TypeScript block users read compiles and runs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { root, workspaceDirs } from './lib.mjs';

const MARKED_BLOCK = /<!-- snippet: (\S+) -->\n(\n?)(`{3,})(\w*)\n([\s\S]*?)\n\3\n/g;

/** The snippet-backed blocks of a README: file, language, the block's code and where it starts. */
export function markedBlocks(readme) {
  return [...readme.matchAll(MARKED_BLOCK)].map((match) => ({
    file: match[1],
    code: `${match[5]}\n`,
    index: match.index,
  }));
}

/** The number of TypeScript blocks with no snippet marker in front of them. */
export function unbackedBlocks(readme) {
  const all = readme.match(/^```(ts|typescript)\n/gm)?.length ?? 0;
  return all - markedBlocks(readme).length;
}

/** The README with every marked block replaced by its file's text (read with `readSnippet`). */
export function withSnippets(readme, readSnippet) {
  return readme.replace(MARKED_BLOCK, (_whole, file, gap, fence, lang) => {
    const code = readSnippet(file).replace(/\n$/, '');
    return `<!-- snippet: ${file} -->\n${gap}${fence}${lang}\n${code}\n${fence}\n`;
  });
}

function main() {
  const write = process.argv.includes('--write');
  const readmes = ['packages', 'examples']
    .flatMap((group) => workspaceDirs(group))
    .map((dir) => join(dir, 'README.md'))
    .filter((file) => existsSync(file));
  const stale = [];
  const unbacked = [];
  for (const file of readmes) {
    const readme = readFileSync(file, 'utf8');
    const read = (snippet) => readFileSync(resolve(dirname(file), snippet), 'utf8');
    const next = withSnippets(readme, read);
    if (next !== readme) {
      stale.push(relative(root, file));
      if (write) writeFileSync(file, next);
    }
    const count = unbackedBlocks(readme);
    if (count > 0 && file.includes('/packages/')) unbacked.push(`${relative(root, file)} (${count})`);
  }
  if (unbacked.length > 0) {
    console.error(`TypeScript blocks not backed by a snippet file: ${unbacked.join(', ')}.`);
    console.error(
      'Move each block into src/readme/<name>.snippet.ts, run it from the readme test, and put ' +
        '`<!-- snippet: src/readme/<name>.snippet.ts -->` on the line before the block.',
    );
  }
  if (stale.length > 0 && !write) {
    console.error(`README code differs from its snippet file in: ${stale.join(', ')}.`);
    console.error('Edit the snippet file, then run `node scripts/check-snippets.mjs --write`.');
  }
  if (unbacked.length > 0 || (stale.length > 0 && !write)) process.exit(1);
  console.log(
    write ? `Updated ${stale.length} README(s).` : 'Every snippet-backed README block matches its file.',
  );
}

if (process.argv[1] === import.meta.filename) main();
