import { abortReason, whenAborted, yieldToEventLoop } from '@keel/core';
import type { AppendResult } from '@keel/eventsourcing';
import { isSqlError } from '../../errors.js';
import type { SqlExecutor } from '../../client/sqlClient.js';
import { appendEvents, callGroup, settleAppend } from './appendEvents.js';
import type { AppendRequest, AppendStatement } from './appendEvents.js';
import type { Announcer } from './announcer.js';

/** The most events one grouped call carries; a larger append goes alone. */
export const MAX_GROUP_EVENTS = 1000;

/**
 * Errors after which a grouped call is sent again append by append (nothing of it committed):
 * a clash with a concurrent append (23505, or 40001 where the server's default isolation is
 * stricter), a lock wait past the group's `lock_timeout` (55P03), a deadlock (40P01), and a
 * position past 2^53 - 1 (2200H). Each append then meets its own outcome: a clash is asked
 * again guarded, a wait lasts as long as the lock, only the append that passes 2^53 - 1 fails.
 */
const ALONE_AFTER = new Set(['23505', '40001', '55P03', '40P01', '2200H']);

interface Waiting {
  readonly request: AppendRequest;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
  stopFollowing: () => void;
}

/**
 * Group commit for the appends of one store object outside a caller's transaction: at most
 * `maxCalls` append calls run at once; appends that arrive while they do wait, and the next free
 * call takes them (up to {@link MAX_GROUP_EVENTS} events, one append per stream) to
 * `append_to_streams`, one transaction. When few appends run at once nothing waits and each
 * is its own call; when many do, they share round trips, critical sections, inserts and
 * commits, which is what lets a busy store keep up on a small machine. An append waiting for a
 * call can be aborted by its signal (nothing of it is sent); once sent, it runs to its outcome.
 *
 * With an `announcer`, every append that commits is followed by a notification: a call, of one
 * append or of a group, may carry it in its own transaction (see {@link Announcer.sending}); the
 * others are announced once they commit.
 */
export class AppendGroups {
  readonly #executor: SqlExecutor;
  readonly #statement: AppendStatement;
  readonly #maxCalls: number;
  readonly #announcer: Announcer | undefined;
  #running = 0;
  /** Appends in the calls that run. */
  #sent = 0;
  #waiting: Waiting[] = [];
  /** Whether a turn of {@link #dispatch} is scheduled. */
  #scheduled = false;

  constructor(
    executor: SqlExecutor,
    statement: AppendStatement,
    maxCalls: number,
    announcer?: Announcer | undefined,
  ) {
    this.#executor = executor;
    this.#statement = statement;
    this.#maxCalls = maxCalls;
    this.#announcer = announcer;
  }

  /** Appends now when nothing runs, else with the next group. */
  append(request: AppendRequest, signal: AbortSignal | undefined): Promise<AppendResult> {
    // Alone at once when nothing runs (a lone writer never waits), or when calls are unlimited.
    if (this.#maxCalls === Number.POSITIVE_INFINITY || (this.#running === 0 && !this.#scheduled)) {
      return this.#alone(request);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      const waiting: Waiting = { request, resolve, reject, stopFollowing: noop };
      this.#waiting.push(waiting);
      this.#schedule();
      if (signal === undefined) return;
      waiting.stopFollowing = whenAborted(signal, () => {
        const index = this.#waiting.indexOf(waiting);
        if (index < 0) return; // already sent: it runs to its outcome
        this.#waiting.splice(index, 1);
        reject(abortReason(signal));
      });
    });
  }

  async #alone(request: AppendRequest): Promise<AppendResult> {
    this.#running++;
    this.#sent++;
    try {
      return await this.#announced(request);
    } finally {
      this.#running--;
      this.#sent--;
      this.#schedule();
    }
  }

  /** One append in a call of its own, carrying or followed by its notification. */
  #announced(request: AppendRequest): Promise<AppendResult> {
    return this.#notifying(
      (channel) =>
        appendEvents(
          this.#executor,
          channel === undefined ? request : { ...request, notifyChannel: channel },
        ),
      (result) => result.appended && result.events.length > 0,
    );
  }

  /**
   * Runs one call (of one append or of a group) that carries the notification on the channel it
   * is given, if any, and tells the announcer when it is over whether it committed events.
   */
  async #notifying<T>(
    call: (channel: string | undefined) => Promise<T>,
    committed: (result: T) => boolean,
  ): Promise<T> {
    const announcer = this.#announcer;
    if (announcer === undefined) return call(undefined);
    const notice = announcer.sending();
    let appended = false;
    try {
      const result = await call(notice.channel);
      appended = committed(result);
      return result;
    } finally {
      announcer.settled(notice, appended);
    }
  }

  /**
   * Decides at the event loop's next turn, when there is something to decide: the callers of a
   * call get their answers in one turn, and writers that append again at once all arrive before
   * it ends, so they leave together instead of the first taking a free call alone.
   */
  #schedule(): void {
    if (this.#scheduled || this.#waiting.length === 0) return;
    this.#scheduled = true;
    void yieldToEventLoop().then(() => {
      this.#scheduled = false;
      this.#dispatch();
    });
  }

  /**
   * Sends what waits while calls are free, each call its fair share: the appends sent and waiting,
   * divided among the calls. While a call runs, fewer waiting appends than a share wait for its
   * answer (whose callers then join them), so that busy writers settle into calls of equal size
   * rather than one writer alone in one call and all others in the other.
   */
  #dispatch(): void {
    while (this.#running < this.#maxCalls && this.#waiting.length > 0) {
      const share = Math.max(1, Math.ceil((this.#waiting.length + this.#sent) / this.#maxCalls));
      if (this.#running > 0 && this.#waiting.length < share) return;
      const group = this.#take(share);
      for (const waiting of group) waiting.stopFollowing();
      if (group.length === 1) {
        const [only] = group as [Waiting];
        this.#alone(only.request).then(only.resolve, only.reject);
      } else void this.#together(group);
    }
  }

  /**
   * The longest run of waiting appends, oldest first, of at most `limit` appends and
   * {@link MAX_GROUP_EVENTS} events (at least one), to different streams and with no event id
   * in common: a grouped append does not see the group's own rows, so a second append to a
   * stream (or a retry of an append) waits for the next call, after the first.
   */
  #take(limit: number): Waiting[] {
    const first = this.#waiting[0]!.request;
    let events = first.events.length;
    const streams = new Set([first.streamName]);
    const ids = new Set(first.ids);
    let count = 1;
    for (; count < this.#waiting.length && count < limit; count++) {
      const next = this.#waiting[count]!.request;
      if (events + next.events.length > MAX_GROUP_EVENTS || streams.has(next.streamName)) break;
      if (next.ids.some((id) => ids.has(id))) break;
      events += next.events.length;
      streams.add(next.streamName);
      for (const id of next.ids) ids.add(id);
    }
    return this.#waiting.splice(0, count);
  }

  /** Several appends in one call, carrying or followed by the notification as one append is. */
  async #together(group: readonly Waiting[]): Promise<void> {
    const requests = group.map((waiting) => waiting.request);
    this.#running++;
    this.#sent += group.length;
    let outcomes;
    try {
      outcomes = await this.#notifying(
        (channel) => callGroup(this.#executor, this.#statement, requests, channel),
        (answers) => answers.some((answer) => answer.outcome === 'appended'),
      );
    } catch (error) {
      // The call is over either way: free it before the appends go one by one.
      this.#running--;
      this.#sent -= group.length;
      this.#schedule();
      const alone = isSqlError(error) && error.sqlState !== undefined && ALONE_AFTER.has(error.sqlState);
      for (const waiting of group) {
        if (alone) this.#announced(waiting.request).then(waiting.resolve, waiting.reject);
        else waiting.reject(error);
      }
      return;
    }
    this.#running--;
    this.#sent -= group.length;
    this.#schedule();
    group.forEach((waiting, index) => {
      settleAppend(this.#executor, waiting.request, outcomes[index]!).then(waiting.resolve, waiting.reject);
    });
  }
}

function noop(): void {}
