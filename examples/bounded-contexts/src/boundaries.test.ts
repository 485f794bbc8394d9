import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = import.meta.dirname;

async function importsOf(context: string): Promise<string[]> {
  const files = (await readdir(join(SRC, context))).filter((file) => file.endsWith('.ts'));
  const sources = await Promise.all(files.map((file) => readFile(join(SRC, context, file), 'utf8')));
  return sources.flatMap((source) =>
    [...source.matchAll(/from ["']([^"']+)["']/g)].map((match) => match[1] ?? ''),
  );
}

describe('context boundaries', () => {
  it('Billing imports nothing from Sales but its published language', async () => {
    const imports = await importsOf('billing');
    expect(imports).toContain('../contracts/salesEvents.js');
    expect(imports.filter((path) => path.includes('/sales/'))).toEqual([]);
  });

  it('Sales imports nothing from Billing', async () => {
    const imports = await importsOf('sales');
    expect(imports).toContain('../contracts/salesEvents.js');
    expect(imports.filter((path) => path.includes('billing'))).toEqual([]);
  });
});
