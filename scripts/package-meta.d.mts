// Types of package-meta.mjs, for the tests that exercise it.

/** The fields one package should have. */
export interface PackageMeta {
  repository: { type: 'git'; url: string; directory: string };
  homepage: string;
  bugs: { url: string };
}
/** The web address of the repository, from its git URL. */
export function repositoryWebUrl(gitUrl: string): string;
/** The three fields one package should have, given the repository's git URL and its folder. */
export function packageMeta(gitUrl: string, directory: string): PackageMeta;
/** `pkg` with the fields set, placed after `license` (or at the end). */
export function withMeta<T extends Record<string, unknown>>(pkg: T, meta: PackageMeta): T & PackageMeta;
