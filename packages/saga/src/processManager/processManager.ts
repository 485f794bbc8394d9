import type { Clock, Logger, Message } from '@keel/core';
import {
  assertOptions,
  isConcurrencyError,
  KeyedQueue,
  noopLogger,
  optionClock,
  optionFunction,
  optionInteger,
  optionLogger,
  optionObject,
  systemClock,
  telemetryEnabled,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import { applyProcessEvent } from './applyProcessEvent.js';
import { inProcessSpan } from './processManagerTelemetry.js';
import type { ProcessDefinition } from './defineProcess.js';
import type { ProcessInstance, ProcessStatus, ProcessStore } from './processStore.js';

/** Where a {@link ProcessManager} keeps state and sends commands. */
export interface ProcessManagerPorts<TCommand extends Message> {
  readonly store: ProcessStore;
  /**
   * Sends one command (e.g. to a command bus). Called after the command was stored, at least
   * once: give handlers idempotency by `command.metadata.messageId`, which stays the same on resend.
   */
  readonly send: (command: TCommand, options: { readonly signal?: AbortSignal }) => PromiseLike<void> | void;
}

/**
 * Options of a {@link ProcessManager}. An option left out or `undefined` takes its default; a
 * bad value is refused at construction with a `ValidationError`.
 */
export interface ProcessManagerOptions {
  /** Source of time. @default systemClock */
  clock?: Clock | undefined;
  /** Where handler and send failures are logged. @default noopLogger */
  logger?: Logger | undefined;
  /**
   * How often `handle` reloads and retries after a concurrent change to the instance: an
   * integer >= 0, or `Infinity` to retry until it wins.
   * @default 5
   */
  maxConflictRetries?: number | undefined;
}

/** The defaults of {@link ProcessManagerOptions}. */
export const PROCESS_MANAGER_DEFAULTS = Object.freeze({ maxConflictRetries: 5 });

type Recorded<TState> = Omit<ProcessHandleResult<TState>, 'sent'>;

/** What {@link ProcessManager.handle} did with an event. */
export interface ProcessHandleResult<TState> {
  /**
   * `handled`: applied; `deferred`: kept for later (came too early); `duplicate`: already
   * received (inbox); `ignored`: not correlated, or the instance had completed.
   */
  readonly outcome: 'handled' | 'deferred' | 'duplicate' | 'ignored';
  readonly correlationId?: string;
  readonly status?: ProcessStatus;
  readonly state?: TState;
  /** The commands sent during this call. */
  readonly sent: readonly Message[];
}

/**
 * Choreography: reacts to events, finds the instance by correlation key, runs its state
 * machine, and stores state, inbox and outbox together before sending commands. A redelivered
 * event is recognised by message id; events that come too early can be deferred, not lost.
 *
 * @example
 * ```ts
 * const manager = new ProcessManager(fulfilment, { store, send: (command) => commandBus.send(command) });
 * eventBus.subscribe((event) => manager.handle(event));
 * ```
 */
export class ProcessManager<TState, TEvent extends Message, TCommand extends Message> {
  readonly #definition: ProcessDefinition<TState, TEvent, TCommand>;
  readonly #ports: ProcessManagerPorts<TCommand>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #maxConflictRetries: number;
  readonly #mutex = new KeyedQueue();

  /**
   * @throws {ValidationError} when a port is missing or of the wrong kind, or an option is out
   *   of range (e.g. `maxConflictRetries` not an integer >= 0).
   */
  constructor(
    definition: ProcessDefinition<TState, TEvent, TCommand>,
    ports: ProcessManagerPorts<TCommand>,
    options?: ProcessManagerOptions,
  ) {
    const settings = withDefaults(
      { ...PROCESS_MANAGER_DEFAULTS, clock: systemClock, logger: noopLogger },
      options,
    );
    assertOptions('ProcessManager', {
      definition: optionObject(definition, 'a process definition', ['correlate', 'initialState'], true),
      store: optionObject(ports?.store, 'a ProcessStore', ['load', 'save', 'listWithOutbox'], true),
      send: optionFunction(ports?.send, true),
      clock: optionClock(settings.clock, ['now']),
      // It logs through child(): the parent must have the levels its child (a logger alike) logs at.
      logger: optionLogger(settings.logger, { uses: ['debug', 'error', 'child'] }),
      maxConflictRetries: optionInteger(settings.maxConflictRetries, { min: 0, infinity: true }),
    });
    this.#definition = definition;
    this.#ports = ports;
    this.#clock = settings.clock;
    this.#logger = settings.logger.child({ processName: definition.name });
    this.#maxConflictRetries = settings.maxConflictRetries;
  }

  /**
   * Handles one event. Rejects (so a transport redelivers) when the handler throws, when the
   * instance keeps changing concurrently, or when sending a stored command fails; the
   * redelivery is then a duplicate that sends the commands still in the outbox. With telemetry
   * installed it runs in a `process_manager <name>` span (continuing the event's trace), so the
   * commands the handler creates carry that trace.
   */
  async handle(event: TEvent, options: { signal?: AbortSignal } = {}): Promise<ProcessHandleResult<TState>> {
    throwIfAborted(options.signal);
    if (!telemetryEnabled()) return this.#handle(event, options);
    return inProcessSpan(this.#definition.name, event, () => this.#handle(event, options));
  }

  async #handle(event: TEvent, options: { signal?: AbortSignal }): Promise<ProcessHandleResult<TState>> {
    const correlationId = this.#definition.correlate(event);
    if (correlationId === undefined) return { outcome: 'ignored', sent: [] };
    // Commands are sent outside the per-instance lock, so a command whose handler synchronously
    // publishes the next event for this instance does not deadlock.
    const { result, toSend } = await this.#mutex.run(correlationId, () => this.#record(correlationId, event));
    return { ...result, sent: await this.#deliver(correlationId, toSend, options.signal) };
  }

  /** Sends the commands left in every instance's outbox (e.g. at boot after a crash); returns how many. */
  async flush(options: { signal?: AbortSignal } = {}): Promise<number> {
    throwIfAborted(options.signal);
    let sent = 0;
    for (const instance of await this.#ports.store.listWithOutbox(this.#definition.name)) {
      sent += (await this.#deliver(instance.correlationId, instance.outbox, options.signal)).length;
    }
    return sent;
  }

  /** The stored instance for a correlation key, or `undefined`. */
  async get(correlationId: string): Promise<ProcessInstance<TState> | undefined> {
    return (await this.#ports.store.load(this.#definition.name, correlationId)) as
      ProcessInstance<TState> | undefined;
  }

  /** Applies and stores the event; returns what to send (this event's commands, or a duplicate's leftovers). */
  async #record(
    correlationId: string,
    event: TEvent,
  ): Promise<{ result: Recorded<TState>; toSend: readonly Message[] }> {
    for (let attempt = 0; ; attempt++) {
      const instance =
        (await this.#ports.store.load(this.#definition.name, correlationId)) ?? this.#fresh(correlationId);
      const base = { correlationId, status: instance.status, state: instance.state as TState };
      if (instance.handled.includes(event.metadata.messageId)) {
        return { result: { ...base, outcome: 'duplicate' }, toSend: instance.outbox };
      }
      if (instance.status === 'completed') {
        this.#logger.debug('Event for a completed process ignored', { correlationId, type: event.type });
        return { result: { ...base, outcome: 'ignored' }, toSend: [] };
      }
      const applied = this.#apply(instance, event);
      try {
        const saved = await this.#ports.store.save(applied.instance, instance.version);
        const result = {
          correlationId,
          outcome: applied.outcome,
          status: saved.status,
          state: saved.state as TState,
        };
        return { result, toSend: saved.outbox.slice(instance.outbox.length) };
      } catch (error) {
        if (!isConcurrencyError(error) || attempt >= this.#maxConflictRetries) throw error;
      }
    }
  }

  #apply(instance: ProcessInstance, event: TEvent): ReturnType<typeof applyProcessEvent> {
    try {
      return applyProcessEvent(this.#definition, instance, event, this.#clock.now());
    } catch (error) {
      const fields = {
        correlationId: instance.correlationId,
        type: event.type,
        messageId: event.metadata.messageId,
      };
      this.#logger.error('Process handler threw; the event was not applied', { ...fields, error });
      throw error;
    }
  }

  #fresh(correlationId: string): ProcessInstance {
    const now = this.#clock.now();
    return {
      processName: this.#definition.name,
      correlationId,
      status: 'active',
      state: this.#definition.initialState(correlationId),
      handled: [],
      pending: [],
      outbox: [],
      createdAt: now,
      updatedAt: now,
      version: 0,
    };
  }

  /** Sends `commands` in order, then removes the sent ones from the stored outbox. */
  async #deliver(
    correlationId: string,
    commands: readonly Message[],
    signal?: AbortSignal,
  ): Promise<Message[]> {
    const sent: Message[] = [];
    try {
      for (const command of commands) {
        throwIfAborted(signal);
        await this.#ports.send(command as TCommand, signal === undefined ? {} : { signal });
        sent.push(command);
      }
    } catch (error) {
      const fields = { correlationId, sent: sent.length, left: commands.length - sent.length };
      this.#logger.error('Sending a process command failed; it stays in the outbox', { ...fields, error });
      await this.#markSent(correlationId, sent);
      throw error;
    }
    await this.#markSent(correlationId, sent);
    return sent;
  }

  async #markSent(correlationId: string, sent: readonly Message[]): Promise<void> {
    if (sent.length === 0) return;
    const ids = new Set(sent.map((command) => command.metadata.messageId));
    await this.#mutex.run(correlationId, async () => {
      for (;;) {
        const current = await this.#ports.store.load(this.#definition.name, correlationId);
        if (current === undefined) return;
        const outbox = current.outbox.filter((command) => !ids.has(command.metadata.messageId));
        try {
          await this.#ports.store.save({ ...current, outbox }, current.version);
          return;
        } catch (error) {
          if (!isConcurrencyError(error)) throw error;
        }
      }
    });
  }
}
