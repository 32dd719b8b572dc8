import { SqlDatabase } from '../sql/sql-database';

/**
 * The event store's schema, as numbered migrations applied in order at start. A migration is never
 * edited once released: a change is a new migration (migration 2 added the integrity hash). One
 * statement per string: PGlite's query() takes a single statement.
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export const EVENT_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events',
    statements: [
      `CREATE TABLE events (
        -- The order of inserts, not of commits: a reader orders by (xid, seq), see queries.ts.
        seq bigserial PRIMARY KEY,
        -- The writing transaction: one value for a whole batch.
        xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id text NOT NULL,
        revision bigint NOT NULL CHECK (revision >= 0),
        event_id uuid NOT NULL,
        type text NOT NULL,
        schema_version integer NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        -- Set by the store (the transaction's start), never by the client; milliseconds, like a JS Date.
        recorded_at timestamptz(3) NOT NULL DEFAULT now(),
        -- One winner per revision: a concurrent writer of the same revision gets a unique violation.
        CONSTRAINT events_stream_revision_key UNIQUE (stream_id, revision),
        CONSTRAINT events_event_id_key UNIQUE (event_id)
      )`,
      // The global order: readers scan it from a checkpoint with a row comparison.
      `CREATE INDEX events_xid_seq_idx ON events (xid, seq)`,
    ],
  },
  {
    version: 2,
    name: 'integrity hash chain',
    statements: [
      // SHA-256 of the event's content and of the previous event's hash in the global order (see
      // integrity/event-hash.ts), set by the store's append under the chain lock (queries.ts). Nullable:
      // events recorded before this migration are chained once by the store at start (sealUnchained),
      // and a row written around the store has none, which verification reports as a break.
      `ALTER TABLE events ADD COLUMN hash bytea`,
    ],
  },
  {
    version: 3,
    name: 'integrity chain sealed off the append path',
    statements: [
      // Each sealed event's hash, written once by the sealer (chain-sealer.ts), in a table of its own:
      // an insert of a small row, where setting events.hash rewrites the whole event row and its four
      // index entries (docs/benchmarks.md, "Appends without the chain lock"). `leaf` is the event's
      // index in the sealed order (0, 1, 2…), the leaf number a Merkle tree will use.
      `CREATE TABLE event_chain (
        seq bigint PRIMARY KEY,
        leaf bigint NOT NULL,
        hash bytea NOT NULL
      )`,
      // How far the chain is sealed: one row, moved by each seal batch.
      `CREATE TABLE event_seal_head (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        xid xid8,
        seq bigint,
        size bigint NOT NULL,
        hash bytea,
        sealed_at timestamptz
      )`,
      // The hashes migration 2 kept in the events rows are kept (R-AUD-1): copied, in the global order,
      // up to the last hashed event, which becomes the seal head. Rows without a hash before it stay
      // without one, and verification reports them, as before.
      `INSERT INTO event_chain (seq, leaf, hash)
       SELECT seq, leaf, hash FROM (
         SELECT seq, hash, row_number() OVER (ORDER BY xid, seq) - 1 AS leaf FROM events
       ) ordered
       WHERE hash IS NOT NULL`,
      `INSERT INTO event_seal_head (xid, seq, size, hash, sealed_at)
       SELECT e.xid, e.seq, coalesce(c.leaf + 1, 0), c.hash, CASE WHEN c.seq IS NULL THEN NULL ELSE now() END
       FROM (SELECT 1) AS one
       LEFT JOIN LATERAL (SELECT seq, leaf, hash FROM event_chain ORDER BY leaf DESC LIMIT 1) c ON true
       LEFT JOIN events e ON e.seq = c.seq`,
    ],
  },
  {
    version: 4,
    name: 'the log as a Merkle tree (RFC 9162)',
    statements: [
      // Every perfect subtree of the tree once complete (integrity/merkle.ts): level 0 is the leaves, and a
      // proof at any past size is a few look-ups here. Written once by the sealer, never updated.
      `CREATE TABLE event_tree_nodes (
        level smallint NOT NULL,
        idx bigint NOT NULL,
        hash bytea NOT NULL,
        PRIMARY KEY (level, idx)
      )`,
      // The tree's own head beside the chain's: a log sealed before this migration (or imported) has a
      // chain and no tree yet; the sealer builds the tree over it from the start, batch by batch, then
      // extends both together.
      `ALTER TABLE event_seal_head
         ADD COLUMN tree_size bigint NOT NULL DEFAULT 0,
         ADD COLUMN tree_xid xid8,
         ADD COLUMN tree_seq bigint,
         ADD COLUMN tree_root bytea`,
      // Signed tree heads (docs/audit.md): what the log's operator states, under its key, that the log held.
      `CREATE TABLE event_tree_heads (
        id bigserial PRIMARY KEY,
        tree_size bigint NOT NULL,
        root bytea NOT NULL,
        signed_at timestamptz NOT NULL,
        key_id text NOT NULL,
        signature bytea NOT NULL
      )`,
      `CREATE INDEX event_tree_heads_size ON event_tree_heads (tree_size, id)`,
    ],
  },
];

/**
 * Applies the migrations not yet applied, in one transaction. The advisory lock (per schema) makes
 * two processes starting at once take turns: the second one finds everything applied.
 */
export async function migrate(db: SqlDatabase, migrations: readonly Migration[] = EVENT_STORE_MIGRATIONS): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.event_store_migrations'))`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS event_store_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM event_store_migrations');
    const applied = new Set(rows.map((row) => Number(row.version)));
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query('INSERT INTO event_store_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    }
  });
}
