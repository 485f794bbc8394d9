// Checks what we would publish: every package is packed, its tarball unpacked, and publint and
// @arethetypeswrong/cli run on exactly what users would install. Run `pnpm build` first.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packAll, run } from './lib.mjs';

const work = mkdtempSync(join(tmpdir(), 'keel-check-'));
try {
  const tarballs = packAll(work, process.argv.slice(2));
  let index = 0;
  for (const [name, tarball] of tarballs) {
    index++;
    console.log(`\n[${index}/${tarballs.size}] ${name}`);
    const unpacked = join(work, `unpacked-${index}`);
    mkdirSync(unpacked);
    run('tar', ['-xzf', tarball, '-C', unpacked]);
    run('pnpm', ['exec', 'publint', '--strict', '--pack', 'false', join(unpacked, 'package')]);
    // node10 resolution cannot see subpath exports such as ./testing; every modern resolver can.
    run('pnpm', ['exec', 'attw', tarball, '--profile', 'node16', '--format', 'table-flipped']);
  }
  console.log(`\nAll ${tarballs.size} packages pass publint and attw.`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
