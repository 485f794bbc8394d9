// Types of check-links.mjs, for the tests that exercise it.

/** Markdown text with fenced code blocks and inline code blanked out (same length of lines). */
export function withoutCode(markdown: string): string;
/** GitHub's anchor for a heading. */
export function slug(heading: string): string;
/** The anchors a Markdown file defines: its headings (with -1, -2 for repeats) and ids. */
export function anchorsOf(markdown: string): Set<string>;
/** The link targets of a Markdown file, with their line numbers. */
export function linksOf(markdown: string): { target: string; line: number }[];
/** Whether a link leaves the repository's files. */
export function isExternal(target: string): boolean;
/** The problem with one link of `file`, or undefined when it works. */
export function checkLink(
  file: string,
  target: string,
  readText?: (path: string) => string,
): string | undefined;
/** The documentation files the check covers. */
export function documentationFiles(): string[];
