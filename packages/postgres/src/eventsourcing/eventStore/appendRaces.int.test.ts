import { serviceAvailable } from '@keel/test-services';
import { ANY, collect, STREAM_EXISTS } from '@keel/eventsourcing';
import type { ExpectedVersion, RecordedEvent } from '@keel/eventsourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { createTestPg, dropSchemas, freshSchema } from '../../internal/testDatabase.fixture.js';
import { PostgresEventStore } from './postgresEventStore.js';

const up = await serviceAvailable('postgres');
const WRITERS = 8;
const BATCHES_PER_WRITER = 6;

// Appends that lose a race for a version after drawing positions take back the rows that went
// in and try again: these tests fail if a batch is split, lost, doubled or reordered on the way.
describe.runIf(up)('PostgresEventStore appends racing for one stream', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  beforeAll(() => {
    client = createTestPg(WRITERS + 2);
  });
  afterAll(async () => {
    await dropSchemas(client, schemas);
    await client.close();
  });

  const fresh = async (): Promise<PostgresEventStore> => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    return new PostgresEventStore(client, { schema });
  };

  /** Writers appending batches of 1 to 3 events to `stream` at once; the batches sent. */
  async function race(store: PostgresEventStore, stream: string, expectedVersion: ExpectedVersion) {
    const sent: { writer: number; batch: number; size: number }[] = [];
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let batch = 0; batch < BATCHES_PER_WRITER; batch++) {
          const size = 1 + ((writer + batch) % 3);
          const events = Array.from({ length: size }, (_, n) => ({
            type: 'Raced',
            data: { writer, batch, n },
          }));
          const result = await store.appendToStream(stream, events, { expectedVersion });
          expect(result.appended).toBe(true);
          sent.push({ writer, batch, size });
        }
      }),
    );
    return sent;
  }

  /** Every batch once, in one piece and in order; versions gap-free; positions rising. */
  function expectWhole(
    events: readonly RecordedEvent[],
    sent: { writer: number; batch: number; size: number }[],
    offset: number,
  ) {
    const total = sent.reduce((sum, batch) => sum + batch.size, 0);
    expect(events.map((event) => event.streamVersion)).toEqual(
      Array.from({ length: total }, (_, index) => offset + index + 1),
    );
    const positions = events.map((event) => event.globalPosition);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    let index = 0;
    while (index < events.length) {
      const { writer, batch } = events[index]!.data as { writer: number; batch: number };
      const size = sent.find((one) => one.writer === writer && one.batch === batch)!.size;
      const piece = events.slice(index, index + size).map((event) => event.data);
      expect(piece).toEqual(Array.from({ length: size }, (_, n) => ({ writer, batch, n })));
      index += size;
    }
    expect(new Set(events.map((event) => event.eventId)).size).toBe(total);
  }

  it('appends every concurrent ANY batch exactly once, whole and in order', async () => {
    const store = await fresh();
    const sent = await race(store, 'shared', ANY);
    expectWhole(await collect(store.readStream('shared')), sent, 0);
  });

  it('appends every concurrent STREAM_EXISTS batch exactly once, whole and in order', async () => {
    const store = await fresh();
    await store.appendToStream('shared', [{ type: 'Opened', data: {} }]);
    const sent = await race(store, 'shared', STREAM_EXISTS);
    expectWhole((await collect(store.readStream('shared'))).slice(1), sent, 1);
  });

  it('treats concurrent ANY retries of one batch as one append at one place', async () => {
    const store = await fresh();
    await store.appendToStream('shared', [{ type: 'Opened', data: {} }]);
    const batch = [
      { type: 'Once', data: { n: 1 }, eventId: '0190a8a0-0000-7000-8000-0000000000c1' },
      { type: 'Once', data: { n: 2 }, eventId: '0190a8a0-0000-7000-8000-0000000000c2' },
    ];
    const others = Array.from({ length: WRITERS / 2 }, (_, n) =>
      store.appendToStream('shared', [{ type: 'Other', data: { n } }], { expectedVersion: ANY }),
    );
    const retries = Array.from({ length: WRITERS / 2 }, () =>
      store.appendToStream('shared', batch, { expectedVersion: ANY }),
    );
    const results = await Promise.all(retries);
    await Promise.all(others);
    expect(results.filter((result) => result.appended)).toHaveLength(1);
    expect(new Set(results.map((result) => result.lastPosition)).size).toBe(1);
    const stream = await collect(store.readStream('shared'));
    expect(stream.filter((event) => event.type === 'Once').map((event) => event.data)).toEqual([
      { n: 1 },
      { n: 2 },
    ]);
    expect(stream.map((event) => event.streamVersion)).toEqual(
      Array.from({ length: 1 + WRITERS / 2 + 2 }, (_, index) => index + 1),
    );
  });
});
