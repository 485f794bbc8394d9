import type { SqlSchema } from '../../client/identifiers.js';
import type { Migration } from '../../migrations/migration.js';
import { appendEventsFunction, MAX_POSITION } from './appendEventsFunction.js';
import { appendToStreamFunction } from './appendToStreamFunction.js';
import { appendToStreamsFunction } from './appendToStreamsFunction.js';

export { MAX_POSITION } from './appendEventsFunction.js';

/**
 * The body of `append_events` as migration 101 created it (102 replaces it, see
 * `appendEventsFunction`): the whole common append in one call (one round trip). See
 * `PostgresEventStore` and the package README for why the global order never skips.
 *
 * Outcomes (one row): `appended` (version after, first position, recorded-at in µs),
 * `recorded` (an id of the batch is already stored: the caller decides retry vs duplicate),
 * `conflict` (version found; `stale` when a concurrent commit is invisible to this transaction's
 * snapshot, in REPEATABLE READ or SERIALIZABLE), `empty` (no events: version and settled head).
 */
function appendFunction(schema: SqlSchema): string {
  const events = schema.table('events');
  const seq = (name: string): string => `'${schema.quoted}.${name}'::regclass`;
  const lockKey = `hashtextextended('keel.events:${schema.name}', 0)`;
  return `
    CREATE FUNCTION ${schema.quoted}.append_events(
      p_stream text, p_expected_kind text, p_expected bigint, p_ids text[], p_types text[],
      p_data text[], p_metadata text[], p_now_us bigint, p_notify text
    ) RETURNS TABLE (outcome text, version bigint, first_position bigint, recorded_us bigint, stale boolean)
    -- Plans are cached per session: one made while the table was tiny would keep scanning it
    -- whole as it grows. Every statement here has an index path; no scan may be chosen instead.
    LANGUAGE plpgsql SET enable_seqscan = off SET jit = off AS $fn$
    DECLARE
      v_count integer := coalesce(cardinality(p_ids), 0);
      v_version bigint;
      v_first bigint;
      v_gate bigint;
      v_us bigint;
      v_locked boolean := false;
      v_constraint text;
      v_rc boolean := current_setting('transaction_isolation') = 'read committed';
    BEGIN
      LOOP
        SELECT coalesce(max(e.stream_version), 0) INTO v_version FROM ${events} e WHERE e.stream_name = p_stream;
        -- Ids after the version (each statement sees the latest commits): a retry of this batch
        -- that committed meanwhile is found here rather than reported as a version conflict.
        IF v_count > 0 AND EXISTS (SELECT 1 FROM ${events} e WHERE e.event_id = ANY (p_ids)) THEN
          RETURN QUERY SELECT 'recorded'::text, NULL::bigint, NULL::bigint, NULL::bigint, false;
          RETURN;
        END IF;
        IF NOT (p_expected_kind = 'any'
                OR (p_expected_kind = 'no_stream' AND v_version = 0)
                OR (p_expected_kind = 'stream_exists' AND v_version > 0)
                OR (p_expected_kind = 'exact' AND v_version = p_expected)) THEN
          RETURN QUERY SELECT 'conflict'::text, v_version, NULL::bigint, NULL::bigint, false;
          RETURN;
        END IF;
        IF v_count = 0 THEN
          RETURN QUERY SELECT 'empty'::text, v_version,
            (SELECT coalesce(max(e.global_position), 0) FROM ${events} e
              WHERE e.global_position < ${schema.quoted}.events_settled_bound(1)),
            NULL::bigint, false;
          RETURN;
        END IF;
        BEGIN
          IF v_first IS NULL THEN
            -- The short critical section: the transaction id is fixed before positions are
            -- drawn, and the gate (the highest transaction id of any append that drew a position
            -- so far) rises with every position. Readers show a row only when its gate is below
            -- the oldest running transaction, so every lower position is settled by then.
            PERFORM pg_advisory_lock(${lockKey});
            v_locked := true;
            v_gate := greatest(pg_current_xact_id()::text::bigint, coalesce(pg_sequence_last_value(${seq('events_gate')}), 0));
            PERFORM setval(${seq('events_gate')}, v_gate);
            v_us := greatest(p_now_us, coalesce(pg_sequence_last_value(${seq('events_clock')}), 0));
            PERFORM setval(${seq('events_clock')}, v_us);
            v_first := nextval(${seq('events_global_position_seq')});
            IF v_first + v_count - 1 > ${MAX_POSITION} THEN
              RAISE EXCEPTION 'global position % would pass 2^53 - 1', v_first + v_count - 1 USING ERRCODE = '2200H';
            END IF;
            IF v_count > 1 THEN
              PERFORM setval(${seq('events_global_position_seq')}, v_first + v_count - 1);
            END IF;
            PERFORM pg_advisory_unlock(${lockKey});
            v_locked := false;
          END IF;
          INSERT INTO ${events}
            (global_position, stream_name, stream_version, event_id, event_type, data, metadata, recorded_at, gate_xid)
          OVERRIDING SYSTEM VALUE
          SELECT v_first + u.ord - 1, p_stream, v_version + u.ord, u.id, u.type, u.data::jsonb, u.metadata::jsonb,
                 to_timestamp(v_us / 1000000.0), v_gate
          FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS u(id, type, data, metadata, ord);
          IF p_notify IS NOT NULL THEN PERFORM pg_notify(p_notify, ''); END IF;
          RETURN QUERY SELECT 'appended'::text, v_version + v_count, v_first, v_us, false;
          RETURN;
        EXCEPTION
          WHEN unique_violation OR serialization_failure THEN
            GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
            -- A retry of this very batch may have won the race: ids first, as before the insert.
            IF v_constraint = 'events_event_id_key'
               OR EXISTS (SELECT 1 FROM ${events} e WHERE e.event_id = ANY (p_ids)) THEN
              RETURN QUERY SELECT 'recorded'::text, NULL::bigint, NULL::bigint, NULL::bigint, NOT v_rc;
              RETURN;
            END IF;
            -- Another append to this stream committed first. ANY and STREAM_EXISTS append after
            -- it (read committed sees it on the next statement); the others conflict.
            IF NOT (v_rc AND p_expected_kind IN ('any', 'stream_exists')) THEN
              SELECT coalesce(max(e.stream_version), 0) INTO v_version FROM ${events} e WHERE e.stream_name = p_stream;
              RETURN QUERY SELECT 'conflict'::text, v_version, NULL::bigint, NULL::bigint, NOT v_rc;
              RETURN;
            END IF;
          WHEN OTHERS OR query_canceled THEN
            IF v_locked THEN PERFORM pg_advisory_unlock(${lockKey}); END IF;
            RAISE;
        END;
      END LOOP;
    END
    $fn$;`;
}

/**
 * `events_settled_bound(from)`: the first position at or after which a reader that has settled
 * everything below `from` (at least 1: positions start there) must stop for now. A row is safe when every lower position is visible
 * (no hole) or its gate is below the oldest running transaction (every append that drew a lower
 * position has ended, so a hole below it is a rollback, for good). Rows with a gate below that
 * transaction are always safe, and gates rise with positions, so only the few newest rows are
 * examined (through the gate index).
 */
function settledBoundFunction(schema: SqlSchema): string {
  const events = schema.table('events');
  return `
    CREATE FUNCTION ${schema.quoted}.events_settled_bound(p_from bigint) RETURNS bigint
    LANGUAGE sql STABLE AS $fn$
      SELECT coalesce(min(u.global_position), 9223372036854775807)
      FROM ${events} u
      WHERE u.gate_xid >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint
        AND u.global_position > p_from
        AND NOT EXISTS (SELECT 1 FROM ${events} p WHERE p.global_position = u.global_position - 1)
    $fn$;`;
}

/**
 * `events_settled_bound` since migration 104: the same cut as 101's (see `settledBoundFunction`),
 * planned so that it never reads the whole table. 101's body let the planner, which cannot know
 * the oldest running transaction at plan time, guess that a third of the rows qualify and answer
 * with a hash anti-join over every row: with appends running, one call cost ~50 ms at 100k events
 * and ~150 ms at 600k, and filtered readers fell behind. Here the oldest running transaction is a
 * literal of a statement planned per call (so the gate index's real range is probed), the
 * candidates are fenced off (`OFFSET 0`) so `min()` cannot turn into a walk of the primary key,
 * and the predecessor test stays a per-candidate primary-key probe (`OFFSET 0` again: no join).
 * The candidates are the rows of appends still settling, a handful at any time.
 */
function settledBoundFunction104(schema: SqlSchema): string {
  const events = schema.table('events');
  return `
    CREATE OR REPLACE FUNCTION ${schema.quoted}.events_settled_bound(p_from bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE AS $fn$
    DECLARE
      v_bound bigint;
    BEGIN
      EXECUTE format(
        'SELECT coalesce(min(c.global_position), 9223372036854775807)
         FROM (SELECT u.global_position FROM ${events} u
               WHERE u.gate_xid >= %s AND u.global_position > %s OFFSET 0) c
         WHERE NOT EXISTS (SELECT 1 FROM ${events} p WHERE p.global_position = c.global_position - 1 OFFSET 0)',
        pg_snapshot_xmin(pg_current_snapshot())::text::bigint, p_from)
      INTO v_bound;
      RETURN v_bound;
    END
    $fn$;`;
}

/**
 * Schema steps of the `events` table.
 *
 * 100 creates it. 101 lets appends to different streams commit concurrently: each row carries
 * a `gate_xid` (see `append_events`), readers of the global order stop at the first position a
 * running append could still fill in below (`events_settled_bound`), positions are capped at 2^53 - 1, and `recorded_at` never decreases along the
 * order. Rows written before 101 get gate 0 (they are all committed, so always visible), and
 * rows inserted by an older Keel (without `append_events`) get their own transaction id.
 * 102 replaces `append_events` with a faster body of the same outcomes (no subtransaction
 * around a read-committed insert; see `appendEventsFunction`); rows and positions stay.
 * 103 adds `append_to_stream`, the same outcomes with a leaner body and a one-value result (see
 * `appendToStreamFunction`); `append_events` stays for processes still running the older code.
 * 104 replaces the body of `events_settled_bound` with one that never reads the whole table (see
 * `settledBoundFunction104`); same signature and answers.
 * 105 adds `append_to_streams`, several appends in one call and one transaction (group commit;
 * see `appendToStreamsFunction`), with the outcomes `append_to_stream` gives each.
 * 106 adds a form of `append_to_streams` that notifies a channel in its own transaction, so a
 * group commit carries the store's notification as a single append does (105's form stays for
 * processes still running the older code), and gives `append_to_stream` a body that costs the
 * server less per call, with the same signature and outcomes (see `appendToStreamFunction`).
 */
export const EVENT_STORE_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 100,
    name: 'events',
    sql: (schema) => `
      CREATE TABLE ${schema.table('events')} (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        stream_name text NOT NULL,
        stream_version bigint NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        data jsonb,
        metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL,
        CONSTRAINT events_stream_version_key UNIQUE (stream_name, stream_version),
        CONSTRAINT events_event_id_key UNIQUE (event_id)
      );
      CREATE INDEX events_type_position_idx ON ${schema.table('events')} (event_type, global_position);`,
  },
  {
    version: 101,
    name: 'events_concurrent_appends',
    sql: (schema) => `
      ALTER TABLE ${schema.table('events')} ADD COLUMN gate_xid bigint NOT NULL DEFAULT 0;
      ALTER TABLE ${schema.table('events')} ALTER COLUMN gate_xid SET DEFAULT pg_current_xact_id()::text::bigint;
      ALTER TABLE ${schema.table('events')} ALTER COLUMN global_position SET MAXVALUE ${MAX_POSITION};
      CREATE SEQUENCE ${schema.quoted}.events_gate AS bigint MINVALUE 0 START 0;
      CREATE SEQUENCE ${schema.quoted}.events_clock AS bigint MINVALUE 0 START 0;
      SELECT setval('${schema.quoted}.events_clock'::regclass,
        coalesce((SELECT (extract(epoch FROM max(recorded_at)) * 1000000)::bigint FROM ${schema.table('events')}), 0));
      CREATE INDEX events_gate_idx ON ${schema.table('events')} (gate_xid);
      ${settledBoundFunction(schema)}
      ${appendFunction(schema)}`,
  },
  {
    version: 102,
    name: 'events_append_without_subtransaction',
    sql: (schema) => appendEventsFunction(schema),
  },
  {
    version: 103,
    name: 'events_append_to_stream',
    sql: (schema) => appendToStreamFunction(schema),
  },
  {
    version: 104,
    name: 'events_settled_bound_by_index',
    sql: (schema) => settledBoundFunction104(schema),
  },
  {
    version: 105,
    name: 'events_append_to_streams',
    sql: (schema) => appendToStreamsFunction(schema),
  },
  {
    version: 106,
    name: 'events_append_notify_and_generic_plans',
    sql: (schema) => `${appendToStreamsFunction(schema, true)}
${appendToStreamFunction(schema, 106)}`,
  },
]);
