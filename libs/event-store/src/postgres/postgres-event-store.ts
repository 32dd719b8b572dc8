import {
  AllFilter,
  AppendOptions,
  AppendResult,
  DuplicateEventIdError,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  HorizonTimeoutError,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  START,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
} from '../event-store.port';
import { SqlDatabase, SqlExecutor } from '../sql/sql-database';
import { ChainLink, ChainVerification, ChainedEventStore, verifyChain } from '../integrity/event-hash';
import { ExportedEvent, StoreNotEmptyError } from './bulk-import';
import { checkAppend, checkMaxCount, expectationHolds, isRetryInPlace, startRevision } from '../append-rules';
import { migrate } from './migrations';
import { chainBatch, readChain, sealUnchained } from './integrity-chain';
import { Page, PostgresSubscription } from './postgres-subscription';
import {
  APPEND_CONTEXT,
  AppendContextRow,
  CHAIN_LOCK,
  COUNT_EVENTS,
  EventRow,
  FIND_EVENT_IDS,
  HEAD_POSITION,
  HORIZON_PASSED_COMMITTED,
  IMPORT_EVENTS,
  INSERT_EVENTS,
  NOTIFY,
  READ_ALL_PAGE,
  READ_STREAM_BACKWARDS,
  READ_STREAM_FORWARDS,
  ReadAllPageRow,
  positionOf,
  toRecordedEvent,
} from './queries';

export interface PostgresEventStoreOptions {
  /** The NOTIFY channel that wakes subscriptions. Notifications are database-wide: one channel per schema. */
  channel?: string;
  /** Rows fetched per query by readers (bounded memory whatever the size of the log). */
  pageSize?: number;
  /**
   * Subscriptions also look for new events this often: a notified event can still be above the horizon
   * of another transaction in flight, and that transaction may end without notifying (rolled back, or
   * written by another application in the same database).
   */
  pollIntervalMs?: number;
  /**
   * How long a one-shot read (readAll, headPosition) waits for the transactions in flight to end so that
   * it sees every event committed before it began; past that it fails rather than answer incompletely.
   */
  readYourWritesTimeoutMs?: number;
}

/** Two appends raced on a revision or an id; the database kept the first. */
const UNIQUE_VIOLATION = '23505';
/** Each retry follows another writer's success on the same stream or ids, so the bound is never hit in practice. */
const MAX_APPEND_ATTEMPTS = 100;

/**
 * The event store on PostgreSQL, the same class and SQL on a `pg` pool and on PGlite (see queries.ts for
 * the global order). The store does not own the database it is given: `close()` ends its subscriptions
 * and stops listening; the caller closes the database. Each append extends the integrity chain
 * (integrity-chain.ts) under a lock that serialises appends (queries.ts, CHAIN_LOCK). Subscriptions are
 * postgres-subscription.ts; what every adapter checks of its arguments is append-rules.ts.
 */
export class PostgresEventStore implements EventStore, ChainedEventStore {
  private readonly subscriptions = new Set<PostgresSubscription>();
  private readonly wakeUps = new Set<() => void>();
  private listening: Promise<() => Promise<void>> | undefined;

  private constructor(
    private readonly db: SqlDatabase,
    private readonly channel: string,
    private readonly pageSize: number,
    private readonly pollIntervalMs: number,
    private readonly readYourWritesTimeoutMs: number,
  ) {}

  static async create(db: SqlDatabase, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    await migrate(db);
    await sealUnchained(db);
    return new PostgresEventStore(
      db,
      options.channel ?? 'events',
      options.pageSize ?? 500,
      options.pollIntervalMs ?? 1000,
      options.readYourWritesTimeoutMs ?? 30_000,
    );
  }

  async appendToStream(streamId: string, events: readonly EventToAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    checkAppend(streamId, events, expected);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction((tx) => this.tryAppend(tx, streamId, events, expected));
      } catch (error) {
        // Another writer took the revision or an id first. Nothing was written; the next attempt sees its
        // commit and turns it into the right answer: a WrongExpectedRevisionError with the actual
        // revision, an idempotent success, a DuplicateEventIdError, or (for `any`) an append after it.
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION && attempt < MAX_APPEND_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  private async tryAppend(
    tx: SqlExecutor,
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    // First, before the transaction has an id: appends take turns, so the chain follows the global order.
    await tx.query(CHAIN_LOCK);
    // Idempotency comes before the expectation: a retried batch meets the revision its first try produced.
    const { rows: existing } = await tx.query<EventRow>(FIND_EVENT_IDS, [events.map((event) => event.id)]);
    if (existing.length > 0) return retriedAppend(streamId, events, expected, existing);

    const { rows } = await tx.query<AppendContextRow>(APPEND_CONTEXT, [streamId]);
    const context = rows[0];
    const currentRevision = context.revision === null ? undefined : Number(context.revision);
    if (!expectationHolds(expected, currentRevision)) {
      throw new WrongExpectedRevisionError(streamId, expected, currentRevision ?? 'no_stream');
    }
    // An empty batch only checks the expectation; it answers with the stream's last event (-1 and START if none).
    if (events.length === 0) {
      return currentRevision === undefined
        ? { nextExpectedRevision: -1, position: START }
        : { nextExpectedRevision: currentRevision, position: positionOf({ xid_text: context.xid_text!, seq: context.seq! }) };
    }

    const firstRevision = (currentRevision ?? -1) + 1;
    const payload = chainBatch(streamId, firstRevision, context.recorded_at, context.hash_hex, events);
    const { rows: inserted } = await tx.query<{ seq: string | number; xid_text: string; revision: string | number }>(INSERT_EVENTS, [
      streamId,
      firstRevision,
      JSON.stringify(payload),
      context.recorded_at,
    ]);
    await tx.query(NOTIFY, [this.channel]);
    const last = inserted.reduce((a, b) => (Number(a.revision) > Number(b.revision) ? a : b));
    return { nextExpectedRevision: Number(last.revision), position: positionOf(last) };
  }

  /**
   * Restores an archive into an EMPTY store (StoreNotEmptyError otherwise): the batches, already checked
   * (bulk-import.ts ImportChecker), inserted as they are, in order, in ONE transaction under the chain
   * lock, so that a refused line or a failure leaves the store empty rather than with a prefix that
   * verifies as a complete log. `onBatch` is told after each batch is written. Then the store's own
   * verification (the one GET /api/audit/verify runs) over what was committed.
   */
  async importEvents(
    batches: AsyncIterable<readonly ExportedEvent[]>,
    onBatch?: (imported: number) => void,
  ): Promise<{ imported: number; verification: ChainVerification }> {
    const imported = await this.db.transaction(async (tx) => {
      await tx.query(CHAIN_LOCK);
      const { rows } = await tx.query<{ count: string | number }>(COUNT_EVENTS);
      if (Number(rows[0].count) > 0) throw new StoreNotEmptyError(Number(rows[0].count));
      // Pipelined: the next batch is read and checked here while the database inserts the previous one.
      const iterator = batches[Symbol.asyncIterator]();
      let count = 0;
      for (let next = await iterator.next(); !next.done;) {
        const batch = next.value;
        const inserted = batch.length === 0 ? Promise.resolve() : tx.query(IMPORT_EVENTS, [JSON.stringify(batch)]);
        [, next] = await Promise.all([inserted, iterator.next()]);
        count += batch.length;
        onBatch?.(count);
      }
      if (count > 0) await tx.query(NOTIFY, [this.channel]);
      return count;
    });
    // Larger pages than readers use: the whole log is read back, and a page is a round trip.
    const chain = readChain(this.db, Math.max(this.pageSize, 5000), () => this.seeCommitted());
    return { imported, verification: await verifyChain(chain) };
  }

  /** The global order with each event's stored hash (R-AUD-1), streamed in pages below the horizon. */
  readChain(options: { after?: Position } = {}): AsyncIterable<ChainLink> {
    return readChain(this.db, this.pageSize, () => this.seeCommitted(), options.after);
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    const backwards = options.direction === 'backwards';
    const maxCount = checkMaxCount(options.maxCount);
    const from = startRevision(options.fromRevision, backwards);
    const { db, pageSize } = this;
    return {
      async *[Symbol.asyncIterator]() {
        let next = from;
        let remaining = maxCount;
        while (remaining > 0 && next >= 0) {
          const limit = Math.min(pageSize, remaining);
          const { rows } = await db.query<EventRow>(backwards ? READ_STREAM_BACKWARDS : READ_STREAM_FORWARDS, [streamId, next, limit]);
          for (const row of rows) yield toRecordedEvent(row);
          if (rows.length < limit) return;
          remaining -= rows.length;
          next = Number(rows[rows.length - 1].revision) + (backwards ? -1 : 1);
        }
      },
    };
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const maxCount = checkMaxCount(options.maxCount);
    const after = options.after ?? START;
    const { pageSize } = this;
    const fetchPage = this.fetchPage.bind(this);
    const seeCommitted = this.seeCommitted.bind(this);
    return {
      async *[Symbol.asyncIterator]() {
        await seeCommitted();
        let cursor = after;
        let remaining = maxCount;
        while (remaining > 0) {
          const limit = Math.min(pageSize, remaining);
          const { events } = await fetchPage(cursor, options.filter, limit);
          for (const event of events) yield event;
          if (events.length < limit) return;
          remaining -= events.length;
          cursor = events[events.length - 1].position;
        }
      },
    };
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    const subscription = new PostgresSubscription({
      after: options.after ?? START,
      filter: options.filter,
      pageSize: this.pageSize,
      pollIntervalMs: this.pollIntervalMs,
      fetchPage: (cursor, filter, limit) => this.fetchPage(cursor, filter, limit),
      watch: (wakeUp) => this.watch(wakeUp),
      onClosed: (closed) => this.subscriptions.delete(closed),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<Position> {
    await this.seeCommitted();
    const { rows } = await this.db.query<{ seq: string | number; xid_text: string }>(HEAD_POSITION);
    return rows.length === 0 ? START : positionOf(rows[0]);
  }

  /**
   * Waits until every event committed before the call is below the horizon (queries.ts), so that a
   * one-shot read sees what was acknowledged before it, as on EventStoreDB. Subscriptions do not wait:
   * they deliver the rest when the horizon moves.
   */
  private async seeCommitted(): Promise<void> {
    const started = Date.now();
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      const { rows } = await this.db.query<{ passed: boolean }>(HORIZON_PASSED_COMMITTED);
      if (rows[0].passed) return;
      const waited = Date.now() - started;
      if (waited >= this.readYourWritesTimeoutMs) throw new HorizonTimeoutError(waited);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  async eventCount(): Promise<number> {
    const { rows } = await this.db.query<{ count: string | number }>(COUNT_EVENTS);
    return Number(rows[0].count);
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    const listening = this.listening;
    this.listening = undefined;
    const unlisten = await listening?.catch(() => undefined);
    await unlisten?.().catch(() => undefined); // closing: a database already gone has stopped listening anyway
  }

  private async fetchPage(after: Position, filter: AllFilter | undefined, limit: number): Promise<Page> {
    const { rows } = await this.db.query<ReadAllPageRow>(READ_ALL_PAGE, [
      String(after.commit),
      after.prepare,
      filter?.eventTypes ? [...filter.eventTypes] : null,
      filter?.streamPrefix ?? null,
      limit,
    ]);
    const events = rows.flatMap((row) => (row.event_id === null ? [] : [toRecordedEvent(row as EventRow)]));
    return { events, horizon: Number(rows[0].horizon), pending: rows[0].pending === true };
  }

  /** One LISTEN per store, shared by its subscriptions (a pool connection each would exhaust the pool). */
  private async watch(wakeUp: () => void): Promise<() => void> {
    this.wakeUps.add(wakeUp);
    const stop = () => void this.wakeUps.delete(wakeUp);
    this.listening ??= this.db.listen(this.channel, () => this.wakeUps.forEach((wake) => wake()));
    try {
      await this.listening;
    } catch (error) {
      this.listening = undefined;
      stop();
      throw error;
    }
    return stop;
  }
}

/**
 * Some ids of the batch are already recorded. A retry (append-rules.ts) gets the first append's answer
 * again; anything else is a duplicate.
 */
function retriedAppend(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision, existing: EventRow[]): AppendResult {
  const byId = new Map(existing.map((row) => [row.event_id, row]));
  const rows = events.map((event) => byId.get(event.id.toLowerCase()));
  const recorded = rows.map((row) => row && { streamId: row.stream_id, revision: Number(row.revision) });
  if (!isRetryInPlace(streamId, expected, recorded)) {
    const duplicate = events.find((event) => byId.has(event.id.toLowerCase()))!;
    throw new DuplicateEventIdError(streamId, duplicate.id);
  }
  const last = rows[rows.length - 1]!;
  return { nextExpectedRevision: Number(last.revision), position: positionOf(last) };
}
