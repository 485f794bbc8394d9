import { ManualClock, seededRandom } from '@keel/core';
import type { Policy } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isChaosFaultError } from '../errors/errors.js';
import { chaos } from './chaos.js';

async function outcomes(run: () => Promise<unknown>, times: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < times; i++)
    seen.push(await run().then(String, (error: unknown) => (isChaosFaultError(error) ? 'fault' : 'other')));
  return seen;
}

describe('chaos', () => {
  it('injects faults at about the given rate', async () => {
    const policy = chaos({ faultRate: 0.3, random: seededRandom(3) });
    const seen = await outcomes(() => policy.execute(() => 'ok'), 1_000);
    const faults = seen.filter((outcome) => outcome === 'fault').length;
    expect(faults).toBeGreaterThan(250);
    expect(faults).toBeLessThan(350);
  });

  it('replays exactly with the same seed', async () => {
    const run = async (): Promise<string[]> => {
      const policy = chaos({ faultRate: 0.5, random: seededRandom(11) });
      return outcomes(() => policy.execute(() => 'ok'), 50);
    };
    expect(await run()).toEqual(await run());
  });

  it('throws a custom fault', async () => {
    const policy = chaos({ faultRate: 1, fault: () => new RangeError('injected') });
    await expect(policy.execute(() => 'ok')).rejects.toThrow(RangeError);
  });

  it('wraps a non-Error fault so only errors are thrown', async () => {
    const error = await chaos({ faultRate: 1, fault: () => 'boom' })
      .execute(() => 'ok')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).cause).toBe('boom');
  });

  it('adds latency on the clock before running the call', async () => {
    const clock = new ManualClock();
    const policy = chaos({ latencyRate: 1, latency: 300, clock });
    let ran = false;
    const done = policy.execute(() => (ran = true));
    await clock.tickAsync(299);
    expect(ran).toBe(false);
    await clock.tickAsync(1);
    await done;
    expect(ran).toBe(true);
  });

  it('injected latency stops at once on abort', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const done = chaos({ latencyRate: 1, latency: 10_000, clock }).execute(() => 1, controller.signal);
    controller.abort(new Error('stop'));
    await expect(done).rejects.toThrow('stop');
    expect(clock.pendingTimers).toBe(0);
  });

  it('substitutes a result without running the call', async () => {
    let ran = false;
    const policy = chaos({ resultRate: 1, result: () => ({ status: 503 }) });
    await expect(policy.execute(() => ((ran = true), { status: 200 }))).resolves.toEqual({ status: 503 });
    expect(ran).toBe(false);
  });

  it('injects nothing when disabled', async () => {
    let on = false;
    const policy = chaos({ faultRate: 1, enabled: () => on });
    await expect(policy.execute(() => 'ok')).resolves.toBe('ok');
    on = true;
    await expect(policy.execute(() => 'ok')).rejects.toSatisfy(isChaosFaultError);
  });

  it('emits onInject with the kind', async () => {
    const policy = chaos({ faultRate: 1 });
    const kinds: string[] = [];
    policy.onInject(({ kind }) => kinds.push(kind));
    await policy.execute(() => 1).catch(() => {});
    expect(kinds).toEqual(['fault']);
  });

  it('without result injection it is a core Policy', async () => {
    const policy: Policy = chaos({ faultRate: 0 });
    await expect(policy.execute(() => 5)).resolves.toBe(5);
  });

  it('rejects rates outside 0..1 and a missing result', () => {
    expect(() => chaos({ faultRate: 1.2 })).toThrow(/faultRate: must be a ratio from 0 to 1/);
    expect(() => chaos({ resultRate: 0.5 })).toThrow(/result: is required when resultRate > 0/);
  });
});
