import type { SqlSchema } from '../../client/identifiers.js';
import { parseAppendOutcome } from './appendToStreamFunction.js';
import type { AppendOutcome } from './appendToStreamFunction.js';

/**
 * How long a grouped call waits for a lock before it gives up and its appends go one by one.
 * The only lock an append waits on for long is another transaction's uncommitted row of the
 * same stream version or event id; one such append must not hold up the rest of its group.
 */
export const GROUP_LOCK_TIMEOUT_MS = 100;

/**
 * `append_to_streams` since migration 105: several appends, to any streams, in one call and so
 * in one transaction (a group commit). Each runs exactly as a call of `append_to_stream` would
 * (the same function, unguarded), in the order given, so a later append of the group sees the
 * earlier ones: two appends to one stream with the same expected version give one `appended`
 * and one `conflict`, as they would one after the other. Ids already recorded are looked up
 * before every append (a single append lets a numbered one find them by clashing on insert,
 * which here would fail the whole group); the outcome is the same, `recorded`.
 *
 * Arguments are the appends side by side (stream, expected kind, expected number, event count,
 * store time in µs), and their events concatenated in the same order. The result is one `text`
 * value: the outcomes of `append_to_stream`, joined by commas, in the order of the appends.
 *
 * A clash with a concurrent append, a lock wait longer than {@link GROUP_LOCK_TIMEOUT_MS}, a
 * deadlock or a position past 2^53 - 1 fails the whole call, nothing of it commits, and the
 * caller sends the appends one by one, where each learns its own outcome.
 */
export function appendToStreamsFunction(schema: SqlSchema): string {
  return `
    CREATE FUNCTION ${schema.quoted}.append_to_streams(
      p_streams text[], p_kinds text[], p_expected bigint[], p_counts integer[], p_now_us bigint[],
      p_ids text[], p_types text[], p_data text[], p_metadata text[]
    ) RETURNS text
    -- As in append_to_stream: plans are cached per session, and one made while the table was
    -- tiny must not keep scanning it whole as it grows.
    LANGUAGE plpgsql SET lock_timeout = '${GROUP_LOCK_TIMEOUT_MS}ms' SET enable_seqscan = off SET jit = off AS $fn$
    DECLARE
      v_outcomes text[] := '{}';
      v_from integer := 1;
      v_to integer;
    BEGIN
      IF coalesce(cardinality(p_streams), 0) <> coalesce(cardinality(p_counts), 0)
         OR coalesce((SELECT sum(c) FROM unnest(p_counts) AS c), 0) <> coalesce(cardinality(p_ids), 0) THEN
        RAISE EXCEPTION 'append_to_streams: the counts do not match the events' USING ERRCODE = '22023';
      END IF;
      FOR i IN 1 .. coalesce(cardinality(p_streams), 0) LOOP
        v_to := v_from + p_counts[i] - 1;
        -- A numbered or NO_STREAM append skips the id lookup when its version holds and lets a
        -- recorded id clash on insert; in a group that clash would fail every append, so the
        -- ids are looked up first (the outcome is the same: recorded).
        IF p_kinds[i] IN ('exact', 'no_stream')
           AND EXISTS (SELECT 1 FROM ${schema.table('events')} e WHERE e.event_id = ANY (p_ids[v_from:v_to])) THEN
          v_outcomes[i] := 'recorded f';
        ELSE
          v_outcomes[i] := ${schema.quoted}.append_to_stream(
            p_streams[i], p_kinds[i], p_expected[i], p_ids[v_from:v_to], p_types[v_from:v_to],
            p_data[v_from:v_to], p_metadata[v_from:v_to], p_now_us[i], NULL, false);
        END IF;
        v_from := v_to + 1;
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
