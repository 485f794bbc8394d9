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

  describe('a notification carried by an append', () => {
    it('rides on an append sent an interval after the last notification, and needs no NOTIFY of its own', async () => {
      const clock = new ManualClock();
      const { executor, sent } = recording();
      const announcer = new Announcer(executor, 'ch', clock);
      const first = announcer.sending();
      expect(first.channel).toBe('ch');
      const second = announcer.sending();
      expect(second.channel).toBeUndefined();
      announcer.settled(first, true);
      announcer.settled(second, true); // committed without one: announced
      await clock.tickAsync(NOTIFY_INTERVAL_MS - 1);
      // The writer goes on: an append is in flight when the interval is up...
      const inFlight = announcer.sending();
      expect(inFlight.channel).toBeUndefined();
      await clock.tickAsync(1);
      announcer.settled(inFlight, true);
      // ...and the one after it carries the notification, covering both announced appends.
      const third = announcer.sending();
      expect(third.channel).toBe('ch');
      announcer.settled(third, true);
      await clock.tickAsync(NOTIFY_INTERVAL_MS * 5);
      await settle();
      expect(sent).toEqual([]);
    });

    it('sends a NOTIFY of its own when no append is in flight an interval after the last one', async () => {
      const clock = new ManualClock();
      const { executor, sent } = recording();
      const announcer = new Announcer(executor, 'ch', clock);
      announcer.settled(announcer.sending(), true);
      announcer.settled(announcer.sending(), true);
      await clock.tickAsync(NOTIFY_INTERVAL_MS - 1);
      await settle();
      expect(sent).toEqual([]);
      await clock.tickAsync(1);
      await settle();
      expect(sent).toEqual(['ch']);
    });

    it('does not cover an append announced after the carrier was sent: a NOTIFY of its own follows', async () => {
      const clock = new ManualClock();
      const { executor, sent } = recording();
      const announcer = new Announcer(executor, 'ch', clock);
      const carrier = announcer.sending();
      const other = announcer.sending();
      announcer.settled(other, true); // announced while the carrier is in flight
      announcer.settled(carrier, true);
      await settle();
      expect(sent).toEqual([]);
      await clock.tickAsync(NOTIFY_INTERVAL_MS);
      await settle();
      expect(sent).toEqual(['ch']);
    });

    it('keeps nothing covered by a carrier that committed nothing, and lets the next append carry at once', async () => {
      const clock = new ManualClock();
      const { executor, sent } = recording();
      const announcer = new Announcer(executor, 'ch', clock);
      const carrier = announcer.sending();
      const other = announcer.sending();
      announcer.settled(other, true);
      announcer.settled(carrier, false); // a conflict, say: its transaction notified nobody
      const next = announcer.sending();
      expect(next.channel).toBe('ch');
      announcer.settled(next, true);
      await clock.tickAsync(NOTIFY_INTERVAL_MS * 3);
      await settle();
      expect(sent).toEqual([]);
    });

    it('does not let carriers that commit nothing hold up a pending notification', async () => {
      const clock = new ManualClock();
      const { executor, sent } = recording();
      const announcer = new Announcer(executor, 'ch', clock);
      const slow = announcer.sending(); // carries, in flight at t = 0
      await clock.tickAsync(1);
      announcer.settled(announcer.sending(), true); // announced at t = 1: pending
      await clock.tickAsync(4);
      announcer.settled(slow, false);
      const again = announcer.sending(); // carries at t = 5, and fails too
      expect(again.channel).toBe('ch');
      await clock.tickAsync(1);
      announcer.settled(again, false);
      // Without them the drain sends at the end of the first interval, not an interval after t = 5.
      await clock.tickAsync(NOTIFY_INTERVAL_MS - 6);
      await settle();
      expect(sent).toEqual(['ch']);
    });

    it('leaves a steady writer to carry every notification, and sends one within two intervals after it stops', async () => {
      const clock = new ManualClock();
      const { executor, sent } = recording();
      const announcer = new Announcer(executor, 'ch', clock);
      let carried = 0;
      // One append after another, each taking 1 ms, for 200 ms.
      for (let ms = 0; ms < 200; ms++) {
        const notice = announcer.sending();
        if (notice.channel !== undefined) carried++;
        await clock.tickAsync(1);
        announcer.settled(notice, true);
      }
      expect(sent).toEqual([]);
      expect(carried).toBe(200 / NOTIFY_INTERVAL_MS);
      // The writer stops: the appends after the last carrier still get their notification.
      await clock.tickAsync(2 * NOTIFY_INTERVAL_MS);
      await settle();
      expect(sent).toEqual(['ch']);
      await clock.tickAsync(NOTIFY_INTERVAL_MS * 10);
      await settle();
      expect(sent).toEqual(['ch']);
    });

    it('carries after the clock jumps back instead of waiting for the old reading', () => {
      const clock = new SkewedClock(1_000_000);
      const { executor } = recording();
      const announcer = new Announcer(executor, 'ch', clock);
      expect(announcer.sending().channel).toBe('ch');
      clock.skew = -1_000_000;
      expect(announcer.sending().channel).toBe('ch');
      expect(announcer.sending().channel).toBeUndefined();
    });
  });
});
