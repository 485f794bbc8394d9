import { createEvent, newId, systemClock } from '@keel/core';
import type { SeededRandom } from '@keel/core';
import { ANY } from '@keel/eventsourcing';
import { PostgresEventStore, PostgresOutbox } from '@keel/postgres';
import { PostgresSagaStore } from '@keel/postgres/saga';
import type { SqlClient } from '@keel/postgres';
import { ACCOUNT_EVENTS, ACCOUNT_PREFIX } from './projections.js';
import type { ChaosSagaName } from './sagas.js';
import { SagaOrchestrator } from '@keel/saga';
import { chaosSagas, SagaEffects, SAGA_STEPS } from './sagas.js';

/** One acknowledged command: its events (by id) and the outbox message committed with them. */
export interface AckedAppend {
  readonly stream: string;
  readonly eventIds: readonly string[];
  readonly messageId: string;
}

/** One acknowledged saga request, with what the driver planned for it. */
export interface AckedSaga {
  readonly sagaId: string;
  readonly sagaName: ChaosSagaName;
  readonly failAt: number | null;
}

/** What the driver did: acknowledged operations, and those whose outcome it does not know. */
export interface DriverLedger {
  readonly appends: AckedAppend[];
  readonly sagas: AckedSaga[];
  /** Commands that threw: their events and message may or may not exist (at most once each). */
  readonly uncertainAppends: AckedAppend[];
  /** Saga requests that threw. */
  readonly uncertainSagas: string[];
  /** The first few errors the driver saw, for the report. */
  readonly errors: string[];
}

/** Options of {@link LoadDriver}. */
export interface LoadDriverOptions {
  readonly client: SqlClient;
  readonly schema: string;
  readonly random: SeededRandom;
  /** Parallel load loops. */
  readonly concurrency: number;
  /** The share of operations that request a saga (the rest are commands). */
  readonly sagaShare: number;
  /** The share of sagas planned to fail at a step and compensate. */
  readonly failShare: number;
  /** Pause between two operations of one loop, in ms (drawn in this range). */
  readonly pauseMs: readonly [number, number];
  /** How long each saga step takes, in ms (drawn in this range per saga). */
  readonly stepDelayMs: readonly [number, number];
  /** Account streams the commands spread over. */
  readonly streams: number;
}

/**
 * Applies steady load until stopped: commands that append 1–3 events to an account stream and
 * enqueue an outbox message in the same transaction, and saga requests (enqueued, unleased, for
 * the workers to claim), recording every operation that was acknowledged.
 */
export class LoadDriver {
  readonly ledger: DriverLedger = {
    appends: [],
    sagas: [],
    uncertainAppends: [],
    uncertainSagas: [],
    errors: [],
  };
  readonly #options: LoadDriverOptions;
  readonly #outbox: PostgresOutbox;
  readonly #sagas: SagaOrchestrator<ReturnType<typeof chaosSagas>[number]>;
  readonly #stop = new AbortController();
  #loops: Promise<void>[] = [];

  constructor(options: LoadDriverOptions) {
    this.#options = options;
    this.#outbox = new PostgresOutbox(options.client, { schema: options.schema });
    // Only enqueues: the sagas run in the workers, which claim them at their next pass.
    const store = new PostgresSagaStore(options.client, { schema: options.schema });
    const effects = new SagaEffects(options.client, options.schema);
    this.#sagas = new SagaOrchestrator(store, chaosSagas(effects), { owner: 'load-driver' });
  }

  /** Starts the load loops. */
  start(): void {
    for (let loop = 0; loop < this.#options.concurrency; loop++) this.#loops.push(this.#loop());
  }

  /** Stops the loops and waits for the operations in flight. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#loops);
  }

  async #loop(): Promise<void> {
    const { random, pauseMs } = this.#options;
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      if (random.next() < this.#options.sagaShare) await this.#requestSaga();
      else await this.#command();
      await systemClock.sleep(random.between(pauseMs[0], pauseMs[1]), signal).catch(() => undefined);
    }
  }

  async #command(): Promise<void> {
    const { random, client, schema } = this.#options;
    const stream = `${ACCOUNT_PREFIX}${random.between(1, this.#options.streams)}`;
    const events = Array.from({ length: random.between(1, 3) }, () => ({
      type: random.pick(ACCOUNT_EVENTS),
      data: { amount: random.between(1, 100) },
      eventId: newId(),
    }));
    const message = createEvent('AccountChanged', { stream, events: events.length });
    const append = {
      stream,
      eventIds: events.map((event) => event.eventId),
      messageId: message.metadata.messageId,
    };
    try {
      await client.transaction(async (tx) => {
        await new PostgresEventStore(tx, { schema }).appendToStream(stream, events, { expectedVersion: ANY });
        await this.#outbox.enqueue(tx, [message]);
      });
      this.ledger.appends.push(append);
    } catch (error) {
      this.ledger.uncertainAppends.push(append);
      this.#noteError(error);
    }
  }

  async #requestSaga(): Promise<void> {
    const { random, failShare, stepDelayMs } = this.#options;
    const sagaName = random.pick(Object.keys(SAGA_STEPS) as ChaosSagaName[]);
    const steps = SAGA_STEPS[sagaName].length;
    const failAt = random.next() < failShare ? random.between(0, steps - 1) : null;
    const delayMs = random.between(stepDelayMs[0], stepDelayMs[1]);
    const sagaId = newId();
    try {
      await this.#sagas.enqueue(sagaName, { failAt, delayMs }, { sagaId });
      this.ledger.sagas.push({ sagaId, sagaName, failAt });
    } catch (error) {
      this.ledger.uncertainSagas.push(sagaId);
      this.#noteError(error);
    }
  }

  #noteError(error: unknown): void {
    if (this.ledger.errors.length < 5)
      this.ledger.errors.push(error instanceof Error ? error.message : String(error));
  }
}
