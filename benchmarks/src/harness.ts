import { Bench } from 'tinybench';

/** One contender of a comparison: a name and the operation measured. */
export interface Contender {
  /** Shown in the table, e.g. `keel retry` or `cockatiel retry`. */
  readonly name: string;
  /** The measured operation; may be async. */
  readonly fn: () => unknown;
}

/** One measured row of a comparison. */
export interface ComparisonRow {
  readonly name: string;
  /** Operations per second (1000 / mean latency in ms). */
  readonly opsPerSecond: number;
  /** This row's ops/s divided by the first row's (the baseline). */
  readonly ratioToBaseline: number;
  /** Relative margin of error in percent. */
  readonly rme: number;
}

/** A titled comparison and its rows, as printed and recorded. */
export interface Comparison {
  readonly title: string;
  readonly rows: readonly ComparisonRow[];
}

/** Options of {@link compare}. */
export interface CompareOptions {
  /** How long each contender runs, in ms. @default 600, or 150 with BENCH_QUICK=1 */
  time?: number;
  /** Warm-up time per contender, in ms. @default 150 */
  warmupTime?: number;
}

const recorded: Comparison[] = [];

/**
 * Measures every contender in this one process and prints ops/s and the ratio to the first
 * contender (the baseline). A ratio above 1 means faster than the baseline.
 */
export async function compare(
  title: string,
  contenders: readonly Contender[],
  options: CompareOptions = {},
): Promise<Comparison> {
  const quick = process.env.BENCH_QUICK === '1';
  const bench = new Bench({
    time: options.time ?? (quick ? 150 : 600),
    warmupTime: options.warmupTime ?? (quick ? 50 : 150),
  });
  for (const contender of contenders) bench.add(contender.name, contender.fn);
  await bench.run();
  const measured = bench.tasks.map((task) => {
    const result = task.result;
    if (result.state === 'errored') throw new Error(`${title}: ${task.name} failed: ${result.error.message}`);
    if (result.state !== 'completed')
      throw new Error(`${title}: ${task.name} did not complete (${result.state}).`);
    return { name: task.name, opsPerSecond: 1000 / result.period, rme: result.latency.rme };
  });
  const baseline = measured[0]?.opsPerSecond ?? 1;
  const rows = measured.map((row) => ({ ...row, ratioToBaseline: row.opsPerSecond / baseline }));
  const comparison = { title, rows };
  recorded.push(comparison);
  printComparison(comparison);
  return comparison;
}

/** Records a comparison measured some other way (hit ratios, key movement …). */
export function record(title: string, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const table = toMarkdownTable(header, rows);
  recorded.push({ title, rows: [] });
  extraTables.set(title, table);
  console.log(`\n${title}\n${table}`);
}

const extraTables = new Map<string, string>();

function formatOps(ops: number): string {
  return ops >= 1e6
    ? `${(ops / 1e6).toFixed(2)} M`
    : ops >= 1e3
      ? `${(ops / 1e3).toFixed(1)} k`
      : ops.toFixed(1);
}

function toMarkdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

function comparisonTable(comparison: Comparison): string {
  return toMarkdownTable(
    ['contender', 'ops/s', 'ratio to first', '± %'],
    comparison.rows.map((row) => [
      row.name,
      formatOps(row.opsPerSecond),
      `${row.ratioToBaseline.toFixed(2)}x`,
      row.rme.toFixed(1),
    ]),
  );
}

function printComparison(comparison: Comparison): void {
  console.log(`\n${comparison.title}\n${comparisonTable(comparison)}`);
}

/** Every comparison measured so far, as Markdown sections. */
export function recordedMarkdown(): string {
  return recorded
    .map(
      (comparison) =>
        `### ${comparison.title}\n\n${extraTables.get(comparison.title) ?? comparisonTable(comparison)}\n`,
    )
    .join('\n');
}
