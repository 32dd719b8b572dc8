import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { TableNames } from '../runner/projection';
import { FeedTable } from './feed.projection';

/** A feed position as clients see it: the decimal text of a sequence number ('0' before the first). */
const POSITION = /^(0|[1-9][0-9]{0,14})$/;

/** The sequence number behind a position a client sent back; undefined for anything we never wrote. */
export function parseFeedPosition(text: string): number | undefined {
  return POSITION.test(text) ? Number(text) : undefined;
}

export interface FeedPageQuery {
  /** Exclusive. */
  after: number;
  limit: number;
  /** A consumer limited to these services (its `services` claim); undefined: every event. */
  services?: readonly string[];
  /**
   * At most this many bytes of bodies per page, but always at least one item: what a reader holds in
   * memory per page stays bounded however large events grow. A page cut short counts as full.
   */
  maxBytes?: number;
}

export interface FeedItem {
  position: number;
  /** The envelope as stored: JSON text, ready to write (its `position` field is `position` as text). */
  body: string;
}

export interface FeedPage {
  /** In position order. */
  items: FeedItem[];
  /** Whether more may follow at once: `limit` items, or cut short by maxBytes. */
  full: boolean;
  /**
   * Where to resume: the last item's position when the page is full; otherwise the feed's head, since
   * every position up to it was read (in the same snapshot) — a filtered consumer does not rescan them.
   * Never below `after`: a position beyond the head (a feed being rebuilt) waits for the feed to get there.
   */
  next: number;
}

/**
 * One page of the feed after a position. A consumer limited to services S receives an event only when
 * every service it names is in S; an event naming none (null) goes to every consumer.
 */
export async function readFeedPage(db: SqlExecutor, tables: TableNames<FeedTable>, query: FeedPageQuery): Promise<FeedPage> {
  const params: unknown[] = [query.after, query.limit, query.maxBytes ?? null];
  let filter = '';
  if (query.services !== undefined) {
    params.push([...query.services]);
    filter = 'AND (services IS NULL OR services <@ $4::text[])';
  }
  // One statement, so the head and the page come from one snapshot. The byte budget is applied in the
  // database, over the `limit` rows only (LIMIT first, then the running sum), so that what is cut off
  // never reaches this process.
  const { rows } = await db.query<{
    head: string | number | bigint;
    seq: string | number | bigint | null;
    body: string | null;
    fetched: string | number | bigint | null;
  }>(
    `SELECT h.head, p.seq, p.body, p.fetched
     FROM (SELECT coalesce(max(seq), 0) AS head FROM ${tables.feed_events}) h
     LEFT JOIN (
       SELECT seq, body, fetched FROM (
         SELECT seq, body, count(*) OVER () AS fetched,
                coalesce(sum(octet_length(body)) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
         FROM (SELECT seq, body FROM ${tables.feed_events} WHERE seq > $1 ${filter} ORDER BY seq LIMIT $2) l
       ) w
       WHERE $3::bigint IS NULL OR before = 0 OR before + octet_length(body) <= $3::bigint
     ) p ON true
     ORDER BY p.seq`,
    params,
  );
  const head = rows.length > 0 ? Number(rows[0].head) : 0;
  const kept = rows.filter((row) => row.seq !== null);
  const items = kept.map((row) => ({ position: Number(row.seq), body: row.body! }));
  const fetched = kept.length > 0 ? Number(kept[0].fetched) : 0;
  const full = items.length === query.limit || items.length < fetched;
  const next = full ? items[items.length - 1].position : Math.max(query.after, head);
  return { items, full, next };
}
