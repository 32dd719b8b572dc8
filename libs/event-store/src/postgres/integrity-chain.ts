import { Position, START } from '../event-store.port';
import { ChainLink } from '../integrity/event-hash';
import { SqlDatabase } from '../sql/sql-database';
import { EventRow, READ_CHAIN_PAGE, toRecordedEvent } from './queries';

/**
 * The sealed prefix of the chain (chain-sealer.ts) as the PostgreSQL store keeps it: the global order
 * below the horizon, from `after` (exclusive) through `until` (the seal head, inclusive), each event with
 * its leaf's hash (null where the prefix holds an event without one, written around the store), streamed
 * in pages. `seeCommitted` first: a verification covers every event acknowledged before it began.
 */
export function readChain(
  db: SqlDatabase,
  pageSize: number,
  seeCommitted: () => Promise<void>,
  until: () => Promise<Position | null>,
  after: Position = START,
): AsyncIterable<ChainLink> {
  return {
    async *[Symbol.asyncIterator]() {
      await seeCommitted();
      const last = await until();
      if (last === null) return;
      let cursor = after;
      for (;;) {
        const { rows } = await db.query<EventRow & { hash_hex: string | null }>(READ_CHAIN_PAGE, [
          String(cursor.commit),
          cursor.prepare,
          String(last.commit),
          last.prepare,
          pageSize,
        ]);
        for (const row of rows) yield { event: toRecordedEvent(row), hash: row.hash_hex };
        if (rows.length < pageSize) return;
        cursor = toRecordedEvent(rows[rows.length - 1]).position;
      }
    },
  };
}
