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
/** The same columns of `events` under the alias `e`, for joins. */
const E_COLUMNS = `e.seq, e.xid::text AS xid_text, e.stream_id, e.revision, e.event_id, e.type, e.schema_version, e.data, e.metadata, e.recorded_at`;

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

/**
 * An append in one statement, its own transaction, with no lock: the ids already recorded (a retry or a
 * duplicate), the stream's last event (the expectation), the insert when neither stops it, and the
 * NOTIFY, delivered at commit. Two writers racing on a revision or an id both insert; the unique
 * constraints make the second wait for the first and fail (23505), and its next attempt sees the first
 * one's commit. $1 stream, $2 the events as one JSON array in batch order, $3 their ids, $4 the
 * expectation's kind ('any', 'no_stream', 'stream_exists' or 'revision') and $5 its revision. No
 * NOTIFY here: a transaction that notifies takes, at its commit, one lock for the whole cluster, which
 * made concurrent appends commit (and flush) one at a time; the store announces after the commit
 * (postgres-event-store.ts, announce). The expectation is append-rules.ts expectationHolds, said again in SQL so that the check and
 * the insert are one round trip (the store checks the answer with expectationHolds).
 *
 * The recording instant must not decrease along the global order, so that "as known at K" is a prefix of
 * it (docs/audit.md). The order is the transaction ids', so the instant is read right after the id is
 * taken, and the two together under a session advisory lock (per schema) released in the same statement,
 * before the insert and the commit: held for two function calls, not across round trips. The chain of
 * MATERIALIZED CTEs orders lock, id, clock and unlock (each reads the previous). Never before the
 * previous committed event's instant either (a clock set back).
 */
export const APPEND = `
  WITH existing AS MATERIALIZED (
    SELECT seq, xid::text AS xid_text, stream_id, revision, event_id FROM events WHERE event_id = ANY ($3::uuid[])
  ), head AS MATERIALIZED (
    SELECT revision, xid::text AS xid_text, seq FROM events WHERE stream_id = $1 ORDER BY revision DESC LIMIT 1
  ), decision AS MATERIALIZED (
    SELECT NOT EXISTS (SELECT 1 FROM existing) AND CASE $4::text
             WHEN 'any' THEN true
             WHEN 'no_stream' THEN h.revision IS NULL
             WHEN 'stream_exists' THEN h.revision IS NOT NULL
             ELSE h.revision = $5::bigint END AS ok,
           coalesce(h.revision, -1) + 1 AS first_revision
    FROM (SELECT 1) AS one LEFT JOIN head h ON true
  ), locked AS MATERIALIZED (
    SELECT pg_advisory_lock(hashtext(current_schema() || '.event_instant')) FROM decision WHERE ok AND jsonb_array_length($2::jsonb) > 0
  ), taken AS MATERIALIZED (
    SELECT pg_current_xact_id() AS xid, clock_timestamp()::timestamptz(3) AS at FROM locked
  ), instant AS MATERIALIZED (
    SELECT pg_advisory_unlock(hashtext(current_schema() || '.event_instant')) AS unlocked,
           GREATEST(t.at, (SELECT recorded_at FROM events WHERE xid < t.xid ORDER BY xid DESC, seq DESC LIMIT 1)) AS at
    FROM taken t
  ), inserted AS (
    INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, metadata, recorded_at)
    SELECT $1, d.first_revision + e.n - 1, (e.value->>'id')::uuid, e.value->>'type', (e.value->>'schemaVersion')::integer,
           e.value->'data', e.value->'metadata', i.at
    FROM decision d, instant i, jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e(value, n)
    WHERE d.ok
    ORDER BY e.n
    RETURNING seq, xid::text AS xid_text, revision
  )
  SELECT (SELECT json_agg(x) FROM existing x) AS existing,
         (SELECT revision FROM head) AS head_revision,
         (SELECT xid_text FROM head) AS head_xid_text,
         (SELECT seq FROM head) AS head_seq,
         (SELECT json_build_object('revision', revision, 'xid_text', xid_text, 'seq', seq) FROM inserted ORDER BY revision DESC LIMIT 1) AS last`;

export interface AppendRow {
  existing: Array<{ seq: number; xid_text: string; stream_id: string; revision: number; event_id: string }> | null;
  head_revision: string | number | null;
  head_xid_text: string | null;
  head_seq: string | number | null;
  last: { revision: number; xid_text: string; seq: number } | null;
}

/**
 * The sealed prefix of the chain (chain-sealer.ts) after a position, up to the seal head, one page: each
 * event with its hash, null where a row of the prefix has none (written around the store). Below the
 * horizon, as every reader.
 */
export const READ_CHAIN_PAGE = `
  SELECT ${E_COLUMNS}, encode(c.hash, 'hex') AS hash_hex
  FROM events e LEFT JOIN event_chain c ON c.seq = e.seq
  WHERE e.xid < pg_snapshot_xmin(pg_current_snapshot())
    AND (e.xid, e.seq) > ($1::text::xid8, $2::bigint) AND (e.xid, e.seq) <= ($3::text::xid8, $4::bigint)
  ORDER BY e.xid, e.seq
  LIMIT $5`;

/** The seal head, and what lies above it: the committed events not sealed yet, and the oldest one's age. */
export const SEAL_STATE = `
  SELECT h.xid::text AS xid_text, h.seq, h.size, encode(h.hash, 'hex') AS hash_hex, h.sealed_at,
         h.tree_size, encode(h.tree_root, 'hex') AS tree_root_hex,
         t.count AS tail_count, t.oldest AS tail_oldest,
         extract(epoch FROM clock_timestamp() - t.oldest) * 1000 AS tail_age_ms
  FROM event_seal_head h
  LEFT JOIN LATERAL (
    SELECT count(*) AS count, min(recorded_at) AS oldest FROM events
    WHERE (xid, seq) > (coalesce(h.xid, '0'::xid8), coalesce(h.seq, 0))
  ) t ON true`;

export interface SealStateRow {
  xid_text: string | null;
  seq: string | number | null;
  size: string | number;
  hash_hex: string | null;
  sealed_at: Date | string | null;
  tree_size: string | number;
  tree_root_hex: string | null;
  tail_count: string | number;
  tail_oldest: Date | string | null;
  tail_age_ms: string | number | null;
}

/**
 * A seal batch runs only where this lock is free (try, never wait): two processes on one database never
 * seal the same range, and neither waits for the other. Keyed by schema (advisory locks are database-wide).
 */
export const SEAL_TRY_LOCK = `SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || '.event_sealer')) AS locked`;
/** The same lock, waited for: an import holds it so that no batch seals beside it. */
export const SEAL_LOCK = `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.event_sealer'))`;

/**
 * The seal head and the next events after it below the horizon (their order is final), at most $1, in
 * global order; `pending` when committed events wait above the horizon. One row with null event columns
 * when there is nothing to seal.
 */
export const SEAL_NEXT = `
  WITH snapshot AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
  SELECT h.xid::text AS head_xid_text, h.seq AS head_seq, h.size AS head_size, encode(h.hash, 'hex') AS head_hash_hex,
         h.tree_size, h.tree_xid::text AS tree_xid_text, h.tree_seq,
         coalesce((SELECT max(xid) FROM events) >= snapshot.xmin, false) AS pending,
         ${E_COLUMNS}
  FROM snapshot
  CROSS JOIN event_seal_head h
  LEFT JOIN LATERAL (
    SELECT * FROM events
    WHERE xid < snapshot.xmin AND (xid, seq) > (coalesce(h.xid, '0'::xid8), coalesce(h.seq, 0))
    ORDER BY xid, seq
    LIMIT $1
  ) e ON true
  ORDER BY e.xid, e.seq`;

export type SealNextRow = {
  head_xid_text: string | null;
  head_seq: string | number | null;
  head_size: string | number;
  head_hash_hex: string | null;
  tree_size: string | number;
  tree_xid_text: string | null;
  tree_seq: string | number | null;
  pending: boolean;
} & ({ [K in keyof EventRow]: EventRow[K] } | { [K in keyof EventRow]: null });

/**
 * Extends the sealed prefix: the leaves ($1 seqs, $2 leaf numbers, $3 hex hashes, in order) and the new
 * head ($4 xid, $5 seq, $6 size, $7 hash), moved only from the head the batch read ($8 its size): a
 * head that moved meanwhile updates no row, and the sealer rolls back.
 */
export const SEAL_WRITE = `
  WITH leaves AS (
    INSERT INTO event_chain (seq, leaf, hash)
    SELECT s, l, decode(h, 'hex') FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS t(s, l, h)
  )
  UPDATE event_seal_head SET xid = $4::text::xid8, seq = $5, size = $6, hash = decode($7, 'hex'), sealed_at = clock_timestamp()
  WHERE size = $8`;

/**
 * The sealed events the tree does not hold yet, after the tree's last leaf ($1 xid, $2 seq; null: from
 * the start) up to the chain's head ($3 xid, $4 seq), at most $5, in global order: a log sealed before the
 * tree existed, or imported, gets its tree built over it this way (chain-sealer.ts).
 */
export const TREE_LAG = `
  SELECT ${EVENT_COLUMNS} FROM events
  WHERE (xid, seq) > (coalesce($1::text::xid8, '0'::xid8), coalesce($2::bigint, 0)) AND (xid, seq) <= ($3::text::xid8, $4::bigint)
  ORDER BY xid, seq
  LIMIT $5`;

/** Perfect nodes of the tree by ($1 levels, $2 indexes): a proof's or the right edge's. */
export const TREE_NODES = `
  SELECT n.level, n.idx, n.hash FROM event_tree_nodes n
  JOIN unnest($1::smallint[], $2::bigint[]) AS wanted(level, idx) ON n.level = wanted.level AND n.idx = wanted.idx`;

export interface TreeNodeRow {
  level: number;
  idx: string | number;
  hash: Buffer | Uint8Array;
}

/**
 * Extends the tree: the perfect nodes completed ($1 levels, $2 indexes, $3 hex hashes) and its head ($4
 * size, $5 xid and $6 seq of its last leaf, $7 root), moved only from the size the batch read ($8).
 */
export const TREE_WRITE = `
  WITH nodes AS (
    INSERT INTO event_tree_nodes (level, idx, hash)
    SELECT l, i, decode(h, 'hex') FROM unnest($1::smallint[], $2::bigint[], $3::text[]) AS t(l, i, h)
  )
  UPDATE event_seal_head SET tree_size = $4, tree_xid = $5::text::xid8, tree_seq = $6, tree_root = decode($7, 'hex')
  WHERE tree_size = $8`;

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
 * revision, recording instant and hash; $2 the first one's leaf number. One multi-row insert per batch,
 * in file order (seq follows it), and its hashes as the chain's leaves: the archive is sealed as written.
 */
export const IMPORT_EVENTS = `
  WITH batch AS MATERIALIZED (
    SELECT e.value, e.n FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(value, n)
  ), inserted AS (
    INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, metadata, recorded_at)
    SELECT b.value->>'streamId', (b.value->>'revision')::bigint, (b.value->>'id')::uuid, b.value->>'type',
           (b.value->>'schemaVersion')::integer, b.value->'data', b.value->'metadata', (b.value->>'recordedAt')::timestamptz
    FROM batch b
    ORDER BY b.n
    RETURNING seq, event_id
  )
  INSERT INTO event_chain (seq, leaf, hash)
  SELECT i.seq, $2::bigint + b.n - 1, decode(b.value->>'hash', 'hex')
  FROM inserted i JOIN batch b ON (b.value->>'id')::uuid = i.event_id`;

/** After an import, in its transaction: the head is its last event ($1 size, $2 hash). */
export const IMPORT_SEAL_HEAD = `
  UPDATE event_seal_head h SET xid = last.xid, seq = last.seq, size = $1, hash = decode($2, 'hex'), sealed_at = clock_timestamp()
  FROM (SELECT xid, seq FROM events ORDER BY xid DESC, seq DESC LIMIT 1) AS last`;
