import type { SqlSchema } from '../../client/identifiers.js';
import { MAX_POSITION } from './appendEventsFunction.js';

/**
 * `append_to_stream` since migration 103: the common append in one call, with the outcomes of
 * `append_events` (see `appendEventsFunction`, which 103 keeps for processes still running the
 * older code: both share the lock, the registers and the sequence) and a leaner body:
 *
 * - The result is one `text` value, `<outcome> <numbers…>` (see `parseAppendOutcome`), not a
 *   row of five typed columns: the client reads one column of a type it does not parse.
 * - The critical section runs as assignments (PL/pgSQL's simple-expression path) instead of
 *   `PERFORM` statements (each a full executor start), the recorded-at timestamp is computed once
 *   per append rather than per row, and the lock and unlock sit inside the guarded block, each
 *   in the same statement as the flag that says whether it is held: a cancel between two
 *   statements can no longer leave the session lock held (under 102 it could, right after the
 *   lock or right before the unlock).
 *
 * Outcomes: `appended <version> <first position> <recorded µs>`, `recorded <stale>`,
 * `conflict <version> <stale>`, `empty <version> <settled head>`; `stale` is `t` or `f`.
 *
 * Migration 106 replaces the body (`revision` 106) with one that costs the server less per call,
 * same signature and outcomes: see {@link LEAN_PLANS}; the version is read with one `LIMIT 1`
 * probe of the stream's index (no aggregate over an init plan); and the id lookup, which the
 * common append skips, is no longer part of the condition that decides to skip it (a condition
 * with a subquery runs as a statement of its own, planned and started on every call, even when
 * the lookup is not needed).
 */
export function appendToStreamFunction(schema: SqlSchema, revision: 103 | 106 = 103): string {
  const events = schema.table('events');
  const seq = (name: string): string => `'${schema.quoted}.${name}'::regclass`;
  const lockKey = `hashtextextended('keel.events:${schema.name}', 0)`;
  const insert = `INSERT INTO ${events}
            (global_position, stream_name, stream_version, event_id, event_type, data, metadata, recorded_at, gate_xid)
          OVERRIDING SYSTEM VALUE
          SELECT v_first + u.ord - 1, p_stream, v_version + u.ord, u.id, u.type, u.data::jsonb, u.metadata::jsonb, v_at, v_gate
          FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS u(id, type, data, metadata, ord);`;
  const lean = revision >= 106;
  const version = versionInto(events, 'p_stream', revision);
  const idsRecorded = `EXISTS (SELECT 1 FROM ${events} e WHERE e.event_id = ANY (p_ids))`;
  const idsFirst = lean
    ? `IF v_count > 0 AND (NOT v_ok OR v_tried IS NOT NULL OR p_expected_kind IN ('any', 'stream_exists')) THEN
          IF ${idsRecorded} THEN
            RETURN 'recorded f';
          END IF;
        END IF;`
    : `IF v_count > 0 AND (NOT v_ok OR v_tried IS NOT NULL OR p_expected_kind IN ('any', 'stream_exists'))
           AND ${idsRecorded} THEN
          RETURN 'recorded f';
        END IF;`;
  return `
    CREATE${lean ? ' OR REPLACE' : ''} FUNCTION ${schema.quoted}.append_to_stream(
      p_stream text, p_expected_kind text, p_expected bigint, p_ids text[], p_types text[],
      p_data text[], p_metadata text[], p_now_us bigint, p_notify text, p_guarded boolean
    ) RETURNS text
    -- Plans are cached per session: one made while the table was tiny would keep scanning it
    -- whole as it grows. Every statement here has an index path; no scan may be chosen instead.
    LANGUAGE plpgsql SET enable_seqscan = off SET jit = off${lean ? LEAN_PLANS : ''} AS $fn$
    DECLARE
      v_count integer := coalesce(cardinality(p_ids), 0);
      v_version bigint;
      v_tried bigint;
      v_first bigint;
      v_xid bigint;
      v_gate bigint;
      v_last bigint;
      v_us bigint;
      v_at timestamptz;
      v_ok boolean;
      v_locked boolean := false;
      v_rc boolean := current_setting('transaction_isolation') = 'read committed';
    BEGIN
      LOOP
        ${version}
        v_ok := p_expected_kind = 'any'
                OR (p_expected_kind = 'no_stream' AND v_version = 0)
                OR (p_expected_kind = 'stream_exists' AND v_version > 0)
                OR (p_expected_kind = 'exact' AND v_version = p_expected);
        -- Ids before the version verdict, and after reading it (as in 102): a numbered or
        -- NO_STREAM append whose version holds skips the lookup (a recorded id then clashes on
        -- insert, and the next turn looks); ANY and STREAM_EXISTS look first.
        ${idsFirst}
        IF NOT v_ok THEN
          RETURN 'conflict ' || v_version || ' f';
        END IF;
        IF v_count = 0 THEN
          RETURN 'empty ' || v_version || ' ' || (SELECT coalesce(max(e.global_position), 0) FROM ${events} e
              WHERE e.global_position < ${schema.quoted}.events_settled_bound(1));
        END IF;
        IF v_version = v_tried THEN
          RAISE EXCEPTION 'append to % clashed with a row that is neither its ids nor its versions', p_stream
            USING ERRCODE = 'unique_violation';
        END IF;
        -- The short critical section, as in 102: the transaction id is fixed before positions
        -- are drawn, and the gate (the highest transaction id of any append that drew a
        -- position so far) rises with every position.
        v_xid := pg_current_xact_id()::text::bigint;
        BEGIN
          v_locked := pg_advisory_lock(${lockKey}) IS NOT NULL;
          v_last := coalesce(pg_sequence_last_value(${seq('events_gate')}), 0);
          IF v_xid > v_last THEN v_gate := setval(${seq('events_gate')}, v_xid); ELSE v_gate := v_last; END IF;
          v_last := coalesce(pg_sequence_last_value(${seq('events_clock')}), 0);
          IF p_now_us > v_last THEN v_us := setval(${seq('events_clock')}, p_now_us); ELSE v_us := v_last; END IF;
          v_first := nextval(${seq('events_global_position_seq')});
          IF v_count > 1 AND v_first + v_count - 1 <= ${MAX_POSITION} THEN
            v_last := setval(${seq('events_global_position_seq')}, v_first + v_count - 1);
          END IF;
          v_locked := NOT pg_advisory_unlock(${lockKey});
        EXCEPTION WHEN OTHERS OR query_canceled THEN
          IF v_locked THEN PERFORM pg_advisory_unlock(${lockKey}); END IF;
          RAISE;
        END;
        IF v_first + v_count - 1 > ${MAX_POSITION} THEN
          RAISE EXCEPTION 'global position % would pass 2^53 - 1', v_first + v_count - 1 USING ERRCODE = '2200H';
        END IF;
        v_tried := v_version;
        v_at := to_timestamp(v_us / 1000000.0);
        IF p_guarded THEN
          BEGIN
            ${insert}
          EXCEPTION WHEN unique_violation OR serialization_failure THEN
            -- A concurrent append holds an id or the version (in REPEATABLE READ or SERIALIZABLE
            -- maybe one this snapshot cannot see). Ids first, as before the insert.
            IF ${idsRecorded} THEN
              RETURN 'recorded ' || CASE WHEN v_rc THEN 'f' ELSE 't' END;
            END IF;
            -- ANY and STREAM_EXISTS append after the winner (read committed sees it on the next
            -- turn), at positions drawn anew: a stream's versions must rise with its positions.
            IF NOT (v_rc AND p_expected_kind IN ('any', 'stream_exists')) THEN
              ${version}
              RETURN 'conflict ' || v_version || CASE WHEN v_rc THEN ' f' ELSE ' t' END;
            END IF;
            CONTINUE;
          END;
        ELSE
          -- No subtransaction: a clash fails the call (and its transaction), and the caller asks
          -- again with p_guarded to learn the outcome.
          ${insert}
        END IF;
        IF p_notify IS NOT NULL THEN PERFORM pg_notify(p_notify, ''); END IF;
        RETURN 'appended ' || (v_version + v_count) || ' ' || v_first || ' ' || v_us;
      END LOOP;
    END
    $fn$;`;
}

/**
 * The setting migration 106 adds to the append functions: every statement in them runs on the
 * plan made at its first call in a session. Under the default (`auto`), a statement whose plan
 * for the actual values looks much cheaper than its generic plan is planned again on every
 * call: 103's id check was such a statement (with its arguments known, its condition folds to
 * false, while the generic plan probes the index for ten ids), and planning it cost more than
 * running it. `enable_seqscan = off` keeps a plan made while the table was tiny on its indexes.
 */
export const LEAN_PLANS = ' SET plan_cache_mode = force_generic_plan';

/**
 * PL/pgSQL that sets `v_version` to the version of the stream named by `stream` (0 when it has
 * no events): since 106 one `LIMIT 1` probe of the stream's index, before an aggregate over it.
 */
export function versionInto(events: string, stream: string, revision: 103 | 106): string {
  return revision >= 106
    ? `SELECT e.stream_version INTO v_version FROM ${events} e WHERE e.stream_name = ${stream}
          ORDER BY e.stream_version DESC LIMIT 1;
        v_version := coalesce(v_version, 0);`
    : `SELECT coalesce(max(e.stream_version), 0) INTO v_version FROM ${events} e WHERE e.stream_name = ${stream};`;
}

/** What `append_to_stream` answered, parsed. */
export type AppendOutcome =
  | {
      readonly outcome: 'appended';
      readonly version: number;
      readonly first: number;
      readonly recordedUs: number;
    }
  | { readonly outcome: 'recorded'; readonly stale: boolean }
  | { readonly outcome: 'conflict'; readonly version: number; readonly stale: boolean }
  | { readonly outcome: 'empty'; readonly version: number; readonly head: number };

/** Parses the text `append_to_stream` returns (see {@link appendToStreamFunction}). */
export function parseAppendOutcome(text: string): AppendOutcome {
  const parts = text.split(' ');
  const outcome = parts[0];
  const a = parts[1];
  const b = parts[2];
  switch (outcome) {
    case 'appended':
      return { outcome, version: Number(a), first: Number(b), recordedUs: Number(parts[3]) };
    case 'recorded':
      return { outcome, stale: a === 't' };
    case 'conflict':
      return { outcome, version: Number(a), stale: b === 't' };
    case 'empty':
      return { outcome, version: Number(a), head: Number(b) };
    default:
      throw new Error(`append_to_stream returned "${text}"`);
  }
}
