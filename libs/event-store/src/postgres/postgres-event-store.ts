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
import { SqlDatabase } from '../sql/sql-database';
import { coalesced } from '../coalesced';
import { ChainLink, ChainedEventStore, SealState, StoredChainVerification, verifyStoredChain } from '../integrity/event-hash';
import { ExportedEvent, StoreNotEmptyError } from './bulk-import';
import { checkAppend, checkMaxCount, expectationHolds, isRetryInPlace, startRevision } from '../append-rules';
import { migrate } from './migrations';
import { ChainSealer } from './chain-sealer';
import { readChain } from './integrity-chain';
import { StoredVerifiableLog, VerifiableLog } from './verifiable-log';
import { Page, PostgresSubscription } from './postgres-subscription';
import {
  APPEND,
  AppendRow,
  COUNT_EVENTS,
  EventRow,
  HEAD_POSITION,
  HORIZON_PASSED_COMMITTED,
  IMPORT_EVENTS,
  IMPORT_SEAL_HEAD,
  NOTIFY,
  READ_ALL_PAGE,
  READ_STREAM_BACKWARDS,
  READ_STREAM_FORWARDS,
  SEAL_LOCK,
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
  /**
   * 'background' (the default): the store's sealer chains appended events within SEAL_BOUND_MS
   * (chain-sealer.ts) until close(). 'manual': nothing seals but seal() (tests drive the sealer).
   */
  sealing?: 'background' | 'manual';
}

/** Two appends raced on a revision or an id; the database kept the first. */
const UNIQUE_VIOLATION = '23505';
/** Each retry follows another writer's success on the same stream or ids, so the bound is never hit in practice. */
const MAX_APPEND_ATTEMPTS = 100;

/**
 * The event store on PostgreSQL, the same class and SQL on a `pg` pool and on PGlite (see queries.ts for
 * the global order). The store does not own the database it is given: `close()` ends its subscriptions
 * and stops listening and sealing; the caller closes the database. An append is one statement and takes
 * no lock (queries.ts, APPEND); the integrity chain is extended behind it by the sealer (chain-sealer.ts).
 * Subscriptions are postgres-subscription.ts; what every adapter checks of its arguments is append-rules.ts.
 */
export class PostgresEventStore implements EventStore, ChainedEventStore {
  private readonly subscriptions = new Set<PostgresSubscription>();
  private readonly wakeUps = new Set<() => void>();
  private listening: Promise<() => Promise<void>> | undefined;
  /** The store's own sealer; other processes on the same database may run theirs (chain-sealer.ts). */
  readonly sealer: ChainSealer;

  private constructor(
    private readonly db: SqlDatabase,
    private readonly channel: string,
    private readonly pageSize: number,
    private readonly pollIntervalMs: number,
    private readonly readYourWritesTimeoutMs: number,
  ) {
    // The sealer hears this store's own appends directly, and other processes' through the store's LISTEN
    // when its subscriptions hold one (it does not open one of its own: a connection held per store).
    this.sealer = new ChainSealer(db, {
      watch: (wakeUp) => {
        this.wakeUps.add(wakeUp);
        return () => void this.wakeUps.delete(wakeUp);
      },
    });
  }

  static async create(db: SqlDatabase, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    await migrate(db);
    const store = new PostgresEventStore(
      db,
      options.channel ?? 'events',
      options.pageSize ?? 500,
      options.pollIntervalMs ?? 1000,
      options.readYourWritesTimeoutMs ?? 30_000,
    );
    if ((options.sealing ?? 'background') === 'background') store.sealer.start();
    return store;
  }

  async appendToStream(streamId: string, events: readonly EventToAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    checkAppend(streamId, events, expected);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.tryAppend(streamId, events, expected);
      } catch (error) {
        // Another writer took the revision or an id first. Nothing was written; the next attempt sees its
        // commit and turns it into the right answer: a WrongExpectedRevisionError with the actual
        // revision, an idempotent success, a DuplicateEventIdError, or (for `any`) an append after it.
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION && attempt < MAX_APPEND_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /** One statement, its own transaction (queries.ts, APPEND). */
  private async tryAppend(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    const payload = events.map(({ id, type, schemaVersion, data, metadata }) => ({
      id,
      type,
      schemaVersion,
      data: data ?? null,
      metadata: metadata ?? {},
    }));
    const { rows } = await this.db.query<AppendRow>(APPEND, [
      streamId,
      JSON.stringify(payload),
      events.map((event) => event.id),
      typeof expected === 'number' ? 'revision' : expected,
      typeof expected === 'number' ? expected : null,
    ]);
    const row = rows[0];
    // Idempotency comes before the expectation: a retried batch meets the revision its first try produced.
    if (row.existing && row.existing.length > 0) return retriedAppend(streamId, events, expected, row.existing);
    const currentRevision = row.head_revision === null ? undefined : Number(row.head_revision);
    if (!expectationHolds(expected, currentRevision)) {
      throw new WrongExpectedRevisionError(streamId, expected, currentRevision ?? 'no_stream');
    }
    // An empty batch only checks the expectation; it answers with the stream's last event (-1 and START if none).
    if (events.length === 0) {
      return currentRevision === undefined
        ? { nextExpectedRevision: -1, position: START }
        : { nextExpectedRevision: currentRevision, position: positionOf({ xid_text: row.head_xid_text!, seq: row.head_seq! }) };
    }
    if (!row.last) throw new Error(`The append to ${streamId} inserted nothing although its expectation held`);
    this.sealer.nudge();
    void this.announce();
    return { nextExpectedRevision: Number(row.last.revision), position: positionOf(row.last) };
  }

  /**
   * Tells the subscriptions (of every process: NOTIFY) that events were committed: after the commit, in
   * a statement of its own, at most one in flight per store, coalescing the appends that end meanwhile.
   * In the append's own transaction, NOTIFY serialised the commits of all writers (measured with
   * pgbench, 8 clients: 4 226 → 1 930 transactions/s). A lost announcement (an error, a crash right
   * after the commit) costs a subscription at most its poll interval.
   */
  private readonly announce = coalesced(() =>
    this.db.query(NOTIFY, [this.channel]).then(
      () => undefined,
      () => undefined,
    ),
  );

  /**
   * Restores an archive into an EMPTY store (StoreNotEmptyError otherwise): the batches, already checked
   * (bulk-import.ts ImportChecker), inserted as they are, in order, with their hashes as the chain's
   * leaves and the seal head at the last one, in ONE transaction that holds the sealer's lock, so that a
   * refused line or a failure leaves the store empty rather than with a prefix that verifies as a
   * complete log. `onBatch` is told after each batch is written. Then the store's own verification (the
   * one GET /api/audit/verify runs) over what was committed.
   */
  async importEvents(
    batches: AsyncIterable<readonly ExportedEvent[]>,
    onBatch?: (imported: number) => void,
  ): Promise<{ imported: number; verification: StoredChainVerification }> {
    const imported = await this.db.transaction(async (tx) => {
      await tx.query(SEAL_LOCK);
      const { rows } = await tx.query<{ count: string | number }>(COUNT_EVENTS);
      if (Number(rows[0].count) > 0) throw new StoreNotEmptyError(Number(rows[0].count));
      // Pipelined: the next batch is read and checked here while the database inserts the previous one.
      const iterator = batches[Symbol.asyncIterator]();
      let count = 0;
      let headHash: string | null = null;
      for (let next = await iterator.next(); !next.done;) {
        const batch = next.value;
        const inserted = batch.length === 0 ? Promise.resolve() : tx.query(IMPORT_EVENTS, [JSON.stringify(batch), count]);
        [, next] = await Promise.all([inserted, iterator.next()]);
        count += batch.length;
        if (batch.length > 0) headHash = batch[batch.length - 1].hash;
        onBatch?.(count);
      }
      if (count === 0) return 0;
      // Appends take no lock: one that committed meanwhile would sit inside the imported range unsealed.
      const { rows: after } = await tx.query<{ count: string | number }>(COUNT_EVENTS);
      if (Number(after[0].count) !== count) throw new StoreNotEmptyError(Number(after[0].count) - count);
      await tx.query(IMPORT_SEAL_HEAD, [count, headHash]);
      await tx.query(NOTIFY, [this.channel]);
      return count;
    });
    return { imported, verification: await verifyStoredChain(this.withPageSize(Math.max(this.pageSize, 5000))) };
  }

  /** Seals every event acknowledged before the call (an export covers them), with this store's sealer. */
  async seal(): Promise<void> {
    await this.seeCommitted();
    const { rows } = await this.db.query<{ seq: string | number; xid_text: string }>(HEAD_POSITION);
    if (rows.length > 0) await this.sealer.sealThrough(positionOf(rows[0]), this.readYourWritesTimeoutMs);
  }

  sealState(): Promise<SealState> {
    return this.sealer.state();
  }

  verifiableLog(): VerifiableLog {
    return new StoredVerifiableLog(this.db);
  }

  /**
   * The sealed prefix of the chain (R-AUD-1), streamed in pages below the horizon. Without `until`, every
   * event acknowledged before the read: sealed first, on demand (seal()), then read through the head.
   */
  readChain(options: { after?: Position; until?: Position | null } = {}): AsyncIterable<ChainLink> {
    return this.chainReader(this.pageSize, options);
  }

  private chainReader(pageSize: number, options: { after?: Position; until?: Position | null }): AsyncIterable<ChainLink> {
    const until = async () => {
      if (options.until !== undefined) return options.until;
      await this.seal();
      return (await this.sealer.state()).head.position;
    };
    return readChain(this.db, pageSize, () => this.seeCommitted(), until, options.after);
  }

  /** This store as a chained store reading larger pages: a whole log read back, where a page is a round trip. */
  private withPageSize(pageSize: number): ChainedEventStore {
    return { readChain: (options = {}) => this.chainReader(pageSize, options), sealState: () => this.sealState() };
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
    await this.sealer.stop();
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
function retriedAppend(
  streamId: string,
  events: readonly EventToAppend[],
  expected: ExpectedRevision,
  existing: NonNullable<AppendRow['existing']>,
): AppendResult {
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
