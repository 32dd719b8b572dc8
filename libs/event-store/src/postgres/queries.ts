/**
 * The SQL of the PostgreSQL store, shared by PostgreSQL (pg) and PGlite.
 *
 * Why (xid, seq) and the xmin horizon: `seq` is taken at insert time, but transactions commit in
 * another order, so a reader ordering by seq alone can read seq 11 while seq 10 is still uncommitted,
 * move its checkpoint past 10 and never see it. Every transaction whose id is below
 * pg_snapshot_xmin(pg_current_snapshot()) has ended, and any transaction that writes later gets a
 * larger id; so the events below that horizon are final, and ordering them by (xid, seq) gives an
 * order that only grows at its end. A checkpoint is therefore the pair (xid, seq).
 *
 * xid8 has no cast to bigint (PG 15): we compare xid8 with xid8 (`$1::text::xid8`) so that the index
 * on (xid, seq) serves the WHERE and the ORDER BY, and convert to text only in the output, under another
 * name (`xid_text`): an output column named `xid` is what `ORDER BY xid` would sort by, as text, and the
 * plan would then scan and sort the whole table (the plan test in test/event-store.postgres.int.spec.ts
 * caught exactly that).
 */
import { EventMetadata, Position, RecordedEvent } from '../event-store.port';

const EVENT_COLUMNS = `seq, xid::text AS xid_text, stream_id, revision, event_id, type, schema_version, data, metadata, recorded_at`;

export interface EventRow {
  seq: string | number;
  xid_text: string;
  stream_id: string;
  revision: string | number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: unknown;
  recorded_at: Date | string;
}

export const FIND_EVENT_IDS = `
  SELECT ${EVENT_COLUMNS} FROM events WHERE event_id = ANY ($1::uuid[])`;

/**
 * The integrity chain needs "the previous event in the global order" when an event is appended. The
 * global order is (xid, seq), and concurrent transactions commit out of xid order, so appends take
 * this transaction-level lock first, before anything gives the transaction an id: the next appender
 * waits for the commit, then takes a larger transaction id. So the chain order is the global order, and
 * the previous event is the last one committed. Its cost is in docs/benchmarks.md.
 */
export const CHAIN_LOCK = `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.event_chain'))`;

/**
 * Under the chain lock: the stream's last event, the chain's last hash, and the recording instant of
 * the batch: the clock now (milliseconds, as stored) but never before the previous event's, so that
 * recording instants never decrease along the global order and "as known at K" is a prefix of it.
 */
export const APPEND_CONTEXT = `
  SELECT s.revision, s.xid_text, s.seq, h.hash_hex,
         to_char(GREATEST(clock_timestamp()::timestamptz(3), h.recorded_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS recorded_at
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (SELECT revision, xid::text AS xid_text, seq FROM events WHERE stream_id = $1 ORDER BY revision DESC LIMIT 1) s ON true
  LEFT JOIN LATERAL (SELECT encode(hash, 'hex') AS hash_hex, recorded_at FROM events ORDER BY xid DESC, seq DESC LIMIT 1) h ON true`;

export interface AppendContextRow {
  revision: string | number | null;
  xid_text: string | null;
  seq: string | number | null;
  hash_hex: string | null;
  recorded_at: string;
}

/** $1 stream, $2 first revision, $3 the events as one JSON array (one parameter, in batch order), each with its hash; $4 the recording instant. */
export const INSERT_EVENTS = `
  INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, metadata, recorded_at, hash)
  SELECT $1, $2::bigint + e.n - 1, (e.value->>'id')::uuid, e.value->>'type', (e.value->>'schemaVersion')::integer,
         e.value->'data', e.value->'metadata', $4::timestamptz, decode(e.value->>'hash', 'hex')
  FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(value, n)
  ORDER BY e.n
  RETURNING seq, xid::text AS xid_text, revision`;

/** One page of the chain: the global order below the horizon, with each event's stored hash. */
export const READ_CHAIN_PAGE = `
  SELECT ${EVENT_COLUMNS}, encode(hash, 'hex') AS hash_hex FROM events
  WHERE xid < pg_snapshot_xmin(pg_current_snapshot()) AND (xid, seq) > ($1::text::xid8, $2::bigint)
  ORDER BY xid, seq
  LIMIT $3`;

/** Whether the chain has begun: false on a log written before migration 2 (or an empty one). */
export const CHAIN_STARTED = `SELECT EXISTS (SELECT 1 FROM events WHERE hash IS NOT NULL) AS started`;

/** The events recorded before the chain existed, in global order, from a checkpoint ($1 xid, $2 seq). */
export const UNCHAINED_PAGE = `
  SELECT ${EVENT_COLUMNS} FROM events WHERE (xid, seq) > ($1::text::xid8, $2::bigint) ORDER BY xid, seq LIMIT $3`;

export const SET_HASH = `UPDATE events SET hash = decode($2, 'hex') WHERE seq = $1`;

/** Delivered to listeners when (and only if) the append commits. */
export const NOTIFY = `SELECT pg_notify($1, '')`;

export const READ_STREAM_FORWARDS = `
  SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3`;

export const READ_STREAM_BACKWARDS = `
  SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND revision <= $2 ORDER BY revision DESC LIMIT $3`;

/**
 * One page of the global order after the checkpoint ($1 xid, $2 seq), optionally filtered ($3 types,
 * $4 stream prefix), at most $5 rows. Also returns the statement's horizon (one row with null event
 * columns when the page is empty): everything below it has been scanned, so a filtered subscription can
 * move past events that do not match instead of scanning them again at every wake-up.
 *
 * Plan seen on PostgreSQL 15.20 with 200 000 events, from the middle of the log (EXPLAIN ANALYZE; the
 * plan test in test/event-store.postgres.int.spec.ts checks its shape):
 *   Sort (Sort Key: events.xid, events.seq; the page's 500 rows, 0.3 ms)
 *     -> Nested Loop Left Join
 *          -> CTE Scan on snapshot
 *          -> Limit
 *               -> Index Scan using events_xid_seq_idx on events (14 buffers)
 *                    Index Cond: ((xid < snapshot.xmin) AND (ROW(xid, seq) > ROW('1215'::xid8, '100001'::bigint)))
 *   Execution Time: 0.415 ms
 * With a filter the same index scan carries a Filter; a filter matching nothing scans the rest of the
 * log once (100 000 rows, 21 ms), which is why a subscription then moves on to the horizon.
 */
export const READ_ALL_PAGE = `
  WITH snapshot AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
  SELECT snapshot.xmin::text AS horizon,
         coalesce((SELECT max(xid) FROM events) >= snapshot.xmin, false) AS pending,
         e.seq, e.xid::text AS xid_text, e.stream_id, e.revision, e.event_id, e.type, e.schema_version, e.data, e.metadata, e.recorded_at
  FROM snapshot
  LEFT JOIN LATERAL (
    SELECT * FROM events
    WHERE xid < snapshot.xmin
      AND (xid, seq) > ($1::text::xid8, $2::bigint)
      AND ($3::text[] IS NULL OR type = ANY ($3::text[]))
      AND ($4::text IS NULL OR starts_with(stream_id, $4::text))
    ORDER BY xid, seq
    LIMIT $5
  ) e ON true
  ORDER BY e.xid, e.seq`;

export type ReadAllPageRow = { horizon: string; pending: boolean } & (
  { [K in keyof EventRow]: EventRow[K] } | { [K in keyof EventRow]: null }
);

/**
 * Read-your-writes for one-shot reads: true once the horizon has passed every event committed before the
 * statement, i.e. once every transaction that was in flight when they committed has ended. Until then
 * the newest committed events sit above the horizon and a reader would not see them yet.
 */
export const HORIZON_PASSED_COMMITTED = `
  SELECT coalesce((SELECT max(xid) FROM events) < pg_snapshot_xmin(pg_current_snapshot()), true) AS passed`;

/** Every committed event, whether or not the horizon has passed it yet: a count, not a read. */
export const COUNT_EVENTS = `SELECT count(*) AS count FROM events`;

export const HEAD_POSITION = `
  SELECT seq, xid::text AS xid_text FROM events
  WHERE xid < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY xid DESC, seq DESC
  LIMIT 1`;

/** The event a row of EVENT_COLUMNS holds, as the port gives it. */
export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.type,
    schemaVersion: Number(row.schema_version),
    data: row.data,
    metadata: row.metadata as EventMetadata,
    streamId: row.stream_id,
    revision: Number(row.revision),
    position: positionOf(row),
    recordedAt: new Date(row.recorded_at).toISOString(),
  };
}

/** A row's place in the global order (bigint columns arrive as strings or numbers; positions stay below 2^53). */
export function positionOf(row: { xid_text: string; seq: string | number }): Position {
  return { commit: Number(row.xid_text), prepare: Number(row.seq) };
}

/**
 * A restore (bulk-import.ts): $1 the events as one JSON array in log order, each keeping its id, stream,
 * revision, recording instant and hash. One multi-row insert per batch, in file order (seq follows it).
 */
export const IMPORT_EVENTS = `
  INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, metadata, recorded_at, hash)
  SELECT e.value->>'streamId', (e.value->>'revision')::bigint, (e.value->>'id')::uuid, e.value->>'type',
         (e.value->>'schemaVersion')::integer, e.value->'data', e.value->'metadata', (e.value->>'recordedAt')::timestamptz,
         decode(e.value->>'hash', 'hex')
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(value, n)
  ORDER BY e.n`;
