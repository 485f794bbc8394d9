import { describe, expect, it, vi } from 'vitest';
import { ManualClock, noopLogger } from '@keel/core';
import type { Logger, PolicyContext } from '@keel/core';
import { Executor, unwrap } from './executor.js';
import type { ExecutorOptions, PolicyOutcome } from './executor.js';

function executor(options: Partial<ExecutorOptions<PolicyContext>> = {}) {
  const clock = options.clock ?? new ManualClock();
  const logger: Logger = { ...noopLogger, error: vi.fn() };
  const created = new Executor<PolicyContext>({ kind: 'retry', name: 'payments', clock, logger, ...options });
  const outcomes: PolicyOutcome[] = [];
  created.onOutcome((outcome) => outcomes.push(outcome));
  return { executor: created, outcomes, clock, logger };
}

const context = (signal = new AbortController().signal): PolicyContext => ({ signal });

describe('Executor', () => {
  it('classifies a returned value as a success timed on the policy clock', async () => {
    const clock = new ManualClock();
    const { executor: run, outcomes } = executor({ clock });
    const settled = await run.run(
      async () => {
        clock.advance(40);
        return 'paid';
      },
      context(),
      undefined,
    );
    expect(settled).toEqual({
      policy: 'payments',
      kind: 'retry',
      outcome: 'success',
      duration: 40,
      result: 'paid',
    });
    expect(outcomes).toEqual([settled]);
  });

  it('classifies, times and reports a call its policy awaited itself exactly as run does', () => {
    const clock = new ManualClock();
    const { executor: run, outcomes } = executor({ clock, handleResult: (result) => result === 503 });
    const ctx = context();
    const startedAt = run.begin();
    clock.advance(25);
    const ok = run.succeeded('paid', ctx, startedAt);
    const rejected = run.succeeded(503, ctx, run.begin());
    const failed = run.failed(new Error('down'), ctx, undefined, run.begin());
    expect(ok).toEqual({
      policy: 'payments',
      kind: 'retry',
      outcome: 'success',
      duration: 25,
      result: 'paid',
    });
    expect(rejected).toMatchObject({ outcome: 'failure', result: 503 });
    expect(failed).toMatchObject({ outcome: 'failure', error: new Error('down') });
    expect(outcomes).toEqual([ok, rejected, failed]);
  });

  it('reads no clock when nothing observes the calls and the policy needs no durations', () => {
    const clock = new ManualClock();
    const now = vi.spyOn(clock, 'now');
    const quiet = new Executor<PolicyContext>({ kind: 'bulkhead', name: 'b', clock, logger: noopLogger });
    expect(quiet.begin()).toBeUndefined();
    expect(quiet.succeeded('x', context(), undefined)).toMatchObject({ outcome: 'success', duration: 0 });
    expect(now).not.toHaveBeenCalled();
  });

  it('counts errors the handle predicate accepts as failures and lets the others through as unhandled', async () => {
    const { executor: run } = executor({ handle: (error) => !(error instanceof TypeError) });
    const handled = await run.run(() => Promise.reject(new Error('down')), context(), undefined);
    const unhandled = await run.run(() => Promise.reject(new TypeError('bug')), context(), undefined);
    expect(handled).toMatchObject({ outcome: 'failure', error: new Error('down') });
    expect(unhandled).toMatchObject({ outcome: 'unhandled', error: new TypeError('bug') });
  });

  it('counts every error as a failure when the policy has no handle predicate', async () => {
    const { executor: run } = executor();
    const settled = await run.run(() => Promise.reject(new TypeError('bug')), context(), undefined);
    expect(settled.outcome).toBe('failure');
  });

  it('counts a result matched by the result predicate as a failure carrying the result', async () => {
    const { executor: run } = executor({ handleResult: (result) => result === 503 });
    expect(await run.run(() => 503, context(), undefined)).toMatchObject({ outcome: 'failure', result: 503 });
    expect(await run.run(() => 200, context(), undefined)).toMatchObject({ outcome: 'success', result: 200 });
  });

  it('hands the call context to both predicates', async () => {
    const handle = vi.fn(() => true);
    const handleResult = vi.fn(() => false);
    const { executor: run } = executor({ handle, handleResult });
    const ctx = context();
    await run.run(() => 1, ctx, undefined);
    await run.run(() => Promise.reject(new Error('x')), ctx, undefined);
    expect(handleResult).toHaveBeenCalledWith(1, ctx);
    expect(handle).toHaveBeenCalledWith(new Error('x'), ctx);
  });

  it('classifies a failure after the signal aborted as aborted without asking the predicate', async () => {
    const handle = vi.fn(() => true);
    const { executor: run } = executor({ handle });
    const controller = new AbortController();
    const settled = await run.run(
      () => {
        controller.abort(new Error('caller left'));
        throw new Error('interrupted');
      },
      context(controller.signal),
      controller.signal,
    );
    expect(settled).toMatchObject({ outcome: 'aborted', error: new Error('interrupted') });
    expect(handle).not.toHaveBeenCalled();
  });

  it('catches a synchronous throw of the call as its failure', async () => {
    const { executor: run } = executor();
    const settled = await run.run(
      () => {
        throw new RangeError('sync');
      },
      context(),
      undefined,
    );
    expect(settled).toMatchObject({ outcome: 'failure', error: new RangeError('sync') });
  });

  it('rejects with the error of a throwing predicate', async () => {
    const { executor: run } = executor({
      handleResult: () => {
        throw new Error('predicate bug');
      },
    });
    await expect(run.run(() => 1, context(), undefined)).rejects.toThrow('predicate bug');
  });

  it('reports a refused call as rejected with no duration and returns its error', () => {
    const { executor: run, outcomes } = executor();
    const error = new Error('full');
    expect(run.reject(error, 'full')).toBe(error);
    expect(outcomes).toEqual([
      { policy: 'payments', kind: 'retry', outcome: 'rejected', duration: 0, error },
    ]);
  });

  it('stops emitting to a listener once its disposer ran, even when disposed twice', async () => {
    const { executor: run } = executor();
    const seen: PolicyOutcome[] = [];
    const stop = run.onOutcome((outcome) => seen.push(outcome));
    await run.run(() => 1, context(), undefined);
    stop();
    stop();
    await run.run(() => 2, context(), undefined);
    expect(seen.map((outcome) => 'result' in outcome && outcome.result)).toEqual([1]);
  });

  it('logs a throwing listener and still resolves the call', async () => {
    const { executor: run, logger } = executor();
    run.onOutcome(() => {
      throw new Error('bad listener');
    });
    await expect(run.run(() => 'ok', context(), undefined).then(unwrap)).resolves.toBe('ok');
    expect(logger.error).toHaveBeenCalledOnce();
  });

  it('does not read the clock when nothing observes the outcome', async () => {
    const clock = new ManualClock();
    const now = vi.spyOn(clock, 'now');
    const run = new Executor({ kind: 'bulkhead', name: 'bulkhead', clock, logger: noopLogger });
    const settled = await run.run(() => 'ok', context(), undefined);
    expect(settled.duration).toBe(0);
    expect(now).not.toHaveBeenCalled();
  });

  it('times every call when the policy needs durations, even with nothing observing', async () => {
    const clock = new ManualClock();
    const run = new Executor({
      kind: 'circuitBreaker',
      name: 'cb',
      clock,
      logger: noopLogger,
      timed: true,
    });
    const settled = await run.run(
      async () => {
        clock.advance(7);
      },
      context(),
      undefined,
    );
    expect(settled.duration).toBe(7);
  });
});

describe('unwrap', () => {
  it('returns the result of a success or a result failure', () => {
    expect(unwrap({ policy: 'p', kind: 'retry', duration: 0, outcome: 'failure', result: 503 })).toBe(503);
  });

  it('throws the error of an error outcome', () => {
    const error = new Error('x');
    expect(() => unwrap({ policy: 'p', kind: 'retry', duration: 0, outcome: 'unhandled', error })).toThrow(
      error,
    );
  });
});
