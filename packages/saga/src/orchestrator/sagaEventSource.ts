import type { Disposer, Emitter, Listener, Logger } from '@keel/core';
import { createEmitter } from '@keel/core';
import type { SagaEvents } from './sagaEvents.js';

/**
 * The observability side of a {@link SagaOrchestrator}: listeners of its {@link SagaEvents},
 * each registration returning a disposer. A throwing listener is logged and never affects a saga.
 */
export class SagaEventSource {
  /** Emits to the listeners; for the orchestrator only. */
  protected readonly events: Emitter<SagaEvents>;

  /** @param logger Where throwing listeners are logged. */
  constructor(logger: Logger) {
    this.events = createEmitter<SagaEvents>({
      onListenerError: (error, event) => logger.error('A saga event listener threw', { event, error }),
    });
  }

  /** Registers a listener of one {@link SagaEvents} event; returns a disposer. */
  on<TName extends keyof SagaEvents & string>(event: TName, listener: Listener<SagaEvents[TName]>): Disposer {
    return this.events.on(event, listener);
  }

  /** Called after a step's start was stored, before it runs. */
  onStepStarted(listener: Listener<SagaEvents['stepStarted']>): Disposer {
    return this.on('stepStarted', listener);
  }

  /** Called after a step's output was stored. */
  onStepCompleted(listener: Listener<SagaEvents['stepCompleted']>): Disposer {
    return this.on('stepCompleted', listener);
  }

  /** Called after a step's failure (retries exhausted, timeout or deadline) was stored. */
  onStepFailed(listener: Listener<SagaEvents['stepFailed']>): Disposer {
    return this.on('stepFailed', listener);
  }

  /** Called when a saga switches to compensating its completed steps. */
  onCompensating(listener: Listener<SagaEvents['compensating']>): Disposer {
    return this.on('compensating', listener);
  }

  /** Called when a compensation kept failing and the saga was left `failed`. */
  onCompensationFailed(listener: Listener<SagaEvents['compensationFailed']>): Disposer {
    return this.on('compensationFailed', listener);
  }

  /** Called when a saga reached `completed`, `compensated` or `failed`. */
  onSagaFinished(listener: Listener<SagaEvents['sagaFinished']>): Disposer {
    return this.on('sagaFinished', listener);
  }
}
