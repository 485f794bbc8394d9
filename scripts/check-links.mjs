// Checks the relative links of the documentation: every link in docs/**/*.md, the root README
// and the package, example and tool READMEs must point at a file or folder that exists and, when
// it names an anchor (`#section`), at a heading (or an `id`/`name` anchor) of that Markdown file.
// Web links are not fetched. Exits 1 and lists every broken link.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { root } from './lib.mjs';

/** Markdown text with fenced code blocks and inline code blanked out (same length of lines). */
export function withoutCode(markdown) {
  return markdown
    .replace(/^( {0,3})(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\2[^\n]*$/gm, (block) =>
      block.replace(/[^\n]/g, ' '),
    )
    .replace(/`+[^`\n]*`+/g, (code) => ' '.repeat(code.length));
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces turned into hyphens. */
export function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]+>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a Markdown file defines: its headings (with GitHub's -1, -2 for repeats) and ids. */
export function anchorsOf(markdown) {
  const anchors = new Set();
  const counts = new Map();
  const text = markdown.replace(/^( {0,3})(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\2[^\n]*$/gm, '');
  for (const [, heading] of text.matchAll(/^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const plain = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '');
    const base = slug(plain);
    const seen = counts.get(base) ?? 0;
    counts.set(base, seen + 1);
    anchors.add(seen === 0 ? base : `${base}-${seen}`);
  }
  for (const [, id] of text.matchAll(/<a\s+(?:id|name)=["']([^"']+)["']/g)) anchors.add(id);
  return anchors;
}

/** The link targets of a Markdown file (inline links, images and reference definitions), with lines. */
export function linksOf(markdown) {
  const text = withoutCode(markdown);
  const links = [];
  const lineOf = (index) => text.slice(0, index).split('\n').length;
  for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    links.push({ target: match[1], line: lineOf(match.index) });
  }
  for (const match of text.matchAll(/^ {0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) {
    links.push({ target: match[1], line: lineOf(match.index) });
  }
  return links;
}

/** Whether a link leaves the repository's files: a web address, mail, or another scheme. */
export function isExternal(target) {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/** The problem with one link of `file`, or undefined when it works. */
export function checkLink(file, target, readText = (path) => readFileSync(path, 'utf8')) {
  if (isExternal(target)) return undefined;
  const [pathPart, anchor] = target.split('#', 2);
  const path = pathPart ? resolve(dirname(file), decodeURIComponent(pathPart)) : file;
  if (!existsSync(path)) return `${pathPart} does not exist`;
  if (!anchor || statSync(path).isDirectory() || !path.endsWith('.md')) return undefined;
  if (anchorsOf(readText(path)).has(decodeURIComponent(anchor).toLowerCase())) return undefined;
  return `${pathPart || relative(dirname(file), file)} has no heading for #${anchor}`;
}

function markdownFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !/(^|[\\/])(node_modules|api)[\\/]/.test(relative(dir, file)));
}

function readmes(group) {
  const dir = join(root, group);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(dir, entry.name, 'README.md'))
    .filter((file) => existsSync(file));
}

/** The documentation files the check covers. */
export function documentationFiles() {
  const top = ['README.md', 'benchmarks/README.md']
    .map((file) => join(root, file))
    .filter((file) => existsSync(file));
  return [
    ...top,
    ...markdownFiles(join(root, 'docs')),
    ...['packages', 'examples', 'tools'].flatMap(readmes),
  ];
}

function main() {
  const files = documentationFiles();
  const broken = [];
  let count = 0;
  for (const file of files) {
    for (const { target, line } of linksOf(readFileSync(file, 'utf8'))) {
      count++;
      const problem = checkLink(file, target);
      if (problem) broken.push(`${relative(root, file)}:${line}: ${target}: ${problem}`);
    }
  }
  for (const line of broken) console.error(line);
  console.log(`check-links: ${count} links in ${files.length} files, ${broken.length} broken`);
  if (broken.length > 0) process.exit(1);
}

if (process.argv[1] === import.meta.filename) main();
