import { uniqueName } from '@keel/test-services';
import { isValidationError } from '@keel/core';
import type { ValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { KEEL_MIGRATIONS } from './migrationRegistry.js';
import { migrate } from './migrate.js';
import type { Migration } from './migration.js';
import { KEEL_STORE_MIGRATIONS, KEEL_STORES } from './migrationRegistry.js';
import type { KeelStore } from './migrationRegistry.js';

const EVENT_STORE_TABLES = ['events', 'keel_migrations'];

/** Test helper: the tables of `schema`, sorted. */
async function tablesOf(client: SqlClient, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [schema],
  );
  return rows.map((row) => row.table_name);
}

/** Test helper: the versions recorded in `schema`'s bookkeeping table, ascending. */
async function recordedVersions(client: SqlClient, schema: string): Promise<number[]> {
  const { rows } = await client.query<{ version: number }>(
    `SELECT version FROM "${schema}".keel_migrations ORDER BY version`,
  );
  return rows.map((row) => Number(row.version));
}

const versionsOf = (...stores: KeelStore[]): number[] =>
  stores.flatMap((store) => KEEL_STORE_MIGRATIONS[store].map((step) => step.version)).sort((a, b) => a - b);

/**
 * The behaviour of `migrate(client, { stores })`, run on PGlite and on a real server.
 * @param name What the client runs on, for the test names.
 * @param connect The client of the test file, and the schemas to drop after it.
 */
export function migrateStoresBehaviour(
  name: string,
  connect: () => { client: SqlClient; schemas: string[] },
): void {
  const freshName = (): string => {
    const schema = uniqueName('keel_ms');
    connect().schemas.push(schema);
    return schema;
  };

  describe(`migrate with stores ${name}`, () => {
    it('creates only the event store tables when only the event store is chosen', async () => {
      const { client } = connect();
      const schema = freshName();
      const result = await migrate(client, { schema, stores: ['eventStore'] });
      expect(result.stores).toEqual(['eventStore']);
      expect(result.applied.map((step) => step.version)).toEqual(versionsOf('eventStore'));
      expect(await tablesOf(client, schema)).toEqual(EVENT_STORE_TABLES);
    });

    it('adds the saga tables later without running the event store steps again', async () => {
      const { client } = connect();
      const schema = freshName();
      await migrate(client, { schema, stores: ['eventStore'] });
      const later = await migrate(client, { schema, stores: ['eventStore', 'sagas'] });
      expect(later.applied.map((step) => step.version)).toEqual(versionsOf('sagas'));
      expect(await tablesOf(client, schema)).toEqual([...EVENT_STORE_TABLES, 'processes', 'sagas'].sort());
      expect(await recordedVersions(client, schema)).toEqual(versionsOf('eventStore', 'sagas'));
    });

    it('applies every remaining step when a partly migrated schema is migrated with stores undefined', async () => {
      const { client } = connect();
      const schema = freshName();
      await migrate(client, { schema, stores: ['sagas', 'idempotency'] });
      const rest = await migrate(client, { schema, stores: undefined });
      const others = KEEL_STORES.filter((store) => store !== 'sagas' && store !== 'idempotency');
      expect(rest.applied.map((step) => step.version)).toEqual(versionsOf(...others));
      expect(await recordedVersions(client, schema)).toEqual(KEEL_MIGRATIONS.map((step) => step.version));
    });

    it('still applies the caller own steps when stores narrows the Keel steps', async () => {
      const { client } = connect();
      const schema = freshName();
      const ordersView: Migration = {
        version: 1000,
        name: 'orders_view',
        sql: (s) => `CREATE TABLE ${s.table('orders_view')} (id text PRIMARY KEY);`,
      };
      const migrations = [...KEEL_MIGRATIONS, ordersView];
      const result = await migrate(client, { schema, migrations, stores: ['outbox'] });
      expect(result.applied.map((step) => step.version)).toEqual([...versionsOf('outbox'), 1000]);
      expect(await tablesOf(client, schema)).toEqual(['keel_migrations', 'orders_view', 'outbox']);
    });

    it('applies each step once when callers with different stores migrate one schema at once', async () => {
      const { client } = connect();
      const schema = freshName();
      const choices: (readonly KeelStore[] | undefined)[] = [
        ['eventStore'],
        ['sagas', 'outbox'],
        undefined,
        ['eventStore'],
      ];
      const results = await Promise.all(choices.map((stores) => migrate(client, { schema, stores })));
      const applied = results.flatMap((result) => result.applied.map((step) => step.version));
      expect(applied.sort((a, b) => a - b)).toEqual(KEEL_MIGRATIONS.map((step) => step.version));
      expect(await recordedVersions(client, schema)).toEqual(KEEL_MIGRATIONS.map((step) => step.version));
    });

    it('reports each chosen store once when the list repeats a name', async () => {
      const { client } = connect();
      const result = await migrate(client, { schema: freshName(), stores: ['inbox', 'workers', 'inbox'] });
      expect(result.stores).toEqual(['inbox', 'workers']);
      expect(result.applied.map((step) => step.version)).toEqual(versionsOf('inbox', 'workers'));
    });

    it('refuses unknown and empty store lists with one ValidationError, before creating anything', async () => {
      const { client } = connect();
      const schema = freshName();
      const unknown = await migrate(client, {
        schema,
        stores: ['eventStore', 'sagaz', 'events'] as never,
      }).catch((caught: unknown) => caught);
      expect(isValidationError(unknown)).toBe(true);
      const issue = (unknown as ValidationError).issues[0];
      expect(issue?.path).toEqual(['stores']);
      expect(issue?.message).toContain('2 unknown store name(s) "sagaz", "events"');
      const empty = await migrate(client, { schema, stores: [] }).catch((caught: unknown) => caught);
      expect(isValidationError(empty)).toBe(true);
      expect((empty as Error).message).toContain('names no store');
      const notAList = await migrate(client, { schema, stores: 'sagas' as never }).catch(
        (caught: unknown) => caught,
      );
      expect((notAList as Error).message).toContain('must be a list of store names');
      expect(await tablesOf(client, schema)).toEqual([]);
    });
  });
}
