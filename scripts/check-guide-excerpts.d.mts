// Types of check-guide-excerpts.mjs, for the tests that exercise it.

/** The ```ts blocks of a markdown text: the 1-based line of the fence, its code and its source link. */
export function tsBlocks(markdown: string): { line: number; code: string; link: string | undefined }[];
/** The problems of one guide: a missing source line, a link to no file, or code not found verbatim. */
export function checkGuide(
  file: string,
  markdown: string,
  readSource?: (path: string) => string,
): { line: number; problem: string }[];
