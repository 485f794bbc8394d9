import { recordMetric, telemetryEnabled, withSpan } from '@keel/core';
import type { Clock, TelemetrySpan } from '@keel/core';
import type { EventStore } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import {
  errorTypeOf,
  linksOf,
  PROJECTION_BATCH_DURATION,
  PROJECTION_DEAD_LETTERS,
  PROJECTION_EVENTS,
  PROJECTION_LAG,
  PROJECTION_REBUILD_PROGRESS,
} from '../internal/telemetry.js';
import type { CatchUpRunOptions, ProjectionProgress } from './projectionRunnerOptions.js';

/** What happened to an event in a projection batch. */
export type ProjectionEventOutcome = 'processed' | 'skipped' | 'failed';

/**
 * The telemetry of one projection runner: a span per batch, event counts, dead letters, lag
 * and rebuild progress. Every method costs one check when no telemetry is installed. The lag
 * is computed here, in the runner, so it covers every store a runner runs on.
 */
export class ProjectionTelemetry {
  readonly #name: string;
  readonly #clock: Clock;
  /** The span of the batch being handled (a runner handles one batch at a time). */
  #span: TelemetrySpan | undefined;

  constructor(name: string, clock: Clock) {
    this.#name = name;
    this.#clock = clock;
  }

  /**
   * Runs one batch in a `projection {name}` span linked to the trace each event was written in,
   * and records its duration.
   */
  batch(events: readonly RecordedEvent[], run: () => Promise<void>): Promise<void> {
    if (!telemetryEnabled() || events.length === 0) return run();
    const attributes = {
      'keel.projection.name': this.#name,
      'keel.event.count': events.length,
      'messaging.batch.message_count': events.length,
      'keel.position.first': events[0]!.globalPosition,
      'keel.position.last': events[events.length - 1]!.globalPosition,
    };
    const options = { kind: 'consumer' as const, attributes, links: linksOf(events) };
    const started = this.#clock.now();
    return withSpan(`projection ${this.#name}`, options, async (span) => {
      this.#span = span;
      let failure: unknown;
      try {
        await run();
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        this.#span = undefined;
        const seconds = Math.max(0, this.#clock.now() - started) / 1000;
        recordMetric(PROJECTION_BATCH_DURATION, seconds, {
          'keel.projection.name': this.#name,
          'error.type': failure === undefined ? undefined : errorTypeOf(failure),
        });
      }
    });
  }

  /** Counts events handled, skipped or failed on. */
  events(count: number, outcome: ProjectionEventOutcome): void {
    if (count === 0 || !telemetryEnabled()) return;
    recordMetric(PROJECTION_EVENTS, count, { 'keel.projection.name': this.#name, 'keel.outcome': outcome });
  }

  /** Notes a batch that failed as a whole and is handled one event at a time. */
  split(error: unknown): void {
    this.#span?.addEvent('batch split', { 'error.type': errorTypeOf(error) });
  }

  /** Notes an event that still failed: dead-lettered (when a store is set), then skipped or stopping. */
  failed(event: RecordedEvent, error: unknown, deadLettered: boolean, skipped: boolean): void {
    if (!telemetryEnabled()) return;
    const attributes = {
      'keel.position': event.globalPosition,
      'keel.message.type': event.type,
      'error.type': errorTypeOf(error),
    };
    if (deadLettered) {
      this.#span?.addEvent('dead_letter', attributes);
      recordMetric(PROJECTION_DEAD_LETTERS, 1, { 'keel.projection.name': this.#name });
    }
    if (skipped) this.#span?.addEvent('skipped', attributes);
    this.events(1, skipped ? 'skipped' : 'failed');
  }

  /**
   * Records `keel.projection.lag`: the store's head minus `position`. `caughtUp` (a position
   * the store reported as its head) saves the head query. A failing head query records nothing.
   */
  async lag(
    store: EventStore,
    position: number,
    caughtUp: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    if (!telemetryEnabled()) return;
    let head = caughtUp;
    if (head === undefined) {
      try {
        head = await store.headPosition({ signal });
      } catch {
        return; // Telemetry never fails the runner; the next batch tries again.
      }
    }
    recordMetric(PROJECTION_LAG, Math.max(0, head - position), { 'keel.projection.name': this.#name });
  }

  /** Runs a rebuild in a `rebuild {name}` span, recording its progress as a share of the head. */
  rebuild(options: CatchUpRunOptions, run: (options: CatchUpRunOptions) => Promise<number>): Promise<number> {
    if (!telemetryEnabled()) return run(options);
    const { onProgress } = options;
    const attributes = { 'keel.projection.name': this.#name };
    const reporting: CatchUpRunOptions = {
      ...options,
      onProgress: (progress: ProjectionProgress) => {
        const share =
          progress.headPosition === 0 ? 1 : Math.min(1, progress.position / progress.headPosition);
        recordMetric(PROJECTION_REBUILD_PROGRESS, share, attributes);
        onProgress?.(progress);
      },
    };
    return withSpan(`rebuild ${this.#name}`, { attributes }, async (span) => {
      recordMetric(PROJECTION_REBUILD_PROGRESS, 0, attributes);
      const head = await run(reporting);
      span.setAttributes({ 'keel.position': head });
      return head;
    });
  }
}
