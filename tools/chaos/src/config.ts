/** The environment variable through which the runner hands a worker process its settings. */
export const CHAOS_CONFIG_ENV = 'KEEL_CHAOS_CONFIG';

/** Everything a worker process needs to join a chaos run; names are unique to the run. */
export interface ChaosConfig {
  readonly runId: string;
  readonly pgUrl: string;
  readonly natsUrl: string;
  /** The PostgreSQL schema holding Keel's tables and the harness's own. */
  readonly schema: string;
  /** The JetStream stream the outbox relay publishes to. */
  readonly stream: string;
  /** Subjects of the run: `<subjectPrefix>.<type>`. */
  readonly subjectPrefix: string;
  /** The durable consumer every worker shares (they split the messages). */
  readonly durableName: string;
  /** The inbox consumer name (the `consumer` column of the inbox table). */
  readonly inboxConsumer: string;
  /** Saga, projection and outbox leases; a killed worker's work is taken over after this, in ms. */
  readonly leaseMs: number;
  /** How often a worker looks for work (saga recovery, outbox polling, lease heartbeat), in ms. */
  readonly pollMs: number;
  /** How long JetStream waits for an ack before redelivering, in ms. */
  readonly ackWaitMs: number;
}

/** What a worker process reports to the runner over IPC. */
export type WorkerReport =
  | { readonly kind: 'ready'; readonly slot: number; readonly pid: number }
  | { readonly kind: 'failed'; readonly slot: number; readonly error: string };

/** Reads the run's configuration from {@link CHAOS_CONFIG_ENV}. @throws {Error} when it is missing. */
export function readChaosConfig(env: NodeJS.ProcessEnv = process.env): ChaosConfig {
  const text = env[CHAOS_CONFIG_ENV];
  if (text === undefined || text === '') {
    throw new Error(`${CHAOS_CONFIG_ENV} is not set: chaos workers are started by the chaos runner.`);
  }
  return JSON.parse(text) as ChaosConfig;
}
