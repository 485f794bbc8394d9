// Every policy reports its calls through the shared executor: one outcome per call, named.
import { describe, expect, it } from 'vitest';
import { isValidationError, ManualClock } from '@keel/core';
import type { PolicyContext } from '@keel/core';
import {
  bulkhead,
  chaos,
  circuitBreaker,
  fallback,
  gcra,
  hedge,
  rateLimiter,
  retry,
  timeout,
} from './index.js';
import type { PolicyOutcome } from './index.js';

interface Observable {
  execute(fn: (context: PolicyContext) => unknown, signal?: AbortSignal): Promise<unknown>;
  onOutcome(listener: (outcome: PolicyOutcome) => void): unknown;
}

type Factory = (name: string | undefined) => Observable;

const clock = new ManualClock();
const POLICIES: readonly [string, string, Factory][] = [
  ['retry', 'retry', (name) => retry({ name, clock })],
  ['circuitBreaker', 'circuitBreaker', (name) => circuitBreaker({ name, clock })],
  ['timeout', 'timeout', (name) => timeout(1_000, { name, clock })],
  ['bulkhead', 'bulkhead', (name) => bulkhead(1, { name, clock })],
  ['fallback', 'fallback', (name) => fallback('spare', { name, clock })],
  ['hedge', 'hedge', (name) => hedge({ name, clock, delay: Infinity })],
  ['rateLimiter', 'rate-limit', (name) => rateLimiter(gcra({ limit: 5, periodMs: 1_000 }), { name, clock })],
  ['chaos', 'chaos', (name) => chaos({ name, clock })],
];

describe('policy outcomes', () => {
  it.each(POLICIES)(
    '%s reports one outcome per call under its default name',
    async (kind, defaultName, make) => {
      const policy = make(undefined);
      const outcomes: PolicyOutcome[] = [];
      policy.onOutcome((outcome) => outcomes.push(outcome));
      await policy.execute(() => 'ok');
      expect(outcomes).toEqual([
        { policy: defaultName, kind, outcome: 'success', duration: 0, result: 'ok' },
      ]);
    },
  );

  it.each(POLICIES)('%s reports its outcomes under the name option', async (kind, _, make) => {
    const policy = make('payments');
    const outcomes: PolicyOutcome[] = [];
    policy.onOutcome((outcome) => outcomes.push(outcome));
    await policy.execute(() => 'ok');
    expect(outcomes.map(({ policy: name, kind: reported }) => [name, reported])).toEqual([
      ['payments', kind],
    ]);
  });

  it.each(POLICIES)('%s refuses an empty name', (_, __, make) => {
    let refusal: unknown;
    try {
      make('');
    } catch (error) {
      refusal = error;
    }
    expect(isValidationError(refusal) && refusal.issues.map((issue) => issue.path.join('.'))).toEqual([
      'name',
    ]);
  });

  it('reports every retry attempt with its own outcome', async () => {
    const policy = retry({ maxRetries: 2, backoff: undefined, clock });
    const outcomes: PolicyOutcome[] = [];
    policy.onOutcome((outcome) => outcomes.push(outcome));
    let calls = 0;
    const done = policy.execute(() => (++calls < 3 ? Promise.reject(new Error(`try ${calls}`)) : 'third'));
    await clock.runAllAsync();
    await expect(done).resolves.toBe('third');
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['failure', 'failure', 'success']);
  });

  it('reports a refusal of an open circuit as rejected, without running the call', async () => {
    const breaker = circuitBreaker({ clock });
    breaker.isolate();
    const outcomes: PolicyOutcome[] = [];
    breaker.onOutcome((outcome) => outcomes.push(outcome));
    await expect(breaker.execute(() => 'never')).rejects.toThrow();
    expect(outcomes).toMatchObject([{ outcome: 'rejected', kind: 'circuitBreaker', duration: 0 }]);
  });

  it('times a timed-out call up to the limit and reports its TimeoutError', async () => {
    const local = new ManualClock();
    const policy = timeout(100, { clock: local });
    const outcomes: PolicyOutcome[] = [];
    policy.onOutcome((outcome) => outcomes.push(outcome));
    const done = policy.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))),
    );
    const rejected = expect(done).rejects.toThrow('timed out after 100 ms');
    await local.tickAsync(100);
    await rejected;
    expect(outcomes).toMatchObject([{ outcome: 'failure', duration: 100, error: { code: 'TIMEOUT' } }]);
  });

  it('times a fallback call on the clock option', async () => {
    const local = new ManualClock();
    const policy = fallback('spare', { clock: local });
    const outcomes: PolicyOutcome[] = [];
    policy.onOutcome((outcome) => outcomes.push(outcome));
    await policy.execute(async () => {
      local.advance(30);
      throw new Error('slow failure');
    });
    expect(outcomes).toMatchObject([{ outcome: 'failure', duration: 30 }]);
  });
});

describe('a caller that gives up', () => {
  const CANCELLABLE: readonly [string, Factory][] = [
    ...POLICIES.map(([kind, , make]): [string, Factory] => [kind, make]),
    ['timeout (cooperative)', (name) => timeout(1_000, { name, clock, strategy: 'cooperative' })],
    ['timeout (aggressive)', (name) => timeout(1_000, { name, clock, strategy: 'aggressive' })],
  ];

  it.each(CANCELLABLE)(
    '%s rejects with the abort reason, not the error the call throws as it stops',
    async (_, make) => {
      const policy = make(undefined);
      const controller = new AbortController();
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const call = policy.execute(
        ({ signal }) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => reject(new Error('stopped on the way out')));
            started();
          }),
        controller.signal,
      );
      await running;
      const reason = new Error('caller gave up');
      controller.abort(reason);
      await expect(call).rejects.toBe(reason);
    },
  );
});
