import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresIdempotencyStore } from '../cqrs/postgresIdempotencyStore.js';
import { migrate } from '../migrations/migrate.js';
import { createPostgres } from './createPostgres.js';
import { isValidationError } from '@keel/core';
import { isClientClosedError } from '../errors.js';
import { isInvalidIdentifierError } from '../errors.js';
import { fromPglite } from './pgliteClient.js';
import type { PgliteLike } from './pgliteClient.js';
import { quoteIdentifier, sqlSchema } from './identifiers.js';
import type { SqlClient } from './sqlClient.js';
import { sqlClientBehaviour } from './sqlClient.suite.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createPostgres();
});
afterAll(() => client.close());

sqlClientBehaviour('embedded PGlite from createPostgres()', () => client);

describe('createPostgres', () => {
  it('opens the embedded PGlite default when no URL is given', () => {
    expect(client.dialect).toBe('pglite');
  });

  it('keeps data in dataDir, creating its parent folders, across a close and a reopen', async () => {
    const root = await mkdtemp(join(tmpdir(), 'keel-pglite-'));
    const dataDir = join(root, 'not', 'yet', 'there');
    try {
      const first = await createPostgres({ dataDir });
      await migrate(first, { schema: 'keel' });
      await new PostgresIdempotencyStore(first).complete('k', 'token', 'kept');
      await first.close();
      const reopened = await createPostgres({ url: undefined, dataDir });
      expect(await new PostgresIdempotencyStore(reopened).claim('k', 10)).toEqual({
        status: 'completed',
        result: 'kept',
      });
      expect((await migrate(reopened)).applied).toEqual([]);
      await reopened.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('rejects a maxConnections below 1 with a ValidationError', async () => {
    const error = await createPostgres({ url: 'postgres://x', maxConnections: 0 }).catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toContain('maxConnections');
  });

  it('keeps the default for options given as undefined', async () => {
    // A pg pool connects lazily: nothing is opened to this unreachable address.
    const lazy = await createPostgres({
      url: 'postgres://127.0.0.1:1/none',
      maxConnections: undefined,
      logger: undefined,
      clock: undefined,
    });
    expect(lazy.dialect).toBe('postgres');
    await lazy.close();
  });
});

describe('close', () => {
  const fakeDatabase = (): PgliteLike & { closed: number } => ({
    closed: 0,
    query: async () => ({ rows: [] }),
    exec: async () => [],
    transaction: async (fn) => fn({ query: async () => ({ rows: [] }), exec: async () => [] }),
    listen: async () => async () => undefined,
    async close() {
      this.closed++;
    },
  });

  it('refuses queries after close, and closing twice closes the database once', async () => {
    const db = fakeDatabase();
    const other = fromPglite(db);
    await other.close();
    await other.close();
    expect(db.closed).toBe(1);
    expect(isClientClosedError(await other.query('SELECT 1').catch((e: unknown) => e))).toBe(true);
    expect(isClientClosedError(await other.transaction(async () => 1).catch((e: unknown) => e))).toBe(true);
  });

  it('leaves a database it does not own open', async () => {
    const db = fakeDatabase();
    await fromPglite(db, { ownsDatabase: false }).close();
    expect(db.closed).toBe(0);
  });
});

describe('identifiers', () => {
  it('quotes valid lowercase identifiers and qualifies tables with the schema', () => {
    expect(quoteIdentifier('keel_1')).toBe('"keel_1"');
    expect(sqlSchema('app').table('sagas')).toBe('"app"."sagas"');
    expect(sqlSchema().name).toBe('keel');
  });

  it.each(['', 'Keel', '1abc', 'a-b', 'a"b', 'x'.repeat(64), 'a;drop'])(
    'rejects %j as a schema name with an InvalidIdentifierError',
    (name) => {
      expect(() => sqlSchema(name)).toThrowError(
        expect.objectContaining({ code: 'POSTGRES_INVALID_IDENTIFIER' }),
      );
      let caught: unknown;
      try {
        sqlSchema(name);
      } catch (error) {
        caught = error;
      }
      expect(isInvalidIdentifierError(caught)).toBe(true);
    },
  );
});
