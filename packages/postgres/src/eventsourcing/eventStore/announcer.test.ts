import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { SqlExecutor } from '../../client/sqlClient.js';
import { Announcer, NOTIFY_INTERVAL_MS } from './announcer.js';

/** An executor that records the channel of every `pg_notify` sent through it. */
function recording(): { executor: SqlExecutor; sent: unknown[] } {
  const sent: unknown[] = [];
  const executor = {
    dialect: 'postgres',
    inTransaction: false,
    query: async (_sql: string, params?: readonly unknown[]) => {
      sent.push(params?.[0]);
      return { rows: [], rowCount: 0 };
    },
  } as unknown as SqlExecutor;
  return { executor, sent };
}

/** A manual clock whose readings can be moved back (its timers still run on manual time). */
class SkewedClock extends ManualClock {
  skew = 0;
  override now(): number {
    return super.now() + this.skew;
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Announcer', () => {
  it('notifies at once for the first append', async () => {
    const { executor, sent } = recording();
    new Announcer(executor, 'ch', new ManualClock()).announce();
    await settle();
    expect(sent).toEqual(['ch']);
  });

  it('sends one notification per interval for a burst, and one after its last append', async () => {
    const clock = new ManualClock();
    const { executor, sent } = recording();
    const announcer = new Announcer(executor, 'ch', clock);
    announcer.announce();
    await settle();
    for (let n = 0; n < 50; n++) announcer.announce();
    await settle();
    expect(sent).toHaveLength(1);
    await clock.tickAsync(NOTIFY_INTERVAL_MS - 1);
    expect(sent).toHaveLength(1);
    await clock.tickAsync(1);
    await settle();
    expect(sent).toHaveLength(2);
    await clock.tickAsync(NOTIFY_INTERVAL_MS * 10);
    await settle();
    expect(sent).toHaveLength(2);
  });

  it('notifies at once again after a quiet interval', async () => {
    const clock = new ManualClock();
    const { executor, sent } = recording();
    const announcer = new Announcer(executor, 'ch', clock);
    announcer.announce();
    await settle();
    await clock.tickAsync(NOTIFY_INTERVAL_MS);
    announcer.announce();
    await settle();
    expect(sent).toHaveLength(2);
  });

  it('waits at most one interval when the clock jumps back', async () => {
    const clock = new SkewedClock(1_000_000);
    const { executor, sent } = recording();
    const announcer = new Announcer(executor, 'ch', clock);
    announcer.announce();
    await settle();
    clock.skew = -1_000_000;
    announcer.announce();
    await clock.tickAsync(NOTIFY_INTERVAL_MS);
    await settle();
    expect(sent).toHaveLength(2);
  });
});
