// Types of check-snippets.mjs, for the tests that exercise it.

/** The snippet-backed blocks of a README: the file it names, its code and where it starts. */
export function markedBlocks(readme: string): { file: string; code: string; index: number }[];
/** The number of TypeScript blocks with no snippet marker in front of them. */
export function unbackedBlocks(readme: string): number;
/** The README with every marked block replaced by its file's text. */
export function withSnippets(readme: string, readSnippet: (file: string) => string): string;
