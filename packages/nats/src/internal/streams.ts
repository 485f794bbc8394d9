import { AckPolicy, DeliverPolicy, StorageType } from '@nats-io/jetstream';
import type { ConsumerConfig, ConsumerInfo, JetStreamManager, StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ResolvedNatsOptions } from '../transport/natsTransportOptions.js';

const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;
const STREAM_NAME_IN_USE = 10058;

/** The JetStream API error code of `error`, if it has one. */
export function apiCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** What `ensureStream()` wants of a stream. */
export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (apiCode(error) === STREAM_NOT_FOUND) return undefined;
    throw error;
  }
}

/**
 * Creates the stream, or adds missing subjects, sets the wanted duplicate window and raises the
 * replicas of an existing one (JetStream copies it to the new replicas; fewer replicas are never
 * set). Other settings of an existing stream are left alone. Safe when several processes race.
 */
export async function upsertStream(
  jsm: JetStreamManager,
  spec: StreamSpec,
  options: ResolvedNatsOptions,
): Promise<void> {
  const duplicateWindow = nanos(options.duplicateWindowMs);
  let existing = await streamInfo(jsm, spec.name);
  if (existing === undefined) {
    try {
      await jsm.streams.add({
        name: spec.name,
        subjects: [...spec.subjects],
        storage: options.storage === 'memory' ? StorageType.Memory : StorageType.File,
        duplicate_window: duplicateWindow,
        max_age: nanos(options.maxAgeMs),
        num_replicas: options.replicas,
      });
      return;
    } catch (error) {
      if (apiCode(error) !== STREAM_NAME_IN_USE) throw error;
      existing = await jsm.streams.info(spec.name);
    }
  }
  const current = existing.config.subjects ?? [];
  const missing = spec.subjects.filter((subject) => !current.includes(subject));
  // Replicas are only raised: one process configured with fewer must not shrink a shared stream.
  const replicas = Math.max(existing.config.num_replicas || 1, options.replicas);
  const sameReplicas = replicas === (existing.config.num_replicas || 1);
  if (missing.length === 0 && existing.config.duplicate_window === duplicateWindow && sameReplicas) return;
  await jsm.streams.update(spec.name, {
    subjects: [...current, ...missing],
    duplicate_window: duplicateWindow,
    num_replicas: replicas,
  });
}

/** The durable consumer configuration the transport wants. */
export function consumerConfig(options: ResolvedNatsOptions, durableName: string): Partial<ConsumerConfig> {
  const filters = options.filterSubjects;
  return {
    durable_name: durableName,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: options.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
    ack_wait: nanos(options.ackWaitMs),
    // Delivery limits are enforced by the transport so that a failed dead-letter publish can be retried.
    max_deliver: -1,
    max_ack_pending: options.maxAckPending,
    ...(filters.length === 1 ? { filter_subject: filters[0]! } : { filter_subjects: [...filters] }),
  };
}

/** The updatable fields of `wanted` that differ from the existing consumer's. */
function changesOf(existing: ConsumerConfig, wanted: Partial<ConsumerConfig>): Partial<ConsumerConfig> {
  const changes: Partial<ConsumerConfig> = {};
  const keys = ['ack_wait', 'max_deliver', 'max_ack_pending', 'filter_subject', 'filter_subjects'] as const;
  for (const key of keys) {
    if (JSON.stringify(existing[key]) !== JSON.stringify(wanted[key]))
      Object.assign(changes, { [key]: wanted[key] });
  }
  return changes;
}

/** Creates the durable consumer, or updates the settings that changed. Returns its info. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig>,
): Promise<ConsumerInfo> {
  const name = config.durable_name!;
  let existing: ConsumerInfo;
  try {
    existing = await jsm.consumers.info(stream, name);
  } catch (error) {
    if (apiCode(error) !== CONSUMER_NOT_FOUND) throw error;
    return jsm.consumers.add(stream, config);
  }
  const changes = changesOf(existing.config, config);
  if (Object.keys(changes).length === 0) return existing;
  return jsm.consumers.update(stream, name, changes);
}
