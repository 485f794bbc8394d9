// Runs the benchmark suites in src/suites (all, or those named on the command line) in one
// process and writes the tables to benchmarks/results/latest.md for docs/benchmarks.md.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { recordedMarkdown } from './harness.js';

const suitesDir = join(import.meta.dirname, 'suites');
const wanted = process.argv.slice(2);
const suites = readdirSync(suitesDir)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.replace(/\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

if (suites.length === 0) {
  console.log(`No benchmark suite matches ${wanted.join(', ') || '(none exist yet)'}.`);
}
for (const [index, name] of suites.entries()) {
  console.log(`\n== [${index + 1}/${suites.length}] ${name} ==`);
  const suite = (await import(join(suitesDir, `${name}.ts`))) as { run: () => Promise<void> };
  await suite.run();
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
mkdirSync(join(import.meta.dirname, '..', 'results'), { recursive: true });
const out = join(import.meta.dirname, '..', 'results', 'latest.md');
writeFileSync(out, `Machine: ${machine}\n\n${recordedMarkdown()}`);
console.log(`\nWrote ${out}`);
