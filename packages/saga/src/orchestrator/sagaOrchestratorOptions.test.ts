import { isUuid, isValidationError, ManualClock, noopLogger, systemClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { defineSaga } from '../definition/defineSaga.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import { SagaOrchestrator } from './sagaOrchestrator.js';
import type { SagaOrchestratorOptions } from './sagaOrchestratorOptions.js';
import { resolveOrchestratorOptions, SAGA_ORCHESTRATOR_DEFAULTS } from './sagaOrchestratorOptions.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** The option paths a ValidationError names. */
function badOptions(error: unknown): string[] {
  expect(isValidationError(error)).toBe(true);
  return (error as { issues: { path: string[] }[] }).issues.map((issue) => issue.path.join('.'));
}

const store = new InMemorySagaStore();
const saga = defineSaga('one').step('a', { run: () => 1 });

describe('SagaOrchestrator options', () => {
  it('takes every default for options set to undefined', () => {
    const resolved = resolveOrchestratorOptions({
      clock: undefined,
      logger: undefined,
      owner: undefined,
      leaseMs: undefined,
      renewEveryMs: undefined,
      pollIntervalMs: undefined,
      recoverBatchSize: undefined,
      recoverBackoffMs: undefined,
      recoverBackoffMaxMs: undefined,
    });
    expect(resolved).toMatchObject({
      ...SAGA_ORCHESTRATOR_DEFAULTS,
      clock: systemClock,
      logger: noopLogger,
      renewEveryMs: 10_000,
    });
    expect(isUuid(resolved.owner)).toBe(true);
  });

  it('derives renewEveryMs from a given leaseMs when renewEveryMs is undefined', () => {
    expect(resolveOrchestratorOptions({ leaseMs: 900, renewEveryMs: undefined }).renewEveryMs).toBe(300);
  });

  it('leases a started saga for the default leaseMs when leaseMs is undefined', async () => {
    const clock = new ManualClock(0);
    let seen: number | undefined;
    const probe = defineSaga('probe').step('a', {
      run: async () => void (seen = (await memory.get('p'))?.lease?.until),
    });
    const memory = new InMemorySagaStore();
    const orchestrator = new SagaOrchestrator(memory, [probe], {
      clock,
      leaseMs: undefined,
      owner: undefined,
    });
    await orchestrator.start('probe', undefined, { sagaId: 'p', signal: undefined });
    expect(seen).toBe(30_000);
    await orchestrator.close();
  });

  it('accepts documented defaults passed explicitly, and Infinity for recoverBatchSize', () => {
    const explicit: SagaOrchestratorOptions = { ...SAGA_ORCHESTRATOR_DEFAULTS, renewEveryMs: 10_000 };
    expect(() => new SagaOrchestrator(store, [saga], explicit)).not.toThrow();
    expect(() => new SagaOrchestrator(store, [saga], { recoverBatchSize: Infinity })).not.toThrow();
    expect(
      () => new SagaOrchestrator(store, [saga], { recoverBackoffMs: 0, recoverBackoffMaxMs: 0 }),
    ).not.toThrow();
  });

  it('refuses every out-of-range option at construction with one ValidationError', () => {
    const error = thrown(
      () =>
        new SagaOrchestrator(store, [saga], {
          leaseMs: 0,
          pollIntervalMs: Number.NaN,
          recoverBatchSize: 1.5,
          recoverBackoffMs: -1,
          owner: '',
        }),
    );
    expect(badOptions(error).sort()).toEqual(
      ['leaseMs', 'owner', 'pollIntervalMs', 'recoverBackoffMs', 'recoverBatchSize'].sort(),
    );
  });

  it.each<[string, SagaOrchestratorOptions]>([
    ['leaseMs', { leaseMs: Infinity }],
    ['leaseMs', { leaseMs: -5 }],
    ['renewEveryMs', { leaseMs: 100, renewEveryMs: 100 }],
    ['renewEveryMs', { renewEveryMs: 0 }],
    ['pollIntervalMs', { pollIntervalMs: 0 }],
    ['recoverBatchSize', { recoverBatchSize: 0 }],
    ['recoverBackoffMaxMs', { recoverBackoffMs: 5_000, recoverBackoffMaxMs: 1_000 }],
    ['owner', { owner: 'a\u0000b' }],
    ['clock', { clock: { now: () => 0 } as never }],
    ['logger', { logger: console.log as never }],
  ])('refuses a bad %s', (option, options) => {
    expect(badOptions(thrown(() => new SagaOrchestrator(store, [saga], options)))).toEqual([option]);
  });

  it('runs a saga on a clock without setInterval and a logger with only info, warn and error', async () => {
    const clock = new ManualClock(0);
    const partialClock = {
      now: () => clock.now(),
      setTimeout: (run: () => void, ms: number) => clock.setTimeout(run, ms),
      sleep: (ms: number, signal?: AbortSignal) => clock.sleep(ms, signal),
    };
    const noop = (): void => {};
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [saga], {
      clock: partialClock as never,
      logger: { info: noop, warn: noop, error: noop } as never,
    });
    await expect(orchestrator.start('one', undefined, { sagaId: 's-1' })).resolves.toMatchObject({
      status: 'completed',
    });
    expect(
      String(thrown(() => new SagaOrchestrator(store, [saga], { clock: { now: () => 0 } as never }))),
    ).toMatch(/clock: must be a Clock \(with now, setTimeout, sleep\)/);
  });

  it('refuses a store that is not a SagaStore and sagas that are not definitions', () => {
    expect(badOptions(thrown(() => new SagaOrchestrator({} as never, [saga])))).toEqual(['store']);
    expect(badOptions(thrown(() => new SagaOrchestrator(undefined as never, [saga])))).toEqual(['store']);
    expect(badOptions(thrown(() => new SagaOrchestrator(store, [{ name: 'x' }] as never)))).toEqual([
      'sagas',
    ]);
  });
});

describe('SagaOrchestrator call options', () => {
  it('refuses an empty or unstorable saga id before storing anything', async () => {
    const memory = new InMemorySagaStore();
    const orchestrator = new SagaOrchestrator(memory, [saga]);
    for (const sagaId of ['', 'a\u0000b', '\uDC00x', 42 as unknown as string]) {
      expect(
        badOptions(await orchestrator.start('one', undefined, { sagaId }).catch((e: unknown) => e)),
      ).toEqual(['sagaId']);
    }
    expect(await memory.list()).toEqual([]);
  });

  it('uses a new id when sagaId is undefined', async () => {
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [saga]);
    const outcome = await orchestrator.start('one', undefined, { sagaId: undefined });
    expect(isUuid(outcome.sagaId)).toBe(true);
  });

  it('refuses a signal that is not an AbortSignal', async () => {
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [saga]);
    const signal = 'stop' as unknown as AbortSignal;
    expect(
      badOptions(await orchestrator.start('one', undefined, { signal }).catch((e: unknown) => e)),
    ).toEqual(['signal']);
    expect(badOptions(await orchestrator.recover({ signal }).catch((e: unknown) => e))).toEqual(['signal']);
    expect(badOptions(await orchestrator.resume('x', { signal }).catch((e: unknown) => e))).toEqual([
      'signal',
    ]);
  });
});
