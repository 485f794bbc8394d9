import type { ManualClock, Worker } from '@keel/core';
import { vi } from 'vitest';

/** How many heartbeats a worker has run, from its health details. */
export function heartbeatsOf(worker: Worker): number {
  return Number(worker.health().details?.['heartbeats'] ?? 0);
}

/** Moves `clock` by `ms` and waits until the worker has run its next heartbeat. */
export async function nextHeartbeat(worker: Worker, clock: ManualClock, ms: number): Promise<void> {
  const before = heartbeatsOf(worker);
  await clock.tickAsync(ms);
  await vi.waitFor(
    () => {
      if (heartbeatsOf(worker) <= before) throw new Error(`${worker.name} has not beaten yet`);
    },
    { timeout: 15_000, interval: 5 },
  );
}

/** Waits (in real time, for database round trips) until `condition` holds. */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await condition())) throw new Error(`still waiting: ${what}`);
    },
    { timeout: 15_000, interval: 10 },
  );
}
