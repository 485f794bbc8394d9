/**
 * `pnpm chaos [--duration 60] [--workers 3] [--seed N] [--settle 120]`: runs the chaos test on
 * the real servers (KEEL_PG_URL, KEEL_NATS_URL), prints its figures, and exits with 1 when an
 * invariant broke or the run did not come to rest, 2 when the harness itself failed.
 */
import { parseArgs } from 'node:util';
import { CancelledError } from '@keel/core';
import { formatReport } from './report.js';
import { runChaos } from './runChaos.js';

function numberArg(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const value = values[name];
  if (typeof value !== 'string') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`--${name} must be a number (got "${value}").`);
  return parsed;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    // `pnpm chaos -- --duration 5` hands the script a literal `--`: ignore it.
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: {
      duration: { type: 'string' },
      workers: { type: 'string' },
      seed: { type: 'string' },
      settle: { type: 'string' },
    },
  });
  const duration = numberArg(values, 'duration');
  const settle = numberArg(values, 'settle');
  // Ctrl-C still kills the workers and removes the run's schema and streams.
  const interrupt = new AbortController();
  process.once('SIGINT', () =>
    interrupt.abort(new CancelledError('Interrupted (SIGINT); the run was cleaned up.')),
  );
  const result = await runChaos({
    durationMs: duration === undefined ? undefined : duration * 1_000,
    workers: numberArg(values, 'workers'),
    seed: numberArg(values, 'seed'),
    settleTimeoutMs: settle === undefined ? undefined : settle * 1_000,
    signal: interrupt.signal,
  });
  for (const line of formatReport(result)) console.log(line);
  return result.violations.length === 0 ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 2;
}
