import type { SqlSchema } from '../../client/identifiers.js';
import { MAX_POSITION } from './appendEventsFunction.js';
import { LEAN_PLANS, parseAppendOutcome, versionInto } from './appendToStreamFunction.js';
import type { AppendOutcome } from './appendToStreamFunction.js';

/**
 * How long a grouped call waits for a lock before it gives up and its appends go one by one.
 * The only lock an append waits on for long is another transaction's uncommitted row of the
 * same stream version or event id; one such append must not hold up the rest of its group.
 */
export const GROUP_LOCK_TIMEOUT_MS = 100;

/**
 * `append_to_streams` since migration 105: several appends, to different streams, in one call
 * and so in one transaction (a group commit), with the outcomes `append_to_stream` would give
 * each. Every append is checked first, in the order given: ids already recorded (`recorded`),
 * then the expected version (`conflict`). The appends that pass then draw all their positions in
 * one critical section (one lock, one gate, one recorded-at time, in the order given: see
 * `appendToStreamFunction` for why positions are drawn this way) and go in with one `INSERT`, so
 * a group of 8 costs about what one append costs, plus its rows.
 *
 * The caller never puts two appends to one stream, or two appends sharing an event id, in one
 * group (checks see only rows written before the call, not the group's own).
 *
 * Arguments are the appends side by side (stream, expected kind, expected number, event count,
 * store time in µs), and their events concatenated in the same order, each with the 1-based index
 * of its append. The result is one `text` value: the outcomes of `append_to_stream`, joined by
 * commas, in the order of the appends.
 *
 * A clash with a concurrent append, a lock wait longer than {@link GROUP_LOCK_TIMEOUT_MS}, a
 * deadlock or a position past 2^53 - 1 fails the whole call, nothing of it commits, and the
 * caller sends the appends one by one, where each learns its own outcome.
 *
 * With `notify` (migration 106) the function takes one more argument, `p_notify`: a channel the
 * call notifies when it inserts, in its own transaction, as `append_to_stream` does, so that a
 * group can carry the store's notification instead of a `NOTIFY` of its own. It is an overload
 * of 105's form, which stays for processes still running the older code, and it reads versions
 * and plans its statements as 106's `append_to_stream` does (see `appendToStreamFunction`).
 */
export function appendToStreamsFunction(schema: SqlSchema, notify = false): string {
  const events = schema.table('events');
  const seq = (name: string): string => `'${schema.quoted}.${name}'::regclass`;
  const lockKey = `hashtextextended('keel.events:${schema.name}', 0)`;
  const version = versionInto(events, 'p_streams[i]', notify ? 106 : 103);
  const notifies = notify
    ? `\n      IF p_notify IS NOT NULL THEN PERFORM pg_notify(p_notify, ''); END IF;`
    : '';
  return `
    CREATE FUNCTION ${schema.quoted}.append_to_streams(
      p_streams text[], p_kinds text[], p_expected bigint[], p_counts integer[], p_now_us bigint[],
      p_members integer[], p_ids text[], p_types text[], p_data text[], p_metadata text[]${notify ? ', p_notify text' : ''}
    ) RETURNS text
    -- As in append_to_stream: plans are cached per session, and one made while the table was
    -- tiny must not keep scanning it whole as it grows.
    LANGUAGE plpgsql SET lock_timeout = '${GROUP_LOCK_TIMEOUT_MS}ms' SET enable_seqscan = off SET jit = off${notify ? LEAN_PLANS : ''} AS $fn$
    DECLARE
      v_count integer := coalesce(cardinality(p_streams), 0);
      v_outcomes text[] := array_fill(NULL::text, ARRAY[v_count]);
      v_base bigint[] := array_fill(NULL::bigint, ARRAY[v_count]); -- NULL: refused
      v_start integer[] := array_fill(NULL::integer, ARRAY[v_count]);
      v_offset integer[] := array_fill(NULL::integer, ARRAY[v_count]);
      v_from integer := 1;
      v_to integer;
      v_version bigint;
      v_total integer := 0;
      v_now bigint := 0;
      v_xid bigint;
      v_gate bigint;
      v_last bigint;
      v_us bigint;
      v_first bigint;
      v_at timestamptz;
      v_locked boolean := false;
    BEGIN
      IF v_count <> coalesce(cardinality(p_counts), 0)
         OR coalesce((SELECT sum(c) FROM unnest(p_counts) AS c), 0) <> coalesce(cardinality(p_ids), 0)
         OR coalesce(cardinality(p_members), 0) <> coalesce(cardinality(p_ids), 0) THEN
        RAISE EXCEPTION 'append_to_streams: the counts do not match the events' USING ERRCODE = '22023';
      END IF;
      FOR i IN 1 .. v_count LOOP
        v_to := v_from + p_counts[i] - 1;
        v_start[i] := v_from;
        ${version}
        IF EXISTS (SELECT 1 FROM ${events} e WHERE e.event_id = ANY (p_ids[v_from:v_to])) THEN
          v_outcomes[i] := 'recorded f';
        ELSIF NOT (p_kinds[i] = 'any'
                   OR (p_kinds[i] = 'no_stream' AND v_version = 0)
                   OR (p_kinds[i] = 'stream_exists' AND v_version > 0)
                   OR (p_kinds[i] = 'exact' AND v_version = p_expected[i])) THEN
          v_outcomes[i] := 'conflict ' || v_version || ' f';
        ELSE
          v_base[i] := v_version;
          v_offset[i] := v_total;
          v_total := v_total + p_counts[i];
          v_now := greatest(v_now, p_now_us[i]);
        END IF;
        v_from := v_to + 1;
      END LOOP;
      IF v_total = 0 THEN
        RETURN array_to_string(v_outcomes, ',');
      END IF;
      -- One critical section for the group, as append_to_stream's for one append.
      v_xid := pg_current_xact_id()::text::bigint;
      BEGIN
        v_locked := pg_advisory_lock(${lockKey}) IS NOT NULL;
        v_last := coalesce(pg_sequence_last_value(${seq('events_gate')}), 0);
        IF v_xid > v_last THEN v_gate := setval(${seq('events_gate')}, v_xid); ELSE v_gate := v_last; END IF;
        v_last := coalesce(pg_sequence_last_value(${seq('events_clock')}), 0);
        IF v_now > v_last THEN v_us := setval(${seq('events_clock')}, v_now); ELSE v_us := v_last; END IF;
        v_first := nextval(${seq('events_global_position_seq')});
        IF v_total > 1 AND v_first + v_total - 1 <= ${MAX_POSITION} THEN
          v_last := setval(${seq('events_global_position_seq')}, v_first + v_total - 1);
        END IF;
        v_locked := NOT pg_advisory_unlock(${lockKey});
      EXCEPTION WHEN OTHERS OR query_canceled THEN
        IF v_locked THEN PERFORM pg_advisory_unlock(${lockKey}); END IF;
        RAISE;
      END;
      IF v_first + v_total - 1 > ${MAX_POSITION} THEN
        RAISE EXCEPTION 'global position % would pass 2^53 - 1', v_first + v_total - 1 USING ERRCODE = '2200H';
      END IF;
      v_at := to_timestamp(v_us / 1000000.0);
      INSERT INTO ${events}
          (global_position, stream_name, stream_version, event_id, event_type, data, metadata, recorded_at, gate_xid)
        OVERRIDING SYSTEM VALUE
        SELECT v_first + v_offset[u.m] + (u.ord - v_start[u.m]), p_streams[u.m], v_base[u.m] + (u.ord - v_start[u.m]) + 1,
               u.id, u.type, u.data::jsonb, u.metadata::jsonb, v_at, v_gate
        FROM unnest(p_ids, p_types, p_data, p_metadata, p_members) WITH ORDINALITY AS u(id, type, data, metadata, m, ord)
        WHERE v_base[u.m] IS NOT NULL;${notifies}
      FOR i IN 1 .. v_count LOOP
        IF v_base[i] IS NOT NULL THEN
          v_outcomes[i] := 'appended ' || (v_base[i] + p_counts[i]) || ' ' || (v_first + v_offset[i]) || ' ' || v_us;
        END IF;
      END LOOP;
      RETURN array_to_string(v_outcomes, ',');
    END
    $fn$;`;
}

/** Parses what `append_to_streams` answered: one outcome per append, in order. */
export function parseGroupOutcomes(text: string, count: number): AppendOutcome[] {
  const parts = text.split(',');
  if (parts.length !== count) {
    throw new Error(`append_to_streams answered ${parts.length} outcomes for ${count} appends: "${text}"`);
  }
  return parts.map(parseAppendOutcome);
}
