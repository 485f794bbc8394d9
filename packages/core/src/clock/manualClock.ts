import { yieldToEventLoop } from '../concurrency/yieldToEventLoop.js';
import type { Clock, Timer } from './clock.js';
import { assertTimerDelay, sleepWith } from './clock.js';

interface ScheduledTimer {
  id: number;
  dueAt: number;
  readonly intervalMs: number | undefined;
  readonly callback: () => void;
}

/**
 * A clock for tests whose time moves only when told to. Advancing it runs every due timer in
 * time order (ties in the order they were scheduled), including timers that those timers
 * schedule, and sets `now()` to each timer's due time while it runs. Time never moves back:
 * when a timer advances the clock itself, or two `tickAsync` calls overlap, `now()` ends at the
 * furthest time reached.
 *
 * Use {@link ManualClock.advance} for synchronous code and {@link ManualClock.tickAsync} when
 * the code under test awaits between timers (e.g. a retry loop awaiting `sleep`).
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const done = clock.sleep(1_000);
 * await clock.tickAsync(1_000); // `done` resolves
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 0;
  #timers: ScheduledTimer[] = [];

  /** @param start The initial time in milliseconds since the epoch, or a `Date`. @default 0 */
  constructor(start: number | Date = 0) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  /** The current virtual time. */
  now(): number {
    return this.#now;
  }

  /** How many timers are waiting to run. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** When the next timer is due, or `undefined` when none is. */
  get nextDueAt(): number | undefined {
    return this.#timers[0]?.dueAt;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    return this.#schedule(callback, assertTimerDelay(ms), undefined);
  }

  setInterval(callback: () => void, ms: number): Timer {
    if (assertTimerDelay(ms) === 0) throw new RangeError('An interval must be longer than 0 ms.');
    return this.#schedule(callback, ms, ms);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    // A bad delay makes setTimeout throw inside sleepWith's executor: a rejection, as documented.
    return sleepWith(this, ms, signal);
  }

  /**
   * Moves time forward by `ms`, running due timers synchronously. Returns how many ran.
   * Promise callbacks queued by the timers run only after this returns.
   */
  advance(ms: number): number {
    const target = this.#now + assertTimerDelay(ms);
    let ran = 0;
    for (let timer = this.#takeDue(target); timer; timer = this.#takeDue(target)) {
      this.#run(timer);
      ran++;
    }
    // A timer may have moved time past the target (a nested advance): time never goes back.
    this.#now = Math.max(this.#now, target);
    return ran;
  }

  /**
   * Moves time forward by `ms`, letting pending promise callbacks run before and after every
   * timer, so async code that awaits timers progresses as it would in real time.
   */
  async tickAsync(ms: number): Promise<number> {
    const target = this.#now + assertTimerDelay(ms);
    let ran = 0;
    await yieldToEventLoop();
    for (let timer = this.#takeDue(target); timer; timer = this.#takeDue(target)) {
      this.#run(timer);
      ran++;
      await yieldToEventLoop();
    }
    // An overlapping advance or tickAsync may have moved time past the target: it never goes back.
    this.#now = Math.max(this.#now, target);
    return ran;
  }

  /**
   * Runs timers (and pending promise callbacks) until none is left, jumping time to each.
   * Throws after `maxTimers` to stop an endless chain such as an interval.
   */
  async runAllAsync(maxTimers = 10_000): Promise<number> {
    let ran = 0;
    await yieldToEventLoop();
    for (let timer = this.#takeDue(Infinity); timer; timer = this.#takeDue(Infinity)) {
      if (ran >= maxTimers)
        throw new RangeError(`Stopped after ${maxTimers} timers; is an interval running?`);
      this.#run(timer);
      ran++;
      await yieldToEventLoop();
    }
    return ran;
  }

  /** Sets the time directly, running every timer due on the way (forward moves only). */
  setTime(time: number | Date): number {
    const target = typeof time === 'number' ? time : time.getTime();
    if (target < this.#now)
      throw new RangeError(`A manual clock cannot go back from ${this.#now} to ${target}.`);
    return this.advance(target - this.#now);
  }

  #schedule(callback: () => void, delay: number, intervalMs: number | undefined): Timer {
    const timer: ScheduledTimer = { id: this.#nextId++, dueAt: this.#now + delay, intervalMs, callback };
    this.#insert(timer);
    return { cancel: () => this.#remove(timer) };
  }

  #insert(timer: ScheduledTimer): void {
    // Keep the list sorted by due time, then by id (schedule order): a binary search for the slot.
    let low = 0;
    let high = this.#timers.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.#timers[mid]!;
      if (other.dueAt < timer.dueAt || (other.dueAt === timer.dueAt && other.id < timer.id)) low = mid + 1;
      else high = mid;
    }
    this.#timers.splice(low, 0, timer);
  }

  #remove(timer: ScheduledTimer): void {
    const index = this.#timers.indexOf(timer);
    if (index >= 0) this.#timers.splice(index, 1);
  }

  #takeDue(target: number): ScheduledTimer | undefined {
    const first = this.#timers[0];
    if (first === undefined || first.dueAt > target) return undefined;
    this.#timers.shift();
    return first;
  }

  #run(timer: ScheduledTimer): void {
    this.#now = Math.max(this.#now, timer.dueAt);
    if (timer.intervalMs !== undefined) {
      // Re-arm before running so the callback can cancel its own interval.
      timer.id = this.#nextId++;
      timer.dueAt += timer.intervalMs;
      this.#insert(timer);
    }
    timer.callback();
  }
}
