import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manualClock.js';
import { isValidationError } from '../errors/errors.js';
import { createLogger } from '../logger/logger.js';
import type { Logger } from '../logger/logger.js';
import { createIntervalWorker } from './intervalWorker.js';
import type { IntervalTaskContext } from './intervalWorker.js';
import { isWorkerStartError } from './workerErrors.js';

/** Lets queued callbacks (and the loop's event-loop yields) run a few times over. */
async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('createIntervalWorker', () => {
  it('runs the task on start and then once per interval', async () => {
    const clock = new ManualClock();
    const runsAt: number[] = [];
    const worker = createIntervalWorker(() => void runsAt.push(clock.now()), {
      name: 'w',
      intervalMs: 100,
      clock,
    });
    await worker.start();
    await settle();
    await clock.tickAsync(250);
    expect(runsAt).toEqual([0, 100, 200]);
    await worker.stop();
  });

  it('waits for the first interval when runOnStart is false', async () => {
    const clock = new ManualClock();
    const runsAt: number[] = [];
    const worker = createIntervalWorker(() => void runsAt.push(clock.now()), {
      name: 'w',
      intervalMs: 100,
      runOnStart: false,
      clock,
    });
    await worker.start();
    await clock.tickAsync(150);
    expect(runsAt).toEqual([100]);
    await worker.stop();
  });

  it('counts the interval from the end of a slow run, so runs never overlap', async () => {
    const clock = new ManualClock();
    const started: number[] = [];
    let active = 0;
    let maxActive = 0;
    const worker = createIntervalWorker(
      async ({ signal }) => {
        started.push(clock.now());
        maxActive = Math.max(maxActive, ++active);
        await clock.sleep(300, signal);
        active--;
      },
      { name: 'w', intervalMs: 100, clock },
    );
    await worker.start();
    await clock.tickAsync(850);
    expect(started).toEqual([0, 400, 800]);
    expect(maxActive).toBe(1);
    await worker.stop({ deadline: 0 });
  });

  it('runs again at once while the task reports more work', async () => {
    const clock = new ManualClock();
    let left = 3;
    const runsAt: number[] = [];
    const worker = createIntervalWorker(
      () => {
        runsAt.push(clock.now());
        left--;
        return { more: left > 0 };
      },
      { name: 'w', intervalMs: 1_000, clock },
    );
    await worker.start();
    await settle(20);
    expect(runsAt).toEqual([0, 0, 0]);
    await clock.tickAsync(1_000);
    expect(runsAt).toEqual([0, 0, 0, 1_000]);
    await worker.stop();
  });

  it('runs at once on wake() instead of waiting out the interval', async () => {
    const clock = new ManualClock();
    let runs = 0;
    const worker = createIntervalWorker(() => void runs++, { name: 'w', intervalMs: 60_000, clock });
    await worker.start();
    await settle();
    expect(runs).toBe(1);
    worker.wake();
    await settle();
    expect(runs).toBe(2);
    expect(worker.health().details?.['nextRunAt']).toBe(60_000);
    await worker.stop();
  });

  it('runs once more right after the current run when woken during it', async () => {
    const clock = new ManualClock();
    const gate = deferred();
    let runs = 0;
    const worker = createIntervalWorker(
      async () => {
        runs++;
        if (runs === 1) await gate.promise;
      },
      { name: 'w', intervalMs: 60_000, clock },
    );
    await worker.start();
    await settle();
    worker.wake();
    gate.resolve();
    await settle();
    expect(runs).toBe(2);
    await worker.stop();
  });

  it('backs off doubling after failures, up to backoffMaxMs, and reports the last error', async () => {
    const clock = new ManualClock();
    const runsAt: number[] = [];
    const worker = createIntervalWorker(
      () => {
        runsAt.push(clock.now());
        throw new Error(`database down at ${clock.now()}`);
      },
      { name: 'w', intervalMs: 10, backoffMs: 100, backoffMaxMs: 300, clock },
    );
    await worker.start();
    await clock.tickAsync(1_000);
    expect(runsAt).toEqual([0, 100, 300, 600, 900]);
    const health = worker.health();
    expect(health).toMatchObject({
      status: 'running',
      healthy: true,
      ready: false,
      error: 'database down at 900',
    });
    expect(health.details).toMatchObject({ runs: 5, failures: 5, consecutiveFailures: 5 });
    await worker.stop();
  });

  it('returns to the interval and to ready after a successful run', async () => {
    const clock = new ManualClock();
    const runsAt: number[] = [];
    const worker = createIntervalWorker(
      () => {
        runsAt.push(clock.now());
        if (runsAt.length <= 2) throw new Error('flaky');
      },
      { name: 'w', intervalMs: 10, backoffMs: 100, clock },
    );
    await worker.start();
    await clock.tickAsync(330);
    expect(runsAt).toEqual([0, 100, 300, 310, 320, 330]);
    expect(worker.health()).toMatchObject({ ready: true, details: { failures: 2, consecutiveFailures: 0 } });
    expect(worker.health().error).toBeUndefined();
    await worker.stop();
  });

  it('gives up after failAfter consecutive failures and reports failed and unhealthy', async () => {
    const clock = new ManualClock();
    let runs = 0;
    const worker = createIntervalWorker(
      () => {
        runs++;
        throw new Error('bad config');
      },
      { name: 'w', backoffMs: 10, failAfter: 3, clock },
    );
    await worker.start();
    await clock.tickAsync(10_000);
    expect(runs).toBe(3);
    expect(worker.health()).toMatchObject({
      status: 'failed',
      healthy: false,
      ready: false,
      error: 'bad config',
    });
    await worker.stop();
    expect(worker.health().status).toBe('failed');
  });

  it('reports unhealthy while a run outlasts stallAfterMs', async () => {
    const clock = new ManualClock();
    const worker = createIntervalWorker(({ signal }) => clock.sleep(10_000, signal), {
      name: 'w',
      stallAfterMs: 5_000,
      clock,
    });
    await worker.start();
    await clock.tickAsync(5_000);
    expect(worker.health().healthy).toBe(true);
    await clock.tickAsync(1);
    expect(worker.health()).toMatchObject({ healthy: false, status: 'running' });
    expect(worker.health().error).toMatch(/running for 5001 ms, longer than stallAfterMs \(5000 ms\)/);
    await worker.stop({ deadline: 0 });
  });

  it('adds the details callback to health, and survives one that throws', () => {
    let depth = 7;
    const worker = createIntervalWorker(() => {}, {
      name: 'w',
      clock: new ManualClock(),
      details: () => {
        if (depth < 0) throw new Error('no gauge');
        return { depth };
      },
    });
    expect(worker.health().details).toMatchObject({ depth: 7, runs: 0 });
    depth = -1;
    expect(worker.health().details).toMatchObject({ detailsError: 'no gauge', runs: 0 });
  });
});

describe('IntervalWorker when logging or its loop fails', () => {
  /** Collects the unhandled rejections raised while `body` runs. */
  async function unhandledDuring(body: () => Promise<void>): Promise<unknown[]> {
    const seen: unknown[] = [];
    const listener = (reason: unknown): void => void seen.push(reason);
    process.on('unhandledRejection', listener);
    try {
      await body();
      await settle();
    } finally {
      process.off('unhandledRejection', listener);
    }
    return seen;
  }

  it('keeps running failed runs when its logger throws, and lets nothing escape', async () => {
    const clock = new ManualClock();
    const throwing = (): never => {
      throw new Error('log transport down');
    };
    const logger = { debug: throwing, info: throwing, warn: throwing, error: throwing } as unknown as Logger;
    const runsAt: number[] = [];
    const worker = createIntervalWorker(
      () => {
        runsAt.push(clock.now());
        throw new Error('database down');
      },
      { name: 'w', intervalMs: 10, backoffMs: 100, backoffMaxMs: 100, failAfter: 4, clock, logger },
    );
    const unhandled = await unhandledDuring(async () => {
      await worker.start();
      await clock.tickAsync(1_000);
    });
    expect(unhandled).toEqual([]);
    // The fourth failure reaches failAfter: giving up is logged through the throwing error() too.
    expect(runsAt).toEqual([0, 100, 200, 300]);
    expect(worker.health()).toMatchObject({ status: 'failed', healthy: false, error: 'database down' });
    await worker.stop();
  });

  it('keeps running when a createLogger sink cannot stringify the error (a BigInt field)', async () => {
    const clock = new ManualClock();
    const lines: string[] = [];
    const logger = createLogger((entry) => void lines.push(JSON.stringify(entry)), { level: 'debug' });
    let runs = 0;
    const worker = createIntervalWorker(
      () => {
        runs++;
        throw Object.assign(new Error('row conflict'), { rowId: 42n });
      },
      { name: 'w', intervalMs: 10, backoffMs: 100, backoffMaxMs: 100, clock, logger },
    );
    const unhandled = await unhandledDuring(async () => {
      await worker.start();
      await clock.tickAsync(300);
    });
    expect(unhandled).toEqual([]);
    expect(runs).toBe(4);
    expect(lines).toEqual([]);
    expect(worker.health()).toMatchObject({ status: 'running', healthy: true, ready: false });
    await worker.stop();
    expect(worker.health().status).toBe('stopped');
  });

  it('reports failed and unhealthy, not running, when its loop dies outside a run', async () => {
    const clock = new ManualClock();
    let scheduled = 0;
    const brokenClock = {
      now: () => clock.now(),
      setTimeout: (callback: () => void, ms: number) => {
        if (++scheduled === 2) throw new Error('timer wheel broken');
        return clock.setTimeout(callback, ms);
      },
    };
    let runs = 0;
    const worker = createIntervalWorker(() => void runs++, {
      name: 'w',
      intervalMs: 100,
      clock: brokenClock as never,
    });
    const unhandled = await unhandledDuring(async () => {
      await worker.start();
      await clock.tickAsync(100);
    });
    expect(unhandled).toEqual([]);
    expect(runs).toBe(2);
    expect(worker.health()).toMatchObject({
      status: 'failed',
      healthy: false,
      ready: false,
      error: "The worker's loop failed: timer wheel broken",
    });
    await expect(worker.stop()).resolves.toBeUndefined();
    expect(worker.health().status).toBe('failed');
  });

  it('reports a thrown value that cannot be made a string without its health() throwing', async () => {
    const clock = new ManualClock();
    const worker = createIntervalWorker(
      () => {
        throw Object.create(null) as unknown;
      },
      { name: 'w', clock },
    );
    await worker.start();
    await settle();
    expect(worker.health()).toMatchObject({ healthy: true, ready: false, error: '[object Object]' });
    await worker.stop();
  });
});

describe('IntervalWorker.stop', () => {
  it('signals stopping at once and lets the current run finish within the deadline', async () => {
    const clock = new ManualClock();
    let seen: IntervalTaskContext | undefined;
    let finished = false;
    const worker = createIntervalWorker(
      async (context) => {
        seen = context;
        await clock.sleep(1_000);
        finished = true;
      },
      { name: 'w', clock },
    );
    await worker.start();
    await settle();
    const stopping = worker.stop({ deadline: 5_000 });
    expect(seen?.stopping.aborted).toBe(true);
    expect(worker.health().status).toBe('stopping');
    await clock.tickAsync(1_000);
    await stopping;
    expect(finished).toBe(true);
    expect(seen?.signal.aborted).toBe(false);
    expect(worker.health().status).toBe('stopped');
  });

  it('aborts the run once the deadline passes and waits for it to unwind', async () => {
    const clock = new ManualClock();
    let reason: unknown;
    const worker = createIntervalWorker(
      async ({ signal }) => {
        try {
          await clock.sleep(60_000, signal);
        } catch (error) {
          reason = error;
          throw error;
        }
      },
      { name: 'w', clock },
    );
    await worker.start();
    await settle();
    const stopping = worker.stop({ deadline: 2_000 });
    await clock.tickAsync(2_000);
    await stopping;
    expect(String(reason)).toMatch(/did not finish its run within the 2000 ms stop deadline/);
    expect(worker.health()).toMatchObject({ status: 'stopped', details: { failures: 0 } });
  });

  it('runs nothing more after stop', async () => {
    const clock = new ManualClock();
    let runs = 0;
    const worker = createIntervalWorker(() => void runs++, { name: 'w', intervalMs: 100, clock });
    await worker.start();
    await settle();
    await worker.stop();
    worker.wake();
    await clock.tickAsync(1_000);
    expect(runs).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('is idempotent: concurrent and later calls share one stop', async () => {
    const worker = createIntervalWorker(() => {}, { name: 'w', clock: new ManualClock() });
    await worker.start();
    const first = worker.stop();
    expect(worker.stop({ deadline: 1 })).toBe(first);
    await first;
    expect(worker.stop()).toBe(first);
  });

  it('stops a worker that never started, which then refuses to start', async () => {
    const worker = createIntervalWorker(() => {}, { name: 'w', clock: new ManualClock() });
    await worker[Symbol.asyncDispose]();
    expect(worker.health().status).toBe('stopped');
    const error: unknown = await worker.start().catch((caught: unknown) => caught);
    expect(isWorkerStartError(error)).toBe(true);
    expect(String(error)).toMatch(/Worker "w" is stopped; create a new one/);
  });

  it('refuses a negative deadline with a ValidationError', async () => {
    const worker = createIntervalWorker(() => {}, { name: 'w', clock: new ManualClock() });
    const error: unknown = await worker.stop({ deadline: -1 }).catch((caught: unknown) => caught);
    expect(isValidationError(error)).toBe(true);
    expect(worker.health().status).toBe('idle');
  });
});

describe('createIntervalWorker options', () => {
  it('keeps every default when options are undefined', async () => {
    const clock = new ManualClock();
    const runsAt: number[] = [];
    const worker = createIntervalWorker(() => void runsAt.push(clock.now()), {
      name: 'w',
      clock,
      intervalMs: undefined,
      runOnStart: undefined,
      backoffMs: undefined,
      backoffMaxMs: undefined,
      failAfter: undefined,
      stallAfterMs: undefined,
      details: undefined,
      logger: undefined,
    });
    await worker.start();
    await clock.tickAsync(2_000);
    expect(runsAt).toEqual([0, 1_000, 2_000]);
    await worker.stop();
  });

  it('accepts Infinity where documented', () => {
    expect(() =>
      createIntervalWorker(() => {}, { name: 'w', failAfter: Infinity, stallAfterMs: Infinity }),
    ).not.toThrow();
  });

  it('lists every bad option in one ValidationError', () => {
    let error: unknown;
    try {
      createIntervalWorker('nope' as never, {
        name: '',
        intervalMs: 0,
        backoffMs: 500,
        backoffMaxMs: 100,
        failAfter: 0,
        stallAfterMs: Number.NaN,
        clock: {} as never,
      });
    } catch (caught) {
      error = caught;
    }
    expect(isValidationError(error)).toBe(true);
    const paths = isValidationError(error) ? error.issues.map((issue) => issue.path.join('.')) : [];
    expect(paths.sort()).toEqual([
      'backoffMaxMs',
      'clock',
      'failAfter',
      'intervalMs',
      'name',
      'stallAfterMs',
      'task',
    ]);
  });

  it('accepts a clock and a logger with only the methods it calls', async () => {
    const clock = new ManualClock();
    const warnings: string[] = [];
    const runs: number[] = [];
    const worker = createIntervalWorker(
      () => {
        runs.push(clock.now());
        if (runs.length === 1) throw new Error('first run fails');
      },
      {
        name: 'w',
        intervalMs: 100,
        backoffMs: 50,
        clock: {
          now: () => clock.now(),
          setTimeout: (callback: () => void, ms: number) => clock.setTimeout(callback, ms),
        } as never,
        logger: {
          debug: () => {},
          warn: (message: string) => void warnings.push(message),
          error: () => {},
        } as never,
      },
    );
    await worker.start();
    await settle();
    await clock.tickAsync(50);
    expect(runs).toEqual([0, 50]);
    expect(warnings).toHaveLength(1);
    await worker.stop();
  });

  it('refuses a clock without setTimeout, which it schedules runs with', () => {
    expect(() => createIntervalWorker(() => {}, { name: 'w', clock: { now: () => 0 } as never })).toThrow(
      /clock: must be a Clock \(with now, setTimeout\)/,
    );
  });

  it('requires a name', () => {
    expect(() => createIntervalWorker(() => {}, {} as never)).toThrow(/name: is required/);
  });
});
