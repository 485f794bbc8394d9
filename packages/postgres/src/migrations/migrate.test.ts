import { uniqueName } from '@keel/test-services';
import { createLogger, isCancelledError, isValidationError } from '@keel/core';
import type { LogEntry } from '@keel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMigrationError, isSqlError, SQL_STATES } from '../errors.js';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPglite } from '../internal/testDatabase.fixture.js';
import { KEEL_MIGRATIONS } from './migrationRegistry.js';
import { migrate } from './migrate.js';
import type { Migration } from './migration.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

async function tablesOf(schema: string): Promise<string[]> {
  const { rows } = await client.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [schema],
  );
  return rows.map((row) => row.table_name);
}

describe('migrate', () => {
  it('applies every step once, in version order, and records it', async () => {
    const schema = uniqueName('keel_m');
    const result = await migrate(client, { schema });
    expect(result.applied.map((step) => step.version)).toEqual(KEEL_MIGRATIONS.map((step) => step.version));
    expect(await tablesOf(schema)).toEqual(
      expect.arrayContaining(['keel_migrations', 'sagas', 'processes', 'idempotency', 'outbox', 'inbox']),
    );
    expect((await migrate(client, { schema })).applied).toEqual([]);
  });

  it('reports the plan, each step and the outcome through the logger, and only a debug line when up to date', async () => {
    const schema = uniqueName('keel_m');
    const entries: LogEntry[] = [];
    const logger = createLogger((entry) => entries.push(entry), { level: 'debug' });
    const steps = KEEL_MIGRATIONS.slice(0, 2);
    await migrate(client, { schema, migrations: steps, logger });
    expect(entries.map((entry) => `${entry.level}: ${entry.message}`)).toEqual([
      `info: Migrating schema "${schema}": 2 of 2 steps to apply, in one transaction.`,
      `info: Applying migration ${steps[0]!.version} "${steps[0]!.name}" (1 of 2).`,
      `info: Applying migration ${steps[1]!.version} "${steps[1]!.name}" (2 of 2).`,
      `info: Migrated schema "${schema}": applied 2 step(s).`,
    ]);
    entries.length = 0;
    await migrate(client, { schema, migrations: steps, logger, signal: undefined });
    expect(entries.map((entry) => `${entry.level}: ${entry.message}`)).toEqual([
      `debug: Schema "${schema}" is up to date (2 migration steps applied before).`,
    ]);
  });

  it('refuses a logger that is not one', async () => {
    await expect(migrate(client, { logger: {} as never })).rejects.toThrow('logger');
  });

  it('logs to a logger with only debug and info, the levels it reports at', async () => {
    const schema = uniqueName('keel_m');
    const lines: string[] = [];
    const logger = {
      debug: (line: string) => void lines.push(line),
      info: (line: string) => void lines.push(line),
    };
    await migrate(client, { schema, migrations: KEEL_MIGRATIONS.slice(0, 1), logger: logger as never });
    expect(lines).toHaveLength(3);
    await expect(migrate(client, { logger: { info: () => {} } as never })).rejects.toThrow(
      /logger: must be a Logger \(with debug, info\)/,
    );
  });

  it('applies only the steps that are new since the last call', async () => {
    const schema = uniqueName('keel_m');
    await migrate(client, { schema });
    const extra: Migration = {
      version: 1000,
      name: 'orders_view',
      sql: (s) => `CREATE TABLE ${s.table('orders_view')} (id text PRIMARY KEY);`,
    };
    const result = await migrate(client, { schema, migrations: [...KEEL_MIGRATIONS, extra] });
    expect(result.applied).toEqual([{ version: 1000, name: 'orders_view' }]);
    expect(await tablesOf(schema)).toContain('orders_view');
  });

  it('rolls the whole call back when one step fails, and says which step', async () => {
    const schema = uniqueName('keel_m');
    const broken: Migration = { version: 7, name: 'broken', sql: () => 'CREATE TABLE oops (' };
    const error = await migrate(client, {
      schema,
      migrations: [...KEEL_MIGRATIONS.slice(0, 2), broken],
    }).catch((caught: unknown) => caught);
    expect(isMigrationError(error)).toBe(true);
    expect((error as { version: number }).version).toBe(7);
    expect(await tablesOf(schema)).toEqual([]);
  });

  it('rejects two steps with one version before touching the database', async () => {
    const schema = uniqueName('keel_m');
    const twice: Migration = { version: 1, name: 'again', sql: () => 'SELECT 1' };
    const error = await migrate(client, { schema, migrations: [...KEEL_MIGRATIONS, twice] }).catch(
      (caught: unknown) => caught,
    );
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(/unique integer versions >= 1 \(got version 1, "again"\)/);
    expect(await tablesOf(schema)).toEqual([]);
  });

  it('rejects on an aborted signal without creating anything', async () => {
    const schema = uniqueName('keel_m');
    const controller = new AbortController();
    controller.abort();
    const error = await migrate(client, { schema, signal: controller.signal }).catch(
      (caught: unknown) => caught,
    );
    expect(isCancelledError(error) || (error as Error).name === 'AbortError').toBe(true);
    expect(await tablesOf(schema)).toEqual([]);
  });

  it('tells the user to run migrate() when a table is missing', async () => {
    const error = await client
      .query(`SELECT * FROM ${sqlSchema(uniqueName('keel_none')).table('sagas')}`)
      .catch((caught: unknown) => caught);
    expect(isSqlError(error, SQL_STATES.undefinedTable)).toBe(true);
    expect((error as Error).message).toContain('migrate(');
  });
});
