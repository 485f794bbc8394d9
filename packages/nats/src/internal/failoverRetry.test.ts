import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isTransientJetStreamError, retryTransient } from './failoverRetry.js';

function named(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(name), { name }, extra);
}

const timeout = (): Error => named('TimeoutError');

describe('isTransientJetStreamError', () => {
  it('treats timeouts, no responders, lost connections and JetStream 503s as transient', () => {
    const transient = [
      timeout(),
      named('JetStreamNotEnabled'),
      named('RequestError'),
      named('ConnectionError'),
      named('JetStreamApiError', { status: 503, code: 10008 }),
    ];
    expect(transient.map(isTransientJetStreamError)).toEqual([true, true, true, true, true]);
  });

  it('treats a closed connection, a refused request and non-errors as final', () => {
    const final = [
      named('ClosedConnectionError'),
      named('JetStreamApiError', { status: 400, code: 10005 }),
      'timeout',
      null,
    ];
    expect(final.map(isTransientJetStreamError)).toEqual([false, false, false, false]);
  });

  it('treats a request the server refused as final, though the client reports a RequestError', () => {
    const refused = [
      named('RequestError', { cause: named('PermissionViolationError') }),
      named('RequestError', { cause: named('ProtocolError') }),
      named('RequestError', { cause: named('InvalidArgumentError') }),
    ];
    expect(refused.map(isTransientJetStreamError)).toEqual([false, false, false]);
    expect(isTransientJetStreamError(named('RequestError', { cause: named('NoResponders') }))).toBe(true);
  });
});

describe('retryTransient', () => {
  it('retries a transient failure with doubling pauses until the request succeeds', async () => {
    const clock = new ManualClock();
    const pauses: number[] = [];
    let calls = 0;
    const result = retryTransient(
      async () => {
        calls++;
        if (calls < 4) throw timeout();
        return 'stored';
      },
      { retryMs: 10_000, clock, signal: undefined, onRetry: ({ delayMs }) => void pauses.push(delayMs) },
    );
    await clock.runAllAsync();
    await expect(result).resolves.toBe('stored');
    expect(pauses).toEqual([50, 100, 200]);
  });

  it('gives up with the last error once the next attempt would start after retryMs', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const last = timeout();
    const result = retryTransient(
      async () => {
        calls++;
        throw calls === 1 ? timeout() : last;
      },
      { retryMs: 1_000, clock, signal: undefined, onRetry: () => undefined },
    );
    const settled = result.catch((error: unknown) => error);
    await clock.runAllAsync();
    // 50 + 100 + 200 + 400 = 750 ms of pauses; a fifth pause of 800 ms would end after 1 000 ms.
    expect(await settled).toBe(last);
    expect(calls).toBe(5);
  });

  it('does not retry a final error', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const refused = named('JetStreamApiError', { status: 400 });
    const result = retryTransient(
      async () => {
        calls++;
        throw refused;
      },
      { retryMs: 10_000, clock, signal: undefined, onRetry: () => undefined },
    );
    await expect(result).rejects.toBe(refused);
    expect(calls).toBe(1);
  });

  it('stops retrying when its signal aborts, with the abort reason', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const result = retryTransient(
      async () => {
        throw timeout();
      },
      { retryMs: 10_000, clock, signal: controller.signal, onRetry: () => controller.abort(reason) },
    );
    await expect(result).rejects.toBe(reason);
  });
});
