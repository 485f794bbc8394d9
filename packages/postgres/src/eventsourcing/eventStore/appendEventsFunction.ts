import type { SqlSchema } from '../../client/identifiers.js';

/** The largest position or version a JavaScript number holds exactly (2^53 - 1). */
export const MAX_POSITION = Number.MAX_SAFE_INTEGER;

/**
 * `append_events` since migration 102: the whole common append in one call (one round trip).
 * See `PostgresEventStore` and the package README for why the global order never skips.
 *
 * Outcomes (one row): `appended` (version after, first position, recorded-at in µs),
 * `recorded` (an id of the batch is already stored: the caller decides retry vs duplicate),
 * `conflict` (version found; `stale` when a concurrent commit is invisible to this transaction's
 * snapshot, in REPEATABLE READ or SERIALIZABLE), `empty` (no events: version and settled head).
 *
 * What 102 changed against 101, for speed (same outcomes): with `p_guarded` false (the store's
 * own single-statement transaction) the insert runs without a subtransaction, so a clash with a
 * concurrent append fails the call with `unique_violation` and the caller asks again guarded;
 * `p_guarded` (any transaction that must survive a clash: the caller's, or one with inline
 * projections) keeps the subtransaction of 101. A numbered or `NO_STREAM` append whose version
 * holds skips the id lookup (a recorded id then clashes on insert); the transaction id is fixed
 * before the lock; the registers are only written when they rise; only the lock section is
 * guarded (a cancel inside it must not leave the session lock held); the row comes back through
 * `OUT` parameters, not `RETURN QUERY`. The 9-argument form of 101 stays, guarded, for
 * processes still running the older code. Fixed on the way: under 101 an `ANY` or
 * `STREAM_EXISTS` append that lost a race kept the positions it drew first, so its versions
 * could sit below the winner's in the global order; it now draws new ones.
 */
export function appendEventsFunction(schema: SqlSchema): string {
  const events = schema.table('events');
  const seq = (name: string): string => `'${schema.quoted}.${name}'::regclass`;
  const lockKey = `hashtextextended('keel.events:${schema.name}', 0)`;
  const insert = `INSERT INTO ${events}
            (global_position, stream_name, stream_version, event_id, event_type, data, metadata, recorded_at, gate_xid)
          OVERRIDING SYSTEM VALUE
          SELECT v_first + u.ord - 1, p_stream, v_version + u.ord, u.id, u.type, u.data::jsonb, u.metadata::jsonb,
                 to_timestamp(v_us / 1000000.0), v_gate
          FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS u(id, type, data, metadata, ord);`;
  const version = `SELECT coalesce(max(e.stream_version), 0) INTO v_version FROM ${events} e WHERE e.stream_name = p_stream;`;
  const idsRecorded = `EXISTS (SELECT 1 FROM ${events} e WHERE e.event_id = ANY (p_ids))`;
  return `
    DROP FUNCTION ${schema.quoted}.append_events(text, text, bigint, text[], text[], text[], text[], bigint, text);
    CREATE FUNCTION ${schema.quoted}.append_events(
      p_stream text, p_expected_kind text, p_expected bigint, p_ids text[], p_types text[],
      p_data text[], p_metadata text[], p_now_us bigint, p_notify text, p_guarded boolean,
      OUT outcome text, OUT version bigint, OUT first_position bigint, OUT recorded_us bigint, OUT stale boolean
    )
    -- Plans are cached per session: one made while the table was tiny would keep scanning it
    -- whole as it grows. Every statement here has an index path; no scan may be chosen instead.
    LANGUAGE plpgsql SET enable_seqscan = off SET jit = off AS $fn$
    DECLARE
      v_count integer := coalesce(cardinality(p_ids), 0);
      v_version bigint;
      v_tried bigint;
      v_first bigint;
      v_xid bigint;
      v_gate bigint;
      v_last bigint;
      v_us bigint;
      v_ok boolean;
      v_rc boolean := current_setting('transaction_isolation') = 'read committed';
    BEGIN
      LOOP
        ${version}
        v_ok := p_expected_kind = 'any'
                OR (p_expected_kind = 'no_stream' AND v_version = 0)
                OR (p_expected_kind = 'stream_exists' AND v_version > 0)
                OR (p_expected_kind = 'exact' AND v_version = p_expected);
        -- Ids before the version verdict, and after reading it (each statement sees the latest
        -- commits): a retry of this batch that committed meanwhile is found here rather than
        -- reported as a version conflict. A numbered or NO_STREAM append whose version holds
        -- skips the lookup: a recorded id then clashes on insert, and the next turn looks. ANY
        -- and STREAM_EXISTS look first, so a retry draws no positions.
        IF v_count > 0 AND (NOT v_ok OR v_tried IS NOT NULL OR p_expected_kind IN ('any', 'stream_exists'))
           AND ${idsRecorded} THEN
          outcome := 'recorded'; stale := false;
          RETURN;
        END IF;
        IF NOT v_ok THEN
          outcome := 'conflict'; version := v_version; stale := false;
          RETURN;
        END IF;
        IF v_count = 0 THEN
          outcome := 'empty'; version := v_version; first_position := (SELECT coalesce(max(e.global_position), 0) FROM ${events} e
              WHERE e.global_position < ${schema.quoted}.events_settled_bound(1)); stale := false;
          RETURN;
        END IF;
        IF v_version = v_tried THEN
          -- The last insert clashed, yet neither the ids nor the stream changed.
          RAISE EXCEPTION 'append to % clashed with a row that is neither its ids nor its versions', p_stream
            USING ERRCODE = 'unique_violation';
        END IF;
        -- The short critical section: the transaction id is fixed before positions are drawn,
        -- and the gate (the highest transaction id of any append that drew a position so far)
        -- rises with every position. Readers show a row past a hole only when its gate is
        -- below the oldest running transaction, so every lower position is settled by then.
        v_xid := pg_current_xact_id()::text::bigint;
        PERFORM pg_advisory_lock(${lockKey});
        BEGIN
          v_last := coalesce(pg_sequence_last_value(${seq('events_gate')}), 0);
          v_gate := greatest(v_xid, v_last);
          IF v_gate > v_last THEN PERFORM setval(${seq('events_gate')}, v_gate); END IF;
          v_last := coalesce(pg_sequence_last_value(${seq('events_clock')}), 0);
          v_us := greatest(p_now_us, v_last);
          IF v_us > v_last THEN PERFORM setval(${seq('events_clock')}, v_us); END IF;
          v_first := nextval(${seq('events_global_position_seq')});
          IF v_count > 1 AND v_first + v_count - 1 <= ${MAX_POSITION} THEN
            PERFORM setval(${seq('events_global_position_seq')}, v_first + v_count - 1);
          END IF;
        EXCEPTION WHEN OTHERS OR query_canceled THEN
          PERFORM pg_advisory_unlock(${lockKey});
          RAISE;
        END;
        PERFORM pg_advisory_unlock(${lockKey});
        IF v_first + v_count - 1 > ${MAX_POSITION} THEN
          RAISE EXCEPTION 'global position % would pass 2^53 - 1', v_first + v_count - 1 USING ERRCODE = '2200H';
        END IF;
        v_tried := v_version;
        IF p_guarded THEN
          BEGIN
            ${insert}
          EXCEPTION WHEN unique_violation OR serialization_failure THEN
            -- A concurrent append holds an id or the version (in REPEATABLE READ or SERIALIZABLE
            -- maybe one this snapshot cannot see). Ids first, as before the insert.
            IF ${idsRecorded} THEN
              outcome := 'recorded'; stale := NOT v_rc;
              RETURN;
            END IF;
            -- ANY and STREAM_EXISTS append after the winner (read committed sees it on the next
            -- turn), at positions drawn anew: a stream's versions must rise with its positions.
            IF NOT (v_rc AND p_expected_kind IN ('any', 'stream_exists')) THEN
              ${version}
              outcome := 'conflict'; version := v_version; stale := NOT v_rc;
              RETURN;
            END IF;
            CONTINUE;
          END;
        ELSE
          -- No subtransaction: a clash fails the call (and its transaction), and the caller asks
          -- again with p_guarded to learn the outcome.
          ${insert}
        END IF;
        IF p_notify IS NOT NULL THEN PERFORM pg_notify(p_notify, ''); END IF;
        outcome := 'appended'; version := v_version + v_count; first_position := v_first; recorded_us := v_us; stale := false;
        RETURN;
      END LOOP;
    END
    $fn$;
    CREATE FUNCTION ${schema.quoted}.append_events(
      p_stream text, p_expected_kind text, p_expected bigint, p_ids text[], p_types text[],
      p_data text[], p_metadata text[], p_now_us bigint, p_notify text,
      OUT outcome text, OUT version bigint, OUT first_position bigint, OUT recorded_us bigint, OUT stale boolean
    ) LANGUAGE sql AS $fn$
      SELECT * FROM ${schema.quoted}.append_events(p_stream, p_expected_kind, p_expected, p_ids, p_types,
        p_data, p_metadata, p_now_us, p_notify, true)
    $fn$;`;
}
