import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manualClock.js';
import { isValidationError } from '../errors/errors.js';
import { createIntervalWorker } from './intervalWorker.js';
import type { SignalSource } from './stopOn.js';
import type { Worker, WorkerHealth, WorkerStatus, WorkerStopOptions } from './worker.js';
import { isWorkerStartError, isWorkerStopError } from './workerErrors.js';
import { runWorkers } from './workerHost.js';

async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A worker whose start and stop the test drives. */
class FakeWorker implements Worker {
  status: WorkerStatus = 'idle';
  healthy = true;
  startSignal: AbortSignal | undefined;
  stopCalls: WorkerStopOptions[] = [];
  details: Record<string, unknown> | undefined;
  constructor(
    readonly name: string,
    readonly behaviour: { start?: () => Promise<void>; stop?: () => Promise<void> } = {},
  ) {}
  async start(signal?: AbortSignal): Promise<void> {
    this.startSignal = signal;
    this.status = 'starting';
    await this.behaviour.start?.();
    this.status = 'running';
  }
  async stop(options?: WorkerStopOptions): Promise<void> {
    this.stopCalls.push(options ?? {});
    this.status = 'stopping';
    await this.behaviour.stop?.();
    this.status = 'stopped';
  }
  health(): WorkerHealth {
    return {
      name: this.name,
      status: this.status,
      healthy: this.healthy,
      ready: this.status === 'running',
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

function fakeProcess(): SignalSource & { emit(signal: string): void; count(): number; exits: number[] } {
  const listeners = new Map<string, Set<(signal: string) => void>>();
  const exits: number[] = [];
  return {
    exits,
    once(signal, listener) {
      const set = listeners.get(signal) ?? new Set();
      const wrapped = (name: string): void => {
        set.delete(wrapped);
        listener(name);
      };
      (wrapped as { original?: unknown }).original = listener;
      set.add(wrapped);
      listeners.set(signal, set);
    },
    removeListener(signal, listener) {
      for (const entry of listeners.get(signal) ?? [])
        if ((entry as { original?: unknown }).original === listener) listeners.get(signal)!.delete(entry);
    },
    exit: (code) => void exits.push(code ?? 0),
    emit: (signal) => [...(listeners.get(signal) ?? [])].forEach((listener) => listener(signal)),
    count: () => [...listeners.values()].reduce((total, set) => total + set.size, 0),
  };
}

/** A logger every method of which throws, as one whose transport is down does. */
const throwingLogger = {
  debug: () => {
    throw new Error('log transport down');
  },
  info: () => {
    throw new Error('log transport down');
  },
  warn: () => {
    throw new Error('log transport down');
  },
  error: () => {
    throw new Error('log transport down');
  },
  child: () => throwingLogger,
};

describe('runWorkers', () => {
  it('starts every worker and reports running, live and ready', async () => {
    const a = new FakeWorker('a');
    const b = new FakeWorker('b');
    const host = runWorkers([a, b], { clock: new ManualClock() });
    await host.whenStarted();
    expect(host.status).toBe('running');
    expect([a.status, b.status]).toEqual(['running', 'running']);
    expect(host.live()).toBe(true);
    expect(host.ready()).toBe(true);
    expect(host.health().workers.map((worker) => worker.name)).toEqual(['a', 'b']);
    await host.stop();
  });

  it('is not ready while a worker is still starting', async () => {
    let finish!: () => void;
    const slow = new FakeWorker('slow', { start: () => new Promise<void>((resolve) => (finish = resolve)) });
    const host = runWorkers([new FakeWorker('fast'), slow], { clock: new ManualClock() });
    await settle();
    expect(host.health()).toMatchObject({ status: 'starting', healthy: true, ready: false });
    finish();
    await host.whenStarted();
    expect(host.ready()).toBe(true);
    await host.stop();
  });

  it('refuses two workers with one name', () => {
    let error: unknown;
    try {
      runWorkers([new FakeWorker('relay'), new FakeWorker('relay')]);
    } catch (caught) {
      error = caught;
    }
    expect(isValidationError(error)).toBe(true);
    expect(String(error)).toMatch(/unique names \("relay" given more than once\)/);
  });

  it('refuses what is not a worker, and bad options, in one ValidationError', () => {
    let error: unknown;
    try {
      runWorkers([new FakeWorker('a'), {} as Worker], { stopDeadlineMs: -1, stopGraceMs: Number.NaN });
    } catch (caught) {
      error = caught;
    }
    const paths = isValidationError(error) ? error.issues.map((issue) => issue.path.join('.')) : [];
    expect(paths.sort()).toEqual(['stopDeadlineMs', 'stopGraceMs', 'workers']);
  });

  it('keeps the defaults when options are undefined', async () => {
    const worker = new FakeWorker('a');
    const host = runWorkers([worker], {
      stopDeadlineMs: undefined,
      stopGraceMs: undefined,
      clock: undefined,
      logger: undefined,
    });
    await host.whenStarted();
    await host.stop();
    expect(worker.stopCalls).toEqual([{ deadline: 10_000 }]);
  });

  it('accepts a clock and a logger with only the methods it calls', async () => {
    const clock = new ManualClock();
    const messages: string[] = [];
    const host = runWorkers([new FakeWorker('a')], {
      clock: {
        now: () => clock.now(),
        setTimeout: (callback: () => void, ms: number) => clock.setTimeout(callback, ms),
      } as never,
      logger: { info: (message: string) => void messages.push(message), error: () => {} } as never,
    });
    await host.whenStarted();
    expect(host.healthReport().time).toBe(new Date(0).toISOString());
    await host.stop();
    expect(messages).toEqual(['Stopping 1 worker(s) within 10000 ms.']);
  });

  it('refuses a logger without info, which it logs the stop with', () => {
    expect(() => runWorkers([new FakeWorker('a')], { logger: { error: () => {} } as never })).toThrow(
      /logger: must be a Logger \(with info, error\)/,
    );
  });

  it('stops the other workers and reports failed when a worker fails to start', async () => {
    const good = new FakeWorker('good');
    const bad = new FakeWorker('bad', {
      start: () => Promise.reject(new Error('cannot reach the database')),
    });
    const host = runWorkers([good, bad], { clock: new ManualClock() });
    const error: unknown = await host.whenStarted().catch((caught: unknown) => caught);
    expect(isWorkerStartError(error)).toBe(true);
    expect(isWorkerStartError(error) && error.failures.map((failure) => failure.name)).toEqual(['bad']);
    expect(good.status).toBe('stopped');
    expect(host.status).toBe('failed');
    expect(host.live()).toBe(false);
    expect(host.ready()).toBe(false);
    expect(host.health().workers[1]).toMatchObject({
      name: 'bad',
      status: 'failed',
      error: 'cannot reach the database',
    });
    expect(host.healthReport().status).toBe('fail');
    await expect(host.stop()).resolves.toBeUndefined();
  });

  it('still stops the others and rejects with a WorkerStartError when its logger throws', async () => {
    const good = new FakeWorker('good');
    const bad = new FakeWorker('bad', {
      start: () => Promise.reject(new Error('cannot reach the database')),
    });
    const host = runWorkers([good, bad], { clock: new ManualClock(), logger: throwingLogger });
    const error: unknown = await host.whenStarted().catch((caught: unknown) => caught);
    expect(isWorkerStartError(error)).toBe(true);
    expect(good.status).toBe('stopped');
    expect(host.status).toBe('failed');
  });

  it('reports not live when a worker turns unhealthy', async () => {
    const worker = new FakeWorker('a');
    const host = runWorkers([worker, new FakeWorker('b')], { clock: new ManualClock() });
    await host.whenStarted();
    worker.healthy = false;
    expect(host.live()).toBe(false);
    expect(host.healthReport().status).toBe('fail');
    await host.stop();
  });

  it('treats a worker whose health() throws as unhealthy', async () => {
    const worker = new FakeWorker('a');
    worker.health = () => {
      throw new Error('probe broke');
    };
    const host = runWorkers([worker], { clock: new ManualClock() });
    await host.whenStarted();
    expect(host.health().workers[0]).toMatchObject({ healthy: false, error: 'probe broke' });
    await host.stop();
  });
});

describe('WorkerHost.stop', () => {
  it('stops every worker in parallel with the one shared deadline', async () => {
    const clock = new ManualClock();
    const releases: (() => void)[] = [];
    const slow = (name: string): FakeWorker =>
      new FakeWorker(name, { stop: () => new Promise<void>((resolve) => releases.push(resolve)) });
    const workers = [slow('a'), slow('b'), slow('c')];
    const host = runWorkers(workers, { clock });
    await host.whenStarted();
    const stopping = host.stop({ deadline: 3_000 });
    await settle();
    expect(releases).toHaveLength(3);
    expect(host.status).toBe('stopping');
    releases.forEach((release) => release());
    await stopping;
    expect(workers.map((worker) => worker.stopCalls)).toEqual([
      [{ deadline: 3_000 }],
      [{ deadline: 3_000 }],
      [{ deadline: 3_000 }],
    ]);
    expect(host.status).toBe('stopped');
  });

  it('is idempotent: every call gets the same stop', async () => {
    const worker = new FakeWorker('a');
    const host = runWorkers([worker], { clock: new ManualClock() });
    await host.whenStarted();
    const first = host.stop();
    expect(host.stop({ deadline: 5 })).toBe(first);
    await first;
    await host[Symbol.asyncDispose]();
    expect(worker.stopCalls).toHaveLength(1);
  });

  it('stops every worker when its logger throws', async () => {
    const worker = new FakeWorker('a');
    const host = runWorkers([worker], { clock: new ManualClock(), logger: throwingLogger });
    await host.whenStarted();
    await expect(host.stop()).resolves.toBeUndefined();
    expect(worker.status).toBe('stopped');
    expect(host.status).toBe('stopped');
  });

  it('gives up on a worker whose stop outlasts the deadline plus grace, with a WorkerStopError', async () => {
    const clock = new ManualClock();
    const stuck = new FakeWorker('stuck', { stop: () => new Promise<void>(() => {}) });
    const fine = new FakeWorker('fine');
    const host = runWorkers([stuck, fine], { clock, stopGraceMs: 500 });
    await host.whenStarted();
    const outcome = host.stop({ deadline: 1_000 }).catch((caught: unknown) => caught);
    await clock.tickAsync(1_500);
    const error = await outcome;
    expect(isWorkerStopError(error)).toBe(true);
    expect(String(error)).toMatch(/"stuck" \(Stopping worker "stuck" timed out after 1500 ms\.\)/);
    expect(fine.status).toBe('stopped');
  });

  it('aborts starts in flight and rejects whenStarted when stopped while starting', async () => {
    const starting = new FakeWorker('starting', {
      start: () =>
        new Promise<void>((_resolve, reject) =>
          starting.startSignal!.addEventListener('abort', () => reject(starting.startSignal!.reason)),
        ),
    });
    const host = runWorkers([starting], { clock: new ManualClock() });
    await settle();
    await host.stop();
    const error: unknown = await host.whenStarted().catch((caught: unknown) => caught);
    expect(starting.startSignal?.aborted).toBe(true);
    expect(isWorkerStartError(error)).toBe(true);
    expect(String(error)).toMatch(/stopped before every worker had started/);
    expect(host.status).toBe('stopped');
  });

  it('stops interval workers mid-run within the deadline', async () => {
    const clock = new ManualClock();
    const loop = createIntervalWorker(({ signal }) => clock.sleep(60_000, signal), { name: 'loop', clock });
    const host = runWorkers([loop], { clock });
    await host.whenStarted();
    await settle();
    const stopping = host.stop({ deadline: 2_000 });
    await clock.tickAsync(2_000);
    await stopping;
    expect(loop.health().status).toBe('stopped');
  });
});

describe('WorkerHost.stopOn', () => {
  it('stops the host on SIGTERM from the given process', async () => {
    const processLike = fakeProcess();
    const worker = new FakeWorker('a');
    const host = runWorkers([worker], { clock: new ManualClock() });
    await host.whenStarted();
    host.stopOn(undefined, { process: processLike, deadline: 250 });
    expect(processLike.count()).toBe(2);
    processLike.emit('SIGTERM');
    await settle();
    expect(worker.stopCalls).toEqual([{ deadline: 250 }]);
    expect(host.status).toBe('stopped');
    expect(processLike.exits).toEqual([]);
  });

  it('stops the host and exits with 0 on a signal even when its logger throws', async () => {
    const processLike = fakeProcess();
    const worker = new FakeWorker('a');
    const host = runWorkers([worker], { clock: new ManualClock(), logger: throwingLogger });
    await host.whenStarted();
    host.stopOn(['SIGTERM'], { process: processLike, exit: true });
    expect(() => processLike.emit('SIGTERM')).not.toThrow();
    await settle();
    expect(worker.stopCalls).toHaveLength(1);
    expect(host.status).toBe('stopped');
    expect(processLike.exits).toEqual([0]);
  });

  it('exits with 0 after a clean stop when asked to', async () => {
    const processLike = fakeProcess();
    const host = runWorkers([new FakeWorker('a')], { clock: new ManualClock() });
    await host.whenStarted();
    host.stopOn(['SIGINT'], { process: processLike, exit: true });
    processLike.emit('SIGINT');
    await settle();
    expect(processLike.exits).toEqual([0]);
  });

  it('runs the clean-up after the stop and before exiting', async () => {
    const processLike = fakeProcess();
    const worker = new FakeWorker('a');
    const host = runWorkers([worker], { clock: new ManualClock() });
    await host.whenStarted();
    const seen: unknown[] = [];
    host.stopOn(['SIGTERM'], {
      process: processLike,
      exit: true,
      onStopped: async (error) => {
        seen.push({ stopped: host.status, error, exits: [...processLike.exits] });
      },
    });
    processLike.emit('SIGTERM');
    await settle();
    expect(seen).toEqual([{ stopped: 'stopped', error: undefined, exits: [] }]);
    expect(processLike.exits).toEqual([0]);
  });

  it('exits with 1 when the clean-up after the stop fails', async () => {
    const processLike = fakeProcess();
    const host = runWorkers([new FakeWorker('a')], { clock: new ManualClock() });
    await host.whenStarted();
    host.stopOn(['SIGTERM'], {
      process: processLike,
      exit: true,
      onStopped: () => Promise.reject(new Error('server would not close')),
    });
    processLike.emit('SIGTERM');
    await settle();
    expect(processLike.exits).toEqual([1]);
  });

  it('removes its listeners when disposed', async () => {
    const processLike = fakeProcess();
    const worker = new FakeWorker('a');
    const host = runWorkers([worker], { clock: new ManualClock() });
    const dispose = host.stopOn(['SIGTERM', 'SIGHUP'], { process: processLike });
    dispose();
    processLike.emit('SIGTERM');
    await settle();
    expect(processLike.count()).toBe(0);
    expect(worker.stopCalls).toEqual([]);
    await host.stop();
  });

  it('refuses an empty signal list and a process without exit when exit is asked', () => {
    const host = runWorkers([], { clock: new ManualClock() });
    const { exit: _exit, ...noExit } = fakeProcess();
    expect(() => host.stopOn([], { process: noExit, exit: true })).toThrow(
      /signals: must be a non-empty array[\s\S]*process: must be a process-like object/,
    );
  });
});

describe('WorkerHost.healthReport', () => {
  it('is plain JSON with a verdict, each worker by name and details made serializable', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
    const worker = new FakeWorker('relay');
    worker.details = { backlog: 12n, lastError: new Error('timeout'), owned: new Set(['p1']) };
    const host = runWorkers([worker], { clock });
    expect(host.healthReport().status).toBe('warn');
    await host.whenStarted();
    const report = host.healthReport();
    expect(JSON.parse(JSON.stringify(report))).toEqual({
      status: 'pass',
      healthy: true,
      ready: true,
      time: '2026-03-01T12:00:00.000Z',
      workers: {
        relay: {
          status: 'running',
          healthy: true,
          ready: true,
          details: { backlog: '12', lastError: { name: 'Error', message: 'timeout' }, owned: ['p1'] },
        },
      },
    });
    await host.stop();
  });
});
