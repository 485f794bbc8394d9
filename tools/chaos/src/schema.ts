import type { Migration, SqlSchema } from '@keel/postgres';

/**
 * The read model a projection builds: per stream, how many events and the amounts they carry.
 * `name` lets the checker build the same model again, from zero, under another table.
 */
export function readModelSql(schema: SqlSchema, table: string): string {
  return `
    CREATE TABLE ${schema.table(table)} (
      key text PRIMARY KEY,
      events integer NOT NULL,
      amount bigint NOT NULL,
      last_position bigint NOT NULL
    );`;
}

/** The read model tables of the two projections the workers run. */
export const READ_MODEL_TABLES = Object.freeze({
  streams: 'rm_streams',
  types: 'rm_types',
});

/**
 * The harness's own tables, on top of Keel's:
 * - `step_calls`: every call of a saga step or compensation (outside any transaction).
 * - `effect_keys`: the idempotency guard of step effects (one row per idempotency key).
 * - `effect_log`: a journal row per effect applied, without a unique key: twice shows twice.
 * - `deliveries`: every delivery of an outbox message to a consumer (before the inbox).
 * - `applied`: a journal row per message applied through the inbox, without a unique key.
 * - `checkpoint_audit` / `lease_audit`: every write to `checkpoints` and `worker_leases`, old and
 *   new values, written by triggers, so a checkpoint that moved backwards cannot go unseen.
 */
export const CHAOS_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 5001,
    name: 'chaos saga effects',
    sql: (schema: SqlSchema) => `
      CREATE TABLE ${schema.table('step_calls')} (
        idempotency_key text NOT NULL,
        saga_id text NOT NULL,
        step text NOT NULL,
        kind text NOT NULL,
        attempt integer NOT NULL,
        claimed_outcome text,
        pid integer NOT NULL,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE TABLE ${schema.table('effect_keys')} (
        idempotency_key text PRIMARY KEY,
        saga_id text NOT NULL,
        step text NOT NULL,
        kind text NOT NULL
      );
      CREATE TABLE ${schema.table('effect_log')} (
        idempotency_key text NOT NULL,
        saga_id text NOT NULL,
        step text NOT NULL,
        kind text NOT NULL,
        pid integer NOT NULL,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      );`,
  },
  {
    version: 5002,
    name: 'chaos message journals',
    sql: (schema: SqlSchema) => `
      CREATE TABLE ${schema.table('deliveries')} (
        message_id text NOT NULL,
        delivery_count integer NOT NULL,
        pid integer NOT NULL,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE TABLE ${schema.table('applied')} (
        message_id text NOT NULL,
        message_type text NOT NULL,
        pid integer NOT NULL,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      );`,
  },
  {
    version: 5003,
    name: 'chaos read models',
    sql: (schema: SqlSchema) =>
      readModelSql(schema, READ_MODEL_TABLES.streams) + readModelSql(schema, READ_MODEL_TABLES.types),
  },
  {
    version: 5004,
    name: 'chaos checkpoint and lease audit',
    sql: (schema: SqlSchema) => `
      CREATE TABLE ${schema.table('checkpoint_audit')} (
        id bigserial PRIMARY KEY,
        name text NOT NULL,
        operation text NOT NULL,
        old_position bigint,
        new_position bigint,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE FUNCTION ${schema.table('audit_checkpoint')}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ${schema.table('checkpoint_audit')} (name, operation, old_position, new_position)
        VALUES (coalesce(NEW.name, OLD.name), TG_OP,
                CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.position END,
                CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.position END);
        RETURN NULL;
      END $$;
      CREATE TRIGGER checkpoint_audit AFTER INSERT OR UPDATE OR DELETE ON ${schema.table('checkpoints')}
        FOR EACH ROW EXECUTE FUNCTION ${schema.table('audit_checkpoint')}();
      CREATE TABLE ${schema.table('lease_audit')} (
        id bigserial PRIMARY KEY,
        name text NOT NULL,
        operation text NOT NULL,
        old_owner text,
        new_owner text,
        old_token bigint,
        new_token bigint,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE FUNCTION ${schema.table('audit_lease')}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ${schema.table('lease_audit')} (name, operation, old_owner, new_owner, old_token, new_token)
        VALUES (coalesce(NEW.name, OLD.name), TG_OP,
                CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.owner END,
                CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.owner END,
                CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.token END,
                CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.token END);
        RETURN NULL;
      END $$;
      CREATE TRIGGER lease_audit AFTER INSERT OR UPDATE OR DELETE ON ${schema.table('worker_leases')}
        FOR EACH ROW EXECUTE FUNCTION ${schema.table('audit_lease')}();`,
  },
]);
