import type { EventType, ServiceName, Source } from './events.js';

/** The environment variable that hands a service its {@link RunConfig} (as JSON). */
export const RUN_CONFIG_ENV = 'ORDER_SAGA_RUN';

/**
 * What the launcher tells each service process: where the servers are, the names unique to
 * this run (PostgreSQL schemas, JetStream stream and subjects) and the timings.
 */
export interface RunConfig {
  /** A lowercase id unique to this run; every name below contains it. */
  readonly runId: string;
  readonly pgUrl: string;
  readonly natsUrl: string;
  /** Each service's own PostgreSQL schema: no service reads another's. */
  readonly schemas: Readonly<Record<ServiceName, string>>;
  /** The JetStream stream holding every event of the run. */
  readonly stream: string;
  /** Events go to `<subjectPrefix>.<type>`. */
  readonly subjectPrefix: string;
  /** How long JetStream waits for an acknowledgement before redelivering, in ms. */
  readonly ackWaitMs: number;
  /** How long an outbox relay keeps messages it claimed, in ms (a killed relay's claims expire). */
  readonly leaseMs: number;
  /** How often an idle outbox relay looks for new messages, in ms. */
  readonly pollIntervalMs: number;
  /**
   * When set, the service freezes right after committing its `holdAfter`-th message, before
   * acknowledging it (it applies nothing more), and tells the launcher: the worst moment for
   * the launcher's SIGKILL.
   */
  readonly holdAfter?: number | undefined;
}

/** Reads the {@link RunConfig} a service was started with. @throws TypeError when it is missing. */
export function readRunConfig(env: NodeJS.ProcessEnv = process.env): RunConfig {
  const text = env[RUN_CONFIG_ENV];
  if (text === undefined || text === '') {
    throw new TypeError(
      `${RUN_CONFIG_ENV} is not set: services are started by the launcher (pnpm start:distributed).`,
    );
  }
  return JSON.parse(text) as RunConfig;
}

/** One message a service received, as it tells the launcher. */
export interface DeliveryReport {
  readonly kind: 'delivery';
  readonly from: Source;
  readonly to: ServiceName;
  readonly type: EventType;
  readonly orderId: string;
  readonly messageId: string;
  /** `processed`: applied now; `duplicate`: the inbox had applied it before and skipped it. */
  readonly status: 'processed' | 'duplicate';
  /** JetStream's delivery count: above 1 for a redelivery. */
  readonly deliveryCount: number;
}

/** What a service process tells the launcher over the IPC channel. */
export type ServiceReport =
  | { readonly kind: 'ready'; readonly service: ServiceName; readonly pid: number }
  | DeliveryReport
  | {
      readonly kind: 'holding';
      readonly service: ServiceName;
      readonly type: EventType;
      readonly orderId: string;
    }
  | { readonly kind: 'failed'; readonly service: ServiceName; readonly error: string };

/** The durable JetStream consumer through which `service` receives events of `type`. */
export function durableName(config: RunConfig, service: ServiceName, type: EventType): string {
  return `${config.runId}_${service}_${type}`;
}
