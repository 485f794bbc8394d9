import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@keel/core';
import type { LogEntry } from '@keel/core';
import { describe, expect, it } from 'vitest';
import {
  DatabaseUnreachableError,
  isDatabaseUnreachableError,
  isSqlError,
  POSTGRES_ERROR_CODES,
} from '../errors.js';
import { pgliteTarget, pgTarget } from './connectionFailure.js';
import { createPostgres } from './createPostgres.js';
import { driverError, FakePgPool } from './pgFakes.fixture.js';
import { fromPgPool } from './pgPoolClient.js';
import type { PgPoolLike } from './pgPoolClient.js';

const refused = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:6543'), { code: 'ECONNREFUSED' });

describe('pgTarget', () => {
  it('names host, port, database and user from a URL, never the password', () => {
    const target = pgTarget({ connectionString: 'postgres://app:s3cret@db.internal:6543/orders' });
    expect(target.where).toBe('db.internal:6543 (database "orders", user "app")');
    expect(JSON.stringify(target)).not.toContain('s3cret');
  });

  it('reads host and port fields, a unix socket and an IPv6 address', () => {
    expect(pgTarget({ host: 'pg', port: 5433, password: 'x' }).address).toBe('pg:5433');
    expect(pgTarget({ connectionString: 'postgres:///test?host=/var/run/postgresql' }).address).toBe(
      'socket /var/run/postgresql',
    );
    expect(pgTarget({ connectionString: 'postgres://[::1]:5432/test' }).address).toBe('[::1]:5432');
  });

  it('says it does not know where when the pool shows no options', () => {
    expect(pgTarget(undefined).where).toBe('the server the pool connects to');
  });
});

describe('DatabaseUnreachableError', () => {
  const target = pgTarget({ connectionString: 'postgres://app:s3cret@10.0.0.7:6543/orders' });

  it('says the database could not be reached, where, and to check the server and the URL', () => {
    const error = new DatabaseUnreachableError(refused(), target);
    expect(error.message).toMatch(
      /^Could not reach the PostgreSQL database at 10\.0\.0\.7:6543 \(database "orders"/,
    );
    expect(error.message).toContain('Check that PostgreSQL is running and listens on 10.0.0.7:6543');
    expect(error.message).not.toContain('SQLSTATE');
    expect(error.code).toBe(POSTGRES_ERROR_CODES.unreachable);
    expect(error.driverCode).toBe('ECONNREFUSED');
    expect(isDatabaseUnreachableError(error)).toBe(true);
    expect(isSqlError(error)).toBe(false);
  });

  it.each([
    ['28P01', /refused the login: check the user and password/],
    ['3D000', /database does not exist/],
    ['ENOTFOUND', /host name could not be resolved/],
    ['ETIMEDOUT', /Nothing answered at 10\.0\.0\.7:6543/],
  ])('tells what to check for %s', (code, advice) => {
    expect(new DatabaseUnreachableError(driverError('failed', code), target).message).toMatch(advice);
  });

  it('reads the reasons of an AggregateError that has no message of its own', () => {
    const both = Object.assign(
      new AggregateError([new Error('connect ECONNREFUSED ::1:5432'), refused()], ''),
      {
        code: 'ECONNREFUSED',
      },
    );
    expect(new DatabaseUnreachableError(both, target).message).toContain(
      ': connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 10.0.0.7:6543. Check',
    );
  });

  it('names the directory of an embedded database that cannot be opened', () => {
    const error = new DatabaseUnreachableError(new Error('EACCES'), pgliteTarget('./.data/keel'));
    expect(error.message).toContain('Could not open the embedded PGlite database in "./.data/keel": EACCES.');
  });
});

describe('connection failures of the clients', () => {
  it('rejects a statement on a pool that cannot connect with a DatabaseUnreachableError', async () => {
    const pool = Object.assign(new FakePgPool(), {
      options: { connectionString: 'postgres://app:s3cret@10.0.0.7:6543/orders' },
      connect: () => Promise.reject(refused()),
    });
    const client = fromPgPool(pool as unknown as PgPoolLike);
    const error = await client.query('SELECT 1').catch((e: unknown) => e);
    expect(isDatabaseUnreachableError(error)).toBe(true);
    expect((error as DatabaseUnreachableError).where).toBe('10.0.0.7:6543 (database "orders", user "app")');
    expect((error as Error).message).not.toContain('s3cret');
    await client.close();
  });

  it('rejects a listen whose dedicated connection cannot connect with a DatabaseUnreachableError', async () => {
    class RefusingClient extends EventEmitter {
      connect = (): Promise<never> => Promise.reject(refused());
      end = async (): Promise<void> => undefined;
      query = async (): Promise<never> => Promise.reject(new Error('not connected'));
    }
    const pool = Object.assign(new FakePgPool(), {
      Client: RefusingClient,
      options: { host: '10.0.0.7', port: 6543 },
    });
    const client = fromPgPool(pool as unknown as PgPoolLike);
    const error = await client.listen('orders', () => undefined).catch((e: unknown) => e);
    expect(isDatabaseUnreachableError(error)).toBe(true);
    expect((error as DatabaseUnreachableError).where).toBe('10.0.0.7:6543');
    await client.close();
  });

  it('rejects the first statement of createPostgres on a closed port, naming it', async () => {
    const client = await createPostgres({ url: 'postgres://app:s3cret@127.0.0.1:1/orders' });
    try {
      const error = await client.query('SELECT 1').catch((e: unknown) => e);
      expect(isDatabaseUnreachableError(error)).toBe(true);
      expect((error as Error).message).toContain('127.0.0.1:1 (database "orders", user "app")');
      expect(JSON.stringify(error)).not.toContain('s3cret');
    } finally {
      await client.close();
    }
  });

  it('tells the logger when PGlite starts and finishes opening, and which server a URL names', async () => {
    const entries: LogEntry[] = [];
    const logger = createLogger((entry) => entries.push(entry));
    const embedded = await createPostgres({ logger });
    await embedded.close();
    const remote = await createPostgres({ url: 'postgres://app:s3cret@127.0.0.1:1/orders', logger });
    await remote.close();
    expect(entries.map((entry) => entry.message)).toEqual([
      'Opening the embedded PGlite database in memory; this takes a few seconds.',
      'Opened the embedded PGlite database in memory.',
      'Using PostgreSQL at 127.0.0.1:1 (database "orders", user "app") through a pool of up to 10 connections.',
    ]);
  });

  it('rejects createPostgres when the PGlite directory is a file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'keel-pglite-'));
    const file = join(root, 'occupied');
    await writeFile(file, 'not a database');
    try {
      const error = await createPostgres({ dataDir: file }).catch((e: unknown) => e);
      expect(isDatabaseUnreachableError(error)).toBe(true);
      expect((error as Error).message).toContain(`in "${file}"`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
