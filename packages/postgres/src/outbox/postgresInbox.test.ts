import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidationError } from '@keel/core';
import type { ValidationError } from '@keel/core';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../internal/testDatabase.fixture.js';
import { inboxBehaviour } from './inbox.suite.js';
import { PostgresInbox } from './postgresInbox.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

inboxBehaviour('on PGlite', async () => ({ client, schema: await freshSchema(client) }));

describe('PostgresInbox options', () => {
  it('refuses an empty consumer name, one PostgreSQL cannot hold and a bad clock with a ValidationError', () => {
    for (const [consumer, options, paths] of [
      ['', {}, ['consumer']],
      ['bill\u0000ing', {}, ['consumer']],
      [undefined, { clock: {} }, ['consumer', 'clock']],
    ] as const) {
      let caught: unknown;
      try {
        new PostgresInbox(client, consumer as never, options as never);
      } catch (error) {
        caught = error;
      }
      expect(isValidationError(caught)).toBe(true);
      expect((caught as ValidationError).issues.map((issue) => issue.path.join('.'))).toEqual(paths);
    }
  });

  it('keeps its defaults for options given as undefined', async () => {
    const inbox = new PostgresInbox(client, 'billing', { schema: undefined, clock: undefined });
    const error = await inbox.has('m-1').catch((e: unknown) => e);
    expect((error as Error).message).toContain('"keel"');
  });
});
