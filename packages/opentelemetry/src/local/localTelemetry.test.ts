import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { currentTelemetry, defineMetric, KeelError, recordMetric, withSpan } from '@keel/core';
import { formatTrace, recordLocally } from './localTelemetry.js';
import type { LocalTelemetry } from './localTelemetry.js';

let telemetry: LocalTelemetry | undefined;
let dir: string | undefined;
afterEach(async () => {
  await telemetry?.close();
  telemetry = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const placed = defineMetric({
  name: 'keel.test.orders',
  kind: 'counter',
  unit: '{order}',
  description: 'Orders.',
});

describe('recordLocally', () => {
  it('keeps each flow as a trace found by its root span, nested across awaits', async () => {
    telemetry = recordLocally('shop');
    await withSpan('place order', {}, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await withSpan('append_to_stream', {}, async () => undefined);
    });
    await withSpan('other', {}, async () => undefined);
    const [trace, ...rest] = telemetry.traces('place order');
    expect(rest).toEqual([]);
    expect(trace?.spans.map((span) => span.name).sort()).toEqual(['append_to_stream', 'place order']);
    expect(telemetry.traces(/^other$/)).toHaveLength(1);
    expect(formatTrace(trace!)).toMatch(/└─ place order .*\n {3}└─ append_to_stream/);
  });

  it('prints a failed span with its error and without the exception event', async () => {
    telemetry = recordLocally('shop');
    await withSpan('charge', {}, async () =>
      Promise.reject(new KeelError('CARD_DECLINED', 'declined')),
    ).catch(() => {});
    const text = formatTrace(telemetry.traces('charge')[0]!, { events: true });
    expect(text).toContain('ERROR: declined');
    expect(text).not.toContain('exception');
  });

  it('writes the metrics as the Prometheus page a scrape would read', async () => {
    telemetry = recordLocally('shop');
    recordMetric(placed, 2, { 'keel.outcome': 'ok' });
    dir = await mkdtemp(join(tmpdir(), 'keel-local-'));
    const file = join(dir, 'out', 'metrics.prom');
    await telemetry.writeMetrics(file);
    expect(await readFile(file, 'utf8')).toMatch(/keel_test_orders_total\{keel_outcome="ok"[^}]*\} 2/);
  });

  it('uninstalls Keel telemetry when closed', async () => {
    const local = recordLocally('shop');
    expect(currentTelemetry()).toBeDefined();
    await local.close();
    expect(currentTelemetry()).toBeUndefined();
  });
});
