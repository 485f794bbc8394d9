import { serviceAvailable } from '@keel/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { createTestPg, dropSchemas, freshSchema } from '../../internal/testDatabase.fixture.js';
import { PostgresEventStore } from './postgresEventStore.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('PostgresEventStore NOTIFY after appends', () => {
  const schemas: string[] = [];
  let writerClient: SqlClient;
  let readerClient: SqlClient;
  beforeAll(() => {
    writerClient = createTestPg(3);
    readerClient = createTestPg(3);
  });
  afterAll(async () => {
    await dropSchemas(writerClient, schemas);
    await readerClient.close();
    await writerClient.close();
  });

  it('wakes a subscriber of another client for every burst of appends, without waiting for its poll', async () => {
    const schema = await freshSchema(writerClient);
    schemas.push(schema);
    const writer = new PostgresEventStore(writerClient, { schema });
    // A poll far longer than the test's timeout: only the NOTIFY can deliver in time.
    const reader = new PostgresEventStore(readerClient, { schema, pollIntervalMs: 3_600_000 });
    const controller = new AbortController();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const event of reader.subscribeToAll({ signal: controller.signal })) {
        seen.push((event.data as { n: number }).n);
        if (seen.length === 25) controller.abort();
      }
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
    });
    // Bursts closer together than the notification interval, then a pause, then the last one.
    for (let n = 0; n < 20; n++) await writer.appendToStream(`s-${n % 3}`, [{ type: 'N', data: { n } }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let n = 20; n < 25; n++) await writer.appendToStream(`s-${n % 3}`, [{ type: 'N', data: { n } }]);
    await reading;
    expect(seen).toEqual(Array.from({ length: 25 }, (_, n) => n));
  });
});
