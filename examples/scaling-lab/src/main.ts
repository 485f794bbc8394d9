import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderLatencyChart } from './latencyChart.js';
import { runScalingLab } from './lab.js';
import type { LabReport } from './lab.js';
import { formatTable, ms, pct } from './table.js';

function printCaching({ caching }: LabReport): void {
  const { warmup, stampede, writeBehind, rebalance } = caching;
  console.log('\n1. Sharded cache-aside in front of a slow database (25 ms per read)');
  console.log(
    `   ${warmup.reads.toLocaleString('en-US')} Zipf reads over 3 shards → ${warmup.dbReads} database reads, ` +
      `hit ratio ${pct(warmup.hitRatio)}; database time ${ms(warmup.dbBusyMs)} instead of ${ms(warmup.uncachedBusyMs)}.`,
  );
  console.log(
    `   ${stampede.callers} concurrent misses on one cold key → ${stampede.dbReads} database read (single flight).`,
  );
  console.log('\n2. Write-behind of price changes');
  console.log(
    `   ${writeBehind.accepted} writes to ${writeBehind.keys} products → ${writeBehind.rowWrites} row writes in ` +
      `${writeBehind.batches} batches; every latest price persisted after close(): ${writeBehind.allPersisted ? 'yes' : 'NO'}.`,
  );
  console.log('\n3. Adding a fourth cache shard');
  const { migration, sizesBefore, sizesAfter } = rebalance;
  const shards = [...sizesAfter.keys()];
  console.log(
    formatTable(
      ['shard', 'entries before', 'entries after'],
      shards.map((id) => [id, sizesBefore.get(id) ?? 0, sizesAfter.get(id) ?? 0]),
    ).replace(/^/gm, '   '),
  );
  console.log(
    `   Plan: ${pct(migration.plan.movedFraction)} of the key space moves (ideal 25%); ` +
      `${migration.migrated} cached entries migrated, all to cache-4.`,
  );
  console.log(
    `   ${rebalance.readsAfter.toLocaleString('en-US')} reads after the change → ${rebalance.dbReadsAfter} database reads ` +
      `(without migrating, up to ${migration.plan.moves.length} would have missed).`,
  );
}

function printShards({ shards }: LabReport): void {
  console.log('\n4. Rebalance plan for a replicated store (10,000 keys, 2 replicas each)');
  const ids = [...shards.after.keys()];
  console.log(
    formatTable(
      ['shard', 'primary keys before', 'after', 'share change'],
      ids.map((id) => [
        id,
        shards.before.get(id) ?? 0,
        shards.after.get(id) ?? 0,
        `${(shards.plan.ownershipDelta.get(id)! * 100).toFixed(1)}%`,
      ]),
    ).replace(/^/gm, '   '),
  );
  const copies = shards.plan.moves.reduce((sum, move) => sum + move.copyTo.length, 0);
  console.log(
    `   ${pct(shards.plan.movedFraction)} of primaries move, all to shard-4 (elsewhere: ${shards.movedElsewhere}); ` +
      `${shards.plan.moves.length} keys change their preference list, ${copies} replica copies to make.`,
  );
}

function printBalancers({ balancers }: LabReport): void {
  console.log(
    '\n5. Load balancing: 3 healthy backends, 1 slow (120 ms), 1 failing 50% (4,000 requests at 200/s)',
  );
  console.log(
    formatTable(
      ['strategy', 'p50', 'p90', 'p99', 'failures', 'to slow', 'to failing'],
      balancers.map((r) => [
        r.strategy,
        ms(r.p50),
        ms(r.p90),
        ms(r.p99),
        r.failures,
        pct(r.backends.find((b) => b.id === 'api-slow')!.share),
        pct(r.backends.find((b) => b.id === 'api-failing')!.share),
      ]),
    ).replace(/^/gm, '   '),
  );
  const rr = balancers[0]!;
  const ewma = balancers[balancers.length - 1]!;
  console.log(`   P2C peak-EWMA p99 is ${(rr.p99 / ewma.p99).toFixed(1)}× lower than round robin's.`);
}

function printAutoscaling({ autoscaling }: LabReport): void {
  console.log('\n6. HPA-style autoscaling (target 60% CPU, 100 req/s per replica, evaluated every 15 s)');
  // Show each change of replicas, and the first round of each stretch held back by a window or limit.
  const changes = autoscaling.filter((step, index) => {
    const previous = autoscaling[index - 1];
    return previous === undefined || step.replicas !== previous.replicas || step.reason !== previous.reason;
  });
  console.log(
    formatTable(
      ['time', 'load req/s', 'CPU before', 'replicas', 'why'],
      changes.map((s) => [`${s.atSeconds} s`, s.load, pct(s.utilization, 0), s.replicas, s.reason]),
    ).replace(/^/gm, '   '),
  );
}

/** Runs the lab, prints it and writes the chart. */
export async function main(outDir = join(import.meta.dirname, '..', 'out')): Promise<LabReport> {
  console.log('Keel scaling lab: every number below comes from seeded randomness and virtual clocks.');
  const report = await runScalingLab();
  printCaching(report);
  printShards(report);
  printBalancers(report);
  printAutoscaling(report);
  mkdirSync(outDir, { recursive: true });
  const chart = join(outDir, 'balancer-latency.svg');
  writeFileSync(chart, renderLatencyChart(report.balancers));
  console.log(`\nWrote ${chart}`);
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
