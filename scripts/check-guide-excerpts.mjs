// Keeps the code in docs/guides identical to files that compile and run. Every ```ts block of a
// guide must be introduced by ``From [`<path>`](<relative link>):``, then one blank line (and
// optionally `<!-- prettier-ignore -->`), and its text must be a contiguous slice of the linked
// file. Prints `file:line: problem` for each violation and exits 1 when there is any.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { root } from './lib.mjs';

const FROM_LINE = /^From \[`[^`]+`\]\(([^)\s]+)\):$/;
const PRETTIER_IGNORE = '<!-- prettier-ignore -->';

/** The ```ts blocks of a markdown text: the 1-based line of the fence, its code and its source link. */
export function tsBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i += 1) {
    const fence = /^(`{3,})(\w*)\s*$/.exec(lines[i] ?? '');
    if (!fence) continue;
    let end = i + 1;
    while (end < lines.length && lines[end]?.trimEnd() !== fence[1]) end += 1;
    if (fence[2] === 'ts' || fence[2] === 'typescript') {
      blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n'), link: sourceLink(lines, i) });
    }
    i = end;
  }
  return blocks;
}

/** The link of the `From [...](link):` line in front of the fence at index `fence`, if any. */
function sourceLink(lines, fence) {
  let above = fence - 1;
  if (lines[above] === PRETTIER_IGNORE) above -= 1;
  if (lines[above] !== '') return undefined;
  return FROM_LINE.exec(lines[above - 1] ?? '')?.[1];
}

/**
 * The problems of one guide: `{ line, problem }` for each block with no source line, a link to
 * a missing file, or code that its file does not contain verbatim.
 */
export function checkGuide(file, markdown, readSource = (path) => readFileSync(path, 'utf8')) {
  const problems = [];
  for (const block of tsBlocks(markdown)) {
    if (block.link === undefined) {
      problems.push({
        line: block.line,
        problem: 'ts block has no "From [`<path>`](<link>):" line and one blank line before it',
      });
      continue;
    }
    const source = resolve(dirname(file), decodeURI(block.link.split('#')[0] ?? ''));
    if (!existsSync(source) || !statSync(source).isFile()) {
      problems.push({ line: block.line, problem: `${block.link} is not a file` });
    } else if (!readSource(source).includes(block.code)) {
      problems.push({ line: block.line, problem: `${block.link} does not contain this block verbatim` });
    }
  }
  return problems;
}

function main() {
  const dir = join(root, 'docs', 'guides');
  const guides = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.md')) : [];
  let failures = 0;
  for (const name of guides.sort()) {
    const file = join(dir, name);
    for (const { line, problem } of checkGuide(file, readFileSync(file, 'utf8'))) {
      console.error(`${relative(root, file)}:${line}: ${problem}`);
      failures += 1;
    }
  }
  if (failures > 0) {
    console.error(
      'Quote code in a guide only from files that compile and run: put "From [`<path>`](<link>):" ' +
        'and a blank line before the block, and copy the block exactly from that file.',
    );
    process.exit(1);
  }
  console.log(`Every TypeScript block in ${guides.length} guide(s) matches its source file.`);
}

if (process.argv[1] === import.meta.filename) main();
