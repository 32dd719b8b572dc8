import { EventMetadata, EventToAppend, Position, START } from '../event-store.port';
import { ChainLink, eventHash } from '../integrity/event-hash';
import { SqlDatabase } from '../sql/sql-database';
import { CHAIN_LOCK, CHAIN_STARTED, EventRow, READ_CHAIN_PAGE, SET_HASH, UNCHAINED_PAGE, toRecordedEvent } from './queries';

/*
 * The integrity chain (integrity/event-hash.ts) as the PostgreSQL store keeps it: a hash in each row,
 * computed at append under the chain lock (queries.ts, CHAIN_LOCK), read back with the events, and
 * sealed once over a log written before the chain existed.
 */

/** A batch's events as they will be inserted, each with its chain hash. */
export interface ChainedRow {
  id: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
  hash: string;
}

/**
 * Extends the chain over a batch about to be inserted at `firstRevision` of `streamId`, after the
 * chain's last hash (`previousHash`, null for the first event of the log).
 */
export function chainBatch(
  streamId: string,
  firstRevision: number,
  recordedAt: string,
  previousHash: string | null,
  events: readonly EventToAppend[],
): ChainedRow[] {
  let previous = previousHash;
  return events.map((event, i) => {
    // Hashed as the database will give it back: jsonb keeps what JSON keeps (no undefined, no Date objects).
    const stored = {
      id: event.id.toLowerCase(),
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: jsonCopy(event.data ?? null),
      metadata: jsonCopy(event.metadata ?? {}) as EventMetadata,
    };
    previous = eventHash({ ...stored, streamId, revision: firstRevision + i, recordedAt }, previous);
    return { ...stored, hash: previous };
  });
}

/**
 * The global order with each event's stored hash (R-AUD-1), streamed in pages below the horizon.
 * `seeCommitted` first: a verification covers every event acknowledged before it began.
 */
export function readChain(
  db: SqlDatabase,
  pageSize: number,
  seeCommitted: () => Promise<void>,
  after: Position = START,
): AsyncIterable<ChainLink> {
  return {
    async *[Symbol.asyncIterator]() {
      await seeCommitted();
      let cursor = after;
      for (;;) {
        const { rows } = await db.query<EventRow & { hash_hex: string | null }>(READ_CHAIN_PAGE, [
          String(cursor.commit),
          cursor.prepare,
          pageSize,
        ]);
        for (const row of rows) yield { event: toRecordedEvent(row), hash: row.hash_hex };
        if (rows.length < pageSize) return;
        cursor = toRecordedEvent(rows[rows.length - 1]).position;
      }
    },
  };
}

/**
 * Chains, once, the events recorded before the chain existed (a log written before migration 2): in
 * global order, under the chain lock, only while no event has a hash yet, so it runs at most once
 * whatever the number of processes starting. Events written later around the store are left alone:
 * verification reports them.
 */
export async function sealUnchained(db: SqlDatabase): Promise<void> {
  const { rows } = await db.query<{ started: boolean }>(CHAIN_STARTED);
  if (rows[0]?.started) return;
  await db.transaction(async (tx) => {
    await tx.query(CHAIN_LOCK);
    const { rows: again } = await tx.query<{ started: boolean }>(CHAIN_STARTED);
    if (again[0]?.started) return;
    let cursor: Position = START;
    let previousHash: string | null = null;
    for (;;) {
      const { rows: page } = await tx.query<EventRow>(UNCHAINED_PAGE, [String(cursor.commit), cursor.prepare, 500]);
      for (const row of page) {
        const event = toRecordedEvent(row);
        previousHash = eventHash(event, previousHash);
        await tx.query(SET_HASH, [row.seq, previousHash]);
        cursor = event.position;
      }
      if (page.length < 500) return;
    }
  });
}

function jsonCopy(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
