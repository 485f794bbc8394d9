import { ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exponentialBackoff } from '../backoff/backoff.js';
import { isBrokenCircuitError } from '../errors/errors.js';
import type { BrokenCircuitError } from '../errors/errors.js';
import { consecutiveFailures } from './breakerStrategy.js';
import { circuitBreaker } from './circuitBreaker.js';
import type { CircuitBreakerPolicy } from './circuitBreaker.js';

const fail = (): Promise<never> => Promise.reject(new Error('down'));
const ok = (): Promise<string> => Promise.resolve('ok');

async function failTimes(breaker: CircuitBreakerPolicy, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await breaker.execute(fail).catch(() => {});
}

async function refusal(promise: Promise<unknown>): Promise<BrokenCircuitError> {
  const error = await promise.catch((e: unknown) => e);
  expect(isBrokenCircuitError(error)).toBe(true);
  return error as BrokenCircuitError;
}

function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => {});
  return { promise, resolve, reject };
}

describe('circuitBreaker: half-open', () => {
  it('stays open after the break until a call attempt moves it to half-open, and a successful probe closes it', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 1_000 });
    await failTimes(breaker, 1);
    clock.advance(1_000);
    expect(breaker.state).toBe('open');
    const gate = deferred<string>();
    const probe = breaker.execute(() => gate.promise);
    expect(breaker.state).toBe('half-open');
    gate.resolve('ok');
    await expect(probe).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('reopens when a probe fails', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 1_000 });
    await failTimes(breaker, 1);
    clock.advance(1_000);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect((await refusal(breaker.execute(ok))).retryAfter).toBe(1_000);
  });

  it('admits N probes at once and refuses the next as half-open-busy', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutiveFailures(1),
      breakDuration: 10,
      halfOpenProbes: 2,
      successThreshold: 2,
    });
    await failTimes(breaker, 1);
    clock.advance(10);
    const gates = [deferred<string>(), deferred<string>()];
    const probes = gates.map((gate) => breaker.execute(() => gate.promise));
    const error = await refusal(breaker.execute(ok));
    expect(error.reason).toBe('half-open-busy');
    expect(error.retryAfter).toBeUndefined();
    gates[0]!.resolve('a');
    await probes[0];
    expect(breaker.state).toBe('half-open');
    gates[1]!.resolve('b');
    await probes[1];
    expect(breaker.state).toBe('closed');
  });

  it('an aborted probe frees its slot instead of leaving the circuit stuck half-open', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 10 });
    await failTimes(breaker, 1);
    clock.advance(10);
    const controller = new AbortController();
    const probe = breaker.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      controller.signal,
    );
    controller.abort(new Error('client left'));
    await probe.catch(() => {});
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('a probe failing with an uncounted error frees its slot', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutiveFailures(1),
      breakDuration: 10,
      handle: (e) => !(e instanceof TypeError),
    });
    await failTimes(breaker, 1);
    clock.advance(10);
    await breaker.execute(() => Promise.reject(new TypeError('bad input'))).catch(() => {});
    expect(breaker.state).toBe('half-open');
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
  });

  it('a slow probe counts as failed when slowCallDuration is set', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutiveFailures(1),
      breakDuration: 10,
      slowCallDuration: 100,
    });
    await failTimes(breaker, 1);
    clock.advance(10);
    const probe = breaker.execute(() => clock.sleep(150).then(() => 'slow'));
    await clock.tickAsync(150);
    await expect(probe).resolves.toBe('slow');
    expect(breaker.state).toBe('open');
  });

  it('ignores the outcome of a call that started before the circuit opened', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 10 });
    const old = deferred<string>();
    const oldCall = breaker.execute(() => old.promise);
    await failTimes(breaker, 1);
    clock.advance(10);
    const probe = deferred<string>();
    const probing = breaker.execute(() => probe.promise);
    expect(breaker.state).toBe('half-open');
    old.resolve('late');
    await oldCall;
    expect(breaker.state).toBe('half-open');
    probe.resolve('ok');
    await probing;
    expect(breaker.state).toBe('closed');
  });

  it('property: never admits more than N probes while half-open', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.constantFrom('call', 'succeed', 'fail', 'abort', 'tick'), {
          minLength: 1,
          maxLength: 60,
        }),
        async (probes, steps) => {
          const clock = new ManualClock();
          const breaker = circuitBreaker({
            clock,
            strategy: consecutiveFailures(1),
            breakDuration: 5,
            halfOpenProbes: probes,
            successThreshold: probes,
          });
          let halfOpenInFlight = 0;
          let maxInFlight = 0;
          const pending: { gate: ReturnType<typeof deferred<string>>; controller: AbortController }[] = [];
          await failTimes(breaker, 1);
          for (const step of steps) {
            if (step === 'tick') clock.advance(5);
            else if (step === 'call') {
              const gate = deferred<string>();
              const controller = new AbortController();
              let admitted = false;
              const call = breaker
                .execute(() => ((admitted = true), gate.promise), controller.signal)
                .catch(() => {});
              // Admission is synchronous: a call admitted while half-open is a probe.
              const halfOpen = breaker.state === 'half-open';
              if (admitted && halfOpen) {
                halfOpenInFlight++;
                maxInFlight = Math.max(maxInFlight, halfOpenInFlight);
                void call.then(() => halfOpenInFlight--);
                pending.push({ gate, controller });
              } else if (admitted) pending.push({ gate, controller });
            } else {
              const next = pending.shift();
              if (next === undefined) continue;
              if (step === 'succeed') next.gate.resolve('ok');
              if (step === 'fail') next.gate.reject(new Error('down'));
              if (step === 'abort') {
                next.controller.abort();
                next.gate.reject(new Error('aborted'));
              }
              await new Promise((resolve) => setImmediate(resolve));
            }
          }
          return maxInFlight <= probes;
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('circuitBreaker: liveness', () => {
  it('property: once every call settled, the breaker admits a call again after the longest break', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          fc.oneof(
            { arbitrary: fc.constantFrom('fail', 'tick'), weight: 6 },
            { arbitrary: fc.constantFrom('ok', 'uncounted', 'abort', 'slow'), weight: 4 },
            { arbitrary: fc.constantFrom('isolate', 'reset'), weight: 1 },
          ),
          { minLength: 1, maxLength: 60 },
        ),
        async (probes, steps) => {
          const clock = new ManualClock();
          const breaker = circuitBreaker({
            clock,
            strategy: consecutiveFailures(2),
            breakDuration: exponentialBackoff(10, { maxDelay: 80 }),
            halfOpenProbes: probes,
            successThreshold: probes,
            slowCallDuration: 5,
            handle: (error) => !(error instanceof TypeError),
          });
          let isolated = false;
          for (const step of steps) {
            if (step === 'tick') clock.advance(7);
            else if (step === 'isolate' || step === 'reset') {
              isolated = step === 'isolate';
              if (isolated) breaker.isolate();
              else breaker.reset();
            } else await runStep(breaker, clock, step);
          }
          if (isolated) breaker.reset();
          clock.advance(80);
          const admitted = await breaker.execute(() => 'in').catch(() => 'refused');
          return admitted === 'in';
        },
      ),
      { numRuns: 200 },
    );
  });
});

async function runStep(breaker: CircuitBreakerPolicy, clock: ManualClock, step: string): Promise<void> {
  const controller = new AbortController();
  const call = breaker
    .execute(async ({ signal }) => {
      if (step === 'fail') throw new Error('down');
      if (step === 'uncounted') throw new TypeError('bad input');
      if (step === 'abort') {
        controller.abort();
        throw signal.reason;
      }
      if (step === 'slow') await clock.sleep(6);
      return 'ok';
    }, controller.signal)
    .catch(() => {});
  if (step === 'slow') await clock.tickAsync(6);
  await call;
}

describe('circuitBreaker: predicates and listeners that misbehave', () => {
  it('a `handle` that throws on a probe surfaces its error and frees the slot: the circuit never sticks half-open', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutiveFailures(1),
      breakDuration: 1_000,
      handle: (error) => (error as { status: number }).status >= 500,
    });
    await breaker.execute(() => Promise.reject({ status: 503 })).catch(() => {});
    clock.advance(1_000);
    const probe = await breaker.execute(() => Promise.reject(null)).catch((e: unknown) => e);
    expect(probe).toBeInstanceOf(TypeError); // the predicate's own bug, reading `status` of null
    expect(breaker.state).toBe('half-open');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('a `handleResult` that throws is a bug surfaced, not a failure counted: the circuit stays closed', async () => {
    const breaker = circuitBreaker({
      strategy: consecutiveFailures(1),
      handleResult: () => {
        throw new Error('predicate bug');
      },
    });
    await expect(breaker.execute(ok)).rejects.toThrow('predicate bug');
    expect(breaker.state).toBe('closed');
  });

  it('a `handleResult` that throws on a probe frees the slot for the next one', async () => {
    const clock = new ManualClock();
    let buggy = true;
    const breaker = circuitBreaker({
      clock,
      strategy: consecutiveFailures(1),
      breakDuration: 10,
      handleResult: () => {
        if (buggy) throw new Error('predicate bug');
        return false;
      },
    });
    await failTimes(breaker, 1);
    clock.advance(10);
    await expect(breaker.execute(ok)).rejects.toThrow('predicate bug');
    buggy = false;
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('refuses the call when a half-open listener isolates the circuit, and admits it as closed when one resets it', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 10 });
    await failTimes(breaker, 1);
    clock.advance(10);
    const stop = breaker.onHalfOpen(() => breaker.isolate());
    let ran = false;
    const error = await refusal(breaker.execute(() => (ran = true)));
    expect(error.reason).toBe('isolated');
    expect(ran).toBe(false);
    expect(breaker.state).toBe('isolated');
    stop();

    breaker.reset();
    await failTimes(breaker, 1);
    clock.advance(10);
    breaker.onHalfOpen(() => breaker.reset());
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('refuses with a BrokenCircuitError, not a RangeError, when the break ends past any date', async () => {
    const breaker = circuitBreaker({
      strategy: consecutiveFailures(1),
      breakDuration: Number.MAX_SAFE_INTEGER,
    });
    await failTimes(breaker, 1);
    const error = await refusal(breaker.execute(ok));
    expect(error.reason).toBe('open');
    expect(error.message).toMatch(/lets a probe through in \d+ ms\.$/);
  });
});
