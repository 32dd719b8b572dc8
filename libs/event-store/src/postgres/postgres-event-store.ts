import {
  AllFilter,
  AppendOptions,
  AppendResult,
  DuplicateEventIdError,
  EventMetadata,
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
import { ChainLink, ChainedEventStore, eventHash } from '../integrity/event-hash';
import { migrate } from './migrations';
import {
  APPEND_CONTEXT,
  AppendContextRow,
  CHAIN_LOCK,
  CHAIN_STARTED,
  EventRow,
  FIND_EVENT_IDS,
  HEAD_POSITION,
  HORIZON_PASSED_COMMITTED,
  INSERT_EVENTS,
  NOTIFY,
  READ_ALL_PAGE,
  READ_CHAIN_PAGE,
  READ_STREAM_BACKWARDS,
  READ_STREAM_FORWARDS,
  ReadAllPageRow,
  SET_HASH,
  UNCHAINED_PAGE,
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

const UNIQUE_VIOLATION = '23505';
/** Each retry follows another writer's success on the same stream or ids, so the bound is never hit in practice. */
const MAX_APPEND_ATTEMPTS = 100;

/**
 * The event store on PostgreSQL, the same class and SQL on a `pg` pool and on PGlite (see queries.ts for
 * the global order). The store does not own the database it is given: `close()` ends its subscriptions
 * and stops listening; the caller closes the database. Each append extends the integrity chain
 * (integrity/event-hash.ts) under a lock that serialises appends (queries.ts, CHAIN_LOCK).
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
    return new PostgresEventStore(db, options.channel ?? 'events', options.pageSize ?? 500, options.pollIntervalMs ?? 1000, options.readYourWritesTimeoutMs ?? 30_000);
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

  private async tryAppend(tx: SqlExecutor, streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
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
        : { nextExpectedRevision: currentRevision, position: { commit: Number(context.xid_text), prepare: Number(context.seq) } };
    }

    const firstRevision = (currentRevision ?? -1) + 1;
    let previousHash = context.hash_hex;
    const payload = events.map((event, i) => {
      // Hashed as the database will give it back: jsonb keeps what JSON keeps (no undefined, no Date objects).
      const stored = {
        id: event.id.toLowerCase(),
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: jsonCopy(event.data ?? null),
        metadata: jsonCopy(event.metadata ?? {}) as EventMetadata,
      };
      previousHash = eventHash({ ...stored, streamId, revision: firstRevision + i, recordedAt: context.recorded_at }, previousHash);
      return { ...stored, hash: previousHash };
    });
    const { rows: inserted } = await tx.query<{ seq: string | number; xid_text: string; revision: string | number }>(INSERT_EVENTS, [
      streamId,
      firstRevision,
      JSON.stringify(payload),
      context.recorded_at,
    ]);
    await tx.query(NOTIFY, [this.channel]);
    const last = inserted.reduce((a, b) => (Number(a.revision) > Number(b.revision) ? a : b));
    return { nextExpectedRevision: Number(last.revision), position: { commit: Number(last.xid_text), prepare: Number(last.seq) } };
  }

  /** The global order with each event's stored hash (R-AUD-1), streamed in pages below the horizon. */
  readChain(options: { after?: Position } = {}): AsyncIterable<ChainLink> {
    const { db, pageSize } = this;
    const seeCommitted = this.seeCommitted.bind(this);
    return {
      async *[Symbol.asyncIterator]() {
        await seeCommitted(); // a verification covers every event acknowledged before it began
        let cursor = options.after ?? START;
        for (;;) {
          const { rows } = await db.query<EventRow & { hash_hex: string | null }>(READ_CHAIN_PAGE, [String(cursor.commit), cursor.prepare, pageSize]);
          for (const row of rows) yield { event: toRecordedEvent(row), hash: row.hash_hex };
          if (rows.length < pageSize) return;
          cursor = toRecordedEvent(rows[rows.length - 1]).position;
        }
      },
    };
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
    return rows.length === 0 ? START : { commit: Number(rows[0].xid_text), prepare: Number(rows[0].seq) };
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

interface Page {
  events: RecordedEvent[];
  /** Every event below this transaction id has been scanned by the query that returned the page. */
  horizon: number;
  /** Committed events wait above the horizon: worth looking again soon rather than at the next poll. */
  pending: boolean;
}

interface SubscriptionSource {
  after: Position;
  filter: AllFilter | undefined;
  pageSize: number;
  pollIntervalMs: number;
  fetchPage(after: Position, filter: AllFilter | undefined, limit: number): Promise<Page>;
  watch(wakeUp: () => void): Promise<() => void>;
  onClosed(subscription: PostgresSubscription): void;
}

/**
 * Catch-up then live, pull-based: the next page is fetched only when the consumer asks for more, so at
 * most one page is buffered. Between pages it sleeps until a notification, the poll interval or close().
 */
class PostgresSubscription implements Subscription {
  private closed = false;
  private iterated = false;
  private notified = false;
  private wakeUp: (() => void) | undefined;
  private stopWatching: (() => void) | undefined;
  private inFlight: Promise<unknown> | undefined;

  constructor(private readonly source: SubscriptionSource) {}

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.iterated) throw new Error('A subscription can be iterated only once');
    this.iterated = true;
    return this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    this.stopWatching?.();
    this.source.onClosed(this);
    // Let a query in flight finish before the caller closes the database under it.
    await this.inFlight?.catch(() => undefined);
  }

  private async *run(): AsyncGenerator<RecordedEvent> {
    const { source } = this;
    try {
      // Listen before the first read, so that an append committed after that read still wakes us.
      this.stopWatching = await this.track(source.watch(() => this.wake()));
      if (this.closed) this.stopWatching();
      let cursor = source.after;
      let retryIn = 1;
      while (!this.closed) {
        this.notified = false;
        const page = await this.track(source.fetchPage(cursor, source.filter, source.pageSize));
        for (const event of page.events) {
          if (this.closed) return;
          cursor = event.position;
          yield event;
        }
        if (page.events.length === source.pageSize) continue;
        // Everything below the horizon was scanned: skip what the filter left out, once and for all.
        if (cursor.commit < page.horizon) cursor = { commit: page.horizon, prepare: 0 };
        // A notification can arrive while an older transaction still holds the horizon back: the events it
        // announced are then readable a few milliseconds later, not at the next poll.
        retryIn = page.pending ? Math.min(retryIn * 2, source.pollIntervalMs) : 1;
        await this.sleep(page.pending ? retryIn : source.pollIntervalMs);
      }
    } catch (error) {
      if (!this.closed) throw error;
    } finally {
      this.stopWatching?.();
      this.source.onClosed(this);
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight = promise;
    return promise;
  }

  private sleep(ms: number): Promise<void> {
    if (this.notified || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private wake(): void {
    this.notified = true;
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }
}

/**
 * Chains, once, the events recorded before the chain existed (a log written before migration 2): in
 * global order, under the chain lock, only while no event has a hash yet, so it runs at most once
 * whatever the number of processes starting. Events written later around the store are left alone:
 * verification reports them.
 */
async function sealUnchained(db: SqlDatabase): Promise<void> {
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

function checkAppend(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): void {
  if (typeof streamId !== 'string' || streamId.length === 0) throw new TypeError('A stream id is a non-empty string');
  if (typeof expected === 'number' && !(Number.isSafeInteger(expected) && expected >= 0)) {
    throw new RangeError(`An expected revision is a revision (>= 0) or no_stream, stream_exists, any: ${expected}`);
  }
  const ids = new Set<string>();
  for (const event of events) {
    const id = event.id.toLowerCase();
    if (ids.has(id)) throw new DuplicateEventIdError(streamId, event.id);
    ids.add(id);
  }
}

function expectationHolds(expected: ExpectedRevision, current: number | undefined): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return current === undefined;
  if (expected === 'stream_exists') return current !== undefined;
  return current === expected;
}

/**
 * Some ids of the batch are already recorded. It is a retry only if the whole batch is there, in order,
 * at the place its expectation designates; then the first append's answer is returned again.
 */
function retriedAppend(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision, existing: EventRow[]): AppendResult {
  const byId = new Map(existing.map((row) => [row.event_id, row]));
  const rows = events.map((event) => byId.get(event.id.toLowerCase()));
  const first = rows[0] === undefined ? undefined : Number(rows[0].revision);
  const inPlace =
    first !== undefined &&
    rows.every((row, i) => row !== undefined && row.stream_id === streamId && Number(row.revision) === first + i) &&
    (expected === 'any' ||
      (expected === 'no_stream' && first === 0) ||
      (expected === 'stream_exists' && first > 0) ||
      (typeof expected === 'number' && first === expected + 1));
  if (!inPlace) {
    const duplicate = events.find((event) => byId.has(event.id.toLowerCase()))!;
    throw new DuplicateEventIdError(streamId, duplicate.id);
  }
  const last = rows[rows.length - 1]!;
  return { nextExpectedRevision: Number(last.revision), position: { commit: Number(last.xid_text), prepare: Number(last.seq) } };
}

function checkMaxCount(maxCount: number | undefined): number {
  if (maxCount === undefined) return Number.POSITIVE_INFINITY;
  if (!(Number.isSafeInteger(maxCount) && maxCount >= 0)) throw new RangeError(`maxCount is a count (>= 0): ${maxCount}`);
  return maxCount;
}

function startRevision(from: ReadStreamOptions['fromRevision'], backwards: boolean): number {
  if (from === undefined) return backwards ? Number.MAX_SAFE_INTEGER : 0;
  if (from === 'start') return 0;
  // Forwards from the end reads nothing, like EventStoreDB: -1 ends the loop before any query.
  if (from === 'end') return backwards ? Number.MAX_SAFE_INTEGER : -1;
  if (!(Number.isSafeInteger(from) && from >= 0)) throw new RangeError(`A revision is >= 0: ${from}`);
  return from;
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.type,
    schemaVersion: Number(row.schema_version),
    data: row.data,
    metadata: row.metadata as EventMetadata,
    streamId: row.stream_id,
    revision: Number(row.revision),
    position: { commit: Number(row.xid_text), prepare: Number(row.seq) },
    recordedAt: new Date(row.recorded_at).toISOString(),
  };
}
