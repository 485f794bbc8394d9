// Types of check-layout.mjs, for the tests that exercise it.

/** A broken layout rule: the repo-relative file and what is wrong with it. */
export interface LayoutViolation {
  readonly file: string;
  readonly message: string;
}

/** The layout violations of one package folder (paths relative to `base`, the repo by default). */
export function checkPackageLayout(dir: string, base?: string): LayoutViolation[];
