import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from './main.js';

describe('scaling lab', () => {
  it('runs every scenario, prints the tables and writes the latency chart', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'scaling-lab-'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const report = await main(outDir);
    log.mockRestore();

    const { warmup, stampede, writeBehind, rebalance } = report.caching;
    expect(warmup.hitRatio).toBeGreaterThan(0.7);
    expect(stampede.dbReads).toBe(1);
    expect(writeBehind.allPersisted).toBe(true);
    expect(writeBehind.rowWrites).toBeLessThan(writeBehind.accepted);
    expect(rebalance.migration.migrated).toBeGreaterThan(0);
    expect(rebalance.dbReadsAfter).toBe(0);

    expect(report.shards.movedElsewhere).toBe(0);
    expect(report.shards.plan.movedFraction).toBeGreaterThan(0.15);
    expect(report.shards.plan.movedFraction).toBeLessThan(0.35);

    const rr = report.balancers.find((r) => r.strategy === 'round-robin')!;
    const ewma = report.balancers.find((r) => r.strategy === 'p2c-peak-ewma')!;
    expect(ewma.p99).toBeLessThan(rr.p99 / 2);

    const replicas = report.autoscaling.map((step) => step.replicas);
    expect(Math.max(...replicas)).toBeGreaterThan(20);
    expect(replicas.at(-1)).toBeLessThan(6);

    const svg = readFileSync(join(outDir, 'balancer-latency.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('p2c-peak-ewma');
    expect(existsSync(join(outDir, 'balancer-latency.svg'))).toBe(true);
  });
});
