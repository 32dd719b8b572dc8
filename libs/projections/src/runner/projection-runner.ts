import {
  comparePositions,
  EventStore,
  formatPosition,
  Position,
  RecordedEvent,
  START,
  Subscription,
} from '@lib/event-store/event-store.port';
import { SqlDatabase, SqlExecutor } from '@lib/event-store/sql/sql-database';
import { advanceCheckpoint, deleteCheckpoint, ensureCheckpointTable, readCheckpoint, writeCheckpoint } from './checkpoints';
import { ProjectedEvent, Projection, TableNames, tableNames, toProjectedEvent } from './projection';
import { CopyComparison, compareWithCopy, swapInCopy } from './shadow-copy';

export type { CopyComparison, TableChecksum } from './shadow-copy';

export type ProjectionState = 'stopped' | 'running' | 'failed';

export interface ProjectionFailure {
  message: string;
  /** The event that could not be applied, or the checkpoint when the subscription itself failed. */
  position: Position;
  event?: { id: string; type: string; streamId: string; revision: number };
  /** Failures in a row (with retry on): the projection is tried again after a backoff, from its checkpoint. */
  attempts?: number;
}

export interface ProjectionStatus {
  name: string;
  state: ProjectionState;
  /** Every event up to here is applied (and its checkpoint committed). */
  position: Position;
  failure?: ProjectionFailure;
}

/** What the runner logs through; NestJS's Logger fits. */
export interface RunnerLogger {
  log(message: string): void;
  error(message: string, stack?: string): void;
}

export interface ProjectionRunnerOptions {
  db: SqlDatabase;
  store: EventStore;
  projections: readonly Projection[];
  /**
   * Appended to every table name and checkpoint key: '' for the live read models; another suffix builds
   * independent copies beside them (a rebuild checked against the live tables before a swap).
   */
  suffix?: string;
  /**
   * The most events applied in one transaction (default 5 000). A batch takes the events already
   * delivered without waiting for more, so a live event is applied at once; while the read is behind
   * (a page of events arrived together) it waits briefly for the next page, so catching up goes in
   * batches of thousands.
   */
  batchSize?: number;
  logger?: RunnerLogger;
  /**
   * Set: a failed projection is started again by itself, from its checkpoint, after a backoff that
   * doubles from `initialDelayMs` up to `maxDelayMs` (the database came back, or the handler was fixed
   * by a deploy). Unset: it stays failed until start() (a rebuild gives up at the first failure).
   */
  retry?: { initialDelayMs: number; maxDelayMs: number };
  /** Called after each batch's transaction has committed, with how far that projection now is (other processes are told). */
  onCommitted?: (projection: string, position: Position) => void;
}

const NOT_READY = Symbol('not ready');
/** A batch this large was delivered at once: the read is behind the head, worth waiting for its next page. */
const CATCHING_UP = 100;
/** How long a batch that is catching up waits for the next page before it is applied as it is. */
const PAGE_WAIT_MS = 20;

/** One projection's progress inside the runner. */
interface Lane {
  readonly projection: Projection;
  readonly key: string;
  readonly tables: TableNames;
  readonly handles: (type: string) => boolean;
  state: ProjectionState;
  position: Position;
  failure?: ProjectionFailure;
  eventsSinceStart: number;
  /** The read that feeds it while it runs. */
  reader?: Reader;
  /** Its transaction in flight, if any (never rejects). */
  inFlight?: Promise<void>;
  stopping: boolean;
  /** Failures in a row, for the backoff; 0 again once a batch commits or the lane ran a while. */
  attempts: number;
  launchedAt: number;
  retryTimer?: NodeJS.Timeout;
  /** The last failure logged, so that a retry failing the same way is not logged again. */
  lastLogged?: string;
}

/**
 * One read of the global order (a catch-up subscription), each of its batches handed to every member
 * lane; a lane applies only the events after its own position.
 */
interface Reader {
  readonly subscription: Subscription;
  /** The last event handed to the members (at first, the position the read starts after). */
  delivered: Position;
  readonly members: Set<Lane>;
  loop?: Promise<void>;
  closed: boolean;
}

/** A handler threw: carries the event, when it is known, so that the failure names it. */
class ApplyError extends Error {
  constructor(
    readonly event: RecordedEvent | undefined,
    readonly reason: unknown,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/**
 * Feeds projections from the global order. ONE read (a catch-up subscription) feeds every projection
 * (a lane): it starts after the lowest of their checkpoints, and each of its batches goes to every lane,
 * which skips what its checkpoint already covers; for each lane the batch is applied, and its checkpoint
 * moved past it, in ONE transaction — so a crash at any instant leaves each read model and its checkpoint
 * consistent: nothing lost, nothing applied twice. A handler that throws stops its projection at that
 * event (never skips it) and the others go on.
 *
 * A lane that (re)starts behind the shared read (retried after a failure, rebuilt, adopted) gets a
 * catch-up read of its own from its checkpoint, and moves onto the shared read, leaving its own, as soon
 * as its position reaches what the shared read has delivered: from then on it misses nothing (the shared
 * read delivers only events after that) and applies nothing twice (it skips what it covers). A lane
 * started ahead of the shared read joins it at once. Handlers receive each event upcast to its current
 * shape (once per event, whatever the number of lanes), beside the event as written (ProjectedEvent).
 */
export class ProjectionRunner {
  private readonly db: SqlDatabase;
  private readonly store: EventStore;
  private readonly batchSize: number;
  private readonly logger: RunnerLogger;
  private readonly retry: ProjectionRunnerOptions['retry'];
  private readonly onCommitted: ProjectionRunnerOptions['onCommitted'];
  private readonly lanes = new Map<string, Lane>();
  /** The shared read, if any lane runs; catch-up reads of lanes behind it are in `readers` too. */
  private primary: Reader | undefined;
  private readonly readers = new Set<Reader>();
  private readonly waiters = new Set<() => void>();
  /** The events being applied, upcast (weakly held: gone with the batch). */
  private readonly upcast = new WeakMap<RecordedEvent, ProjectedEvent>();
  /** start/stop/rebuild run one at a time, so a lane is never opened twice. */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(options: ProjectionRunnerOptions) {
    this.db = options.db;
    this.store = options.store;
    this.batchSize = options.batchSize ?? 5_000;
    this.logger = options.logger ?? { log: () => undefined, error: (message) => console.error(message) };
    this.retry = options.retry;
    this.onCommitted = options.onCommitted;
    const suffix = options.suffix ?? '';
    for (const projection of options.projections) {
      if (this.lanes.has(projection.name)) throw new Error(`Duplicate projection name: ${projection.name}`);
      const handled = projection.handles ? new Set(projection.handles) : undefined;
      this.lanes.set(projection.name, {
        projection,
        key: projection.name + suffix,
        tables: tableNames(projection, suffix),
        handles: handled ? (type) => handled.has(type) : () => true,
        state: 'stopped',
        position: START,
        eventsSinceStart: 0,
        stopping: false,
        attempts: 0,
        launchedAt: 0,
      });
    }
  }

  /** Sets up tables and checkpoints, then follows the global order. Also restarts a failed projection. */
  start(): Promise<void> {
    return this.exclusive(async () => {
      await ensureCheckpointTable(this.db);
      const starting: Lane[] = [];
      try {
        for (const lane of this.lanes.values()) {
          if (lane.state === 'running') continue;
          lane.position = await this.db.transaction(async (tx) => {
            const checkpoint = await readCheckpoint(tx, lane.key, { forUpdate: true });
            // No checkpoint (whatever the tables hold) or one written by another version: start over.
            if (checkpoint?.version !== lane.projection.version) {
              await this.reset(tx, lane);
              return START;
            }
            await lane.projection.setup(tx, lane.tables);
            return checkpoint.position;
          });
          starting.push(lane);
        }
      } finally {
        // Together, so that they share one read from the lowest of their checkpoints.
        this.launch(starting);
      }
    });
  }

  /** Stops every projection after the transaction in flight; their checkpoints stay where they are. */
  stop(): Promise<void> {
    return this.exclusive(async () => {
      for (const lane of this.lanes.values()) await this.halt(lane);
      this.notify();
    });
  }

  /**
   * Empties the projections' tables, moves their checkpoints back to START, and resolves once they have
   * caught up with the head of the store read after the reset. They then keep following (until stop()).
   * Rejects if a handler fails on the way. Several names rebuild together, from one read of the log.
   */
  async rebuild(names: string | readonly string[]): Promise<void> {
    const lanes = (typeof names === 'string' ? [names] : names).map((name) => this.lane(name));
    await this.exclusive(async () => {
      await ensureCheckpointTable(this.db);
      for (const lane of lanes) await this.halt(lane);
      for (const lane of lanes) {
        await this.db.transaction((tx) => this.reset(tx, lane));
        lane.position = START;
      }
      this.launch(lanes);
    });
    const head = await this.store.headPosition();
    const behind = () => lanes.filter((lane) => comparePositions(lane.position, head) < 0);
    const caughtUp = await this.waitUntil(() => {
      const late = behind();
      if (late.length === 0) return true;
      return late.every((lane) => lane.state === 'running') ? undefined : false;
    }, Infinity);
    if (!caughtUp) {
      const lane = behind().find((late) => late.state !== 'running')!;
      throw new Error(`Rebuild of ${lane.projection.name} did not finish: ${lane.failure?.message ?? lane.state}`);
    }
  }

  /**
   * True once every projection has applied everything up to `position` (a read with minPosition may then
   * answer); false after `timeoutMs`, or at once if a projection that is behind has failed.
   */
  waitForPosition(position: Position, timeoutMs: number): Promise<boolean> {
    return this.waitUntil(() => {
      const behind = [...this.lanes.values()].filter((lane) => comparePositions(lane.position, position) < 0);
      if (behind.length === 0) return true;
      return behind.some((lane) => lane.state === 'failed') ? false : undefined;
    }, timeoutMs);
  }

  status(): ProjectionStatus[] {
    return [...this.lanes.values()].map(({ projection, state, position, failure }) => ({
      name: projection.name,
      state,
      position,
      ...(failure ? { failure } : {}),
    }));
  }

  /** Events each projection has read since it was (re)started, applied or skipped: a rebuild's progress. */
  eventsSinceStart(): Record<string, number> {
    return Object.fromEntries([...this.lanes.values()].map((lane) => [lane.projection.name, lane.eventsSinceStart]));
  }

  /** Compares a projection's tables with a copy of them under another suffix (a shadow rebuild), in one snapshot. */
  compareWithCopy(name: string, copySuffix: string): Promise<CopyComparison> {
    const lane = this.lane(name);
    return compareWithCopy(
      this.db,
      lane.projection,
      { key: lane.key, tables: lane.tables },
      { key: lane.projection.name + copySuffix, tables: tableNames(lane.projection, copySuffix) },
    );
  }

  /**
   * Swaps a copy built under another suffix in for a projection's live tables, without stopping the
   * others: the projection pauses after its transaction in flight; then, in ONE transaction, its live
   * tables are dropped, the copy's tables and indexes take their names, and the copy's checkpoint
   * becomes the live one; then it follows again from there. Readers see the old tables or the new
   * ones, never a mix. Resolves with the checkpoint carried over.
   */
  adopt(name: string, copySuffix: string): Promise<Position> {
    const lane = this.lane(name);
    const copyTables = tableNames(lane.projection, copySuffix);
    const copyKey = lane.projection.name + copySuffix;
    return this.exclusive(async () => {
      await ensureCheckpointTable(this.db);
      await this.halt(lane);
      try {
        lane.position = await this.db.transaction(async (tx) => {
          const copied = await readCheckpoint(tx, copyKey, { forUpdate: true });
          if (copied?.version !== lane.projection.version) {
            throw new Error(`Projection ${name}: no copy under suffix ${copySuffix} at version ${lane.projection.version}`);
          }
          await swapInCopy(tx, lane.projection, lane.tables, copyTables);
          await writeCheckpoint(tx, lane.key, copied);
          await deleteCheckpoint(tx, copyKey);
          return copied.position;
        });
        this.logger.log(`Projection ${lane.key}: swapped in its copy ${copySuffix} at ${formatPosition(lane.position)}`);
      } finally {
        // Swapped or not, the live projection follows again (from the carried checkpoint, or from where it was).
        this.launch([lane]);
      }
      return lane.position;
    });
  }

  /** Stops every projection of this runner and drops their tables and checkpoints: for a copy given up. */
  discard(): Promise<void> {
    return this.exclusive(async () => {
      await ensureCheckpointTable(this.db);
      for (const lane of this.lanes.values()) {
        await this.halt(lane);
        await this.db.transaction(async (tx) => {
          for (const table of Object.values(lane.tables)) await tx.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
          await deleteCheckpoint(tx, lane.key);
        });
        lane.position = START;
      }
      this.notify();
    });
  }

  private lane(name: string): Lane {
    const lane = this.lanes.get(name);
    if (!lane) throw new Error(`Unknown projection: ${name}`);
    return lane;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.serial.then(fn);
    this.serial = result.catch(() => undefined);
    return result;
  }

  /** Drops the tables, creates them empty and puts the checkpoint at START, in the caller's transaction. */
  private async reset(tx: SqlExecutor, lane: Lane): Promise<void> {
    for (const table of Object.values(lane.tables)) await tx.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
    await lane.projection.setup(tx, lane.tables);
    await writeCheckpoint(tx, lane.key, { version: lane.projection.version, position: START });
    this.logger.log(`Projection ${lane.key}: reset to position 0 (version ${lane.projection.version})`);
  }

  /**
   * The lanes follow again from their positions: on the shared read if they are not behind what it has
   * delivered (or as the shared read itself, from the lowest of their positions, if there is none),
   * otherwise on a catch-up read of their own until they reach it.
   */
  private launch(lanes: readonly Lane[]): void {
    if (lanes.length === 0) return;
    for (const lane of lanes) {
      clearTimeout(lane.retryTimer);
      lane.retryTimer = undefined;
      lane.launchedAt = Date.now();
      lane.state = 'running';
      lane.failure = undefined;
      lane.stopping = false;
      lane.eventsSinceStart = 0;
      this.logger.log(`Projection ${lane.key}: following from ${formatPosition(lane.position)}`);
    }
    const primary = this.primary;
    if (!primary) {
      this.primary = this.openReader(lanes);
      return;
    }
    const behind = lanes.filter((lane) => comparePositions(lane.position, primary.delivered) < 0);
    for (const lane of lanes) if (!behind.includes(lane)) this.join(primary, lane);
    if (behind.length > 0) this.openReader(behind);
  }

  /** A read after the lowest of the lanes' positions, feeding them. */
  private openReader(lanes: readonly Lane[]): Reader {
    const after = lanes.map((lane) => lane.position).reduce((low, position) => (comparePositions(position, low) < 0 ? position : low));
    const reader: Reader = { subscription: this.store.subscribeToAll({ after }), delivered: after, members: new Set(), closed: false };
    this.readers.add(reader);
    for (const lane of lanes) this.join(reader, lane);
    reader.loop = this.read(reader);
    return reader;
  }

  private join(reader: Reader, lane: Lane): void {
    reader.members.add(lane);
    lane.reader = reader;
  }

  /** The lane leaves its read; a read left without lanes is closed (resolves when its loop has ended). */
  private leave(lane: Lane): Promise<void> {
    const reader = lane.reader;
    lane.reader = undefined;
    if (!reader) return Promise.resolve();
    reader.members.delete(lane);
    return reader.members.size === 0 ? this.closeReader(reader) : Promise.resolve();
  }

  private closeReader(reader: Reader): Promise<void> {
    if (!reader.closed) {
      reader.closed = true;
      this.readers.delete(reader);
      if (this.primary === reader) {
        // The catch-up read furthest on becomes the shared one; the others join it when they reach it.
        this.primary = [...this.readers].reduce<Reader | undefined>(
          (best, other) => (!best || comparePositions(other.delivered, best.delivered) > 0 ? other : best),
          undefined,
        );
      }
      void reader.subscription.close().catch(() => undefined);
    }
    return reader.loop ?? Promise.resolve();
  }

  /** Waits for the lane's transaction in flight; its checkpoint stays where that leaves it. */
  private async halt(lane: Lane): Promise<void> {
    clearTimeout(lane.retryTimer);
    lane.retryTimer = undefined;
    lane.attempts = 0;
    lane.stopping = true;
    const closed = this.leave(lane);
    await lane.inFlight;
    await closed;
    if (lane.state === 'running') lane.state = 'stopped';
  }

  /** The read's loop: never rejects; a failed read fails its lanes. */
  private async read(reader: Reader): Promise<void> {
    const events = reader.subscription[Symbol.asyncIterator]();
    const pull = () => {
      const next = events.next();
      next.catch(() => undefined); // awaited below, or abandoned on close: never an unhandled rejection
      return next;
    };
    try {
      let next = pull();
      while (!reader.closed) {
        const first = await next;
        if (first.done || reader.closed) break;
        // Take the events already delivered, up to batchSize: a live event is applied at once. A batch
        // this large means the read is behind: wait a little for its next page rather than commit small.
        const batch = [first.value];
        next = pull();
        while (batch.length < this.batchSize) {
          let ready = await Promise.race([next, nextTurn()]);
          if (ready === NOT_READY && batch.length >= CATCHING_UP) ready = await Promise.race([next, delay(PAGE_WAIT_MS)]);
          if (ready === NOT_READY || ready.done) break;
          batch.push(ready.value);
          next = pull();
        }
        if (reader.closed) break;
        reader.delivered = batch[batch.length - 1].position;
        await Promise.all([...reader.members].map((lane) => this.deliver(reader, lane, batch)));
        this.regroup(reader);
      }
    } catch (error) {
      if (!reader.closed) for (const lane of [...reader.members]) this.fail(lane, error);
    } finally {
      // Ended by itself (the store closed): a lane launched later must not join it.
      void this.closeReader(reader);
      await reader.subscription.close().catch(() => undefined);
    }
  }

  /** A catch-up read's lanes that reached the shared read move onto it; the catch-up read ends without lanes. */
  private regroup(reader: Reader): void {
    if (reader.closed) return; // its lanes all left (failed or halted): it must not become the shared read
    if (!this.primary) this.primary = reader;
    const primary = this.primary;
    if (primary === reader) return;
    for (const lane of [...reader.members]) {
      if (comparePositions(lane.position, primary.delivered) < 0) continue;
      reader.members.delete(lane);
      this.join(primary, lane);
    }
    if (reader.members.size === 0) void this.closeReader(reader);
  }

  /** Applies the events of the batch after the lane's position; a failure stops this lane only. */
  private async deliver(reader: Reader, lane: Lane, batch: readonly RecordedEvent[]): Promise<void> {
    if (lane.stopping || !reader.members.has(lane)) return;
    const fresh = batch.filter((event) => comparePositions(event.position, lane.position) > 0);
    if (fresh.length === 0) return;
    const work = this.applyBatch(lane, fresh);
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    lane.inFlight = settled;
    try {
      await work;
    } catch (error) {
      this.fail(lane, error);
    } finally {
      if (lane.inFlight === settled) lane.inFlight = undefined;
    }
  }

  private async applyBatch(lane: Lane, batch: RecordedEvent[]): Promise<void> {
    try {
      await this.commit(lane, batch);
    } catch (error) {
      if (!(error instanceof ApplyError) || batch.length === 1) throw error;
      // Apply one by one, so that the events before the failing one are kept and the failure names it.
      for (const event of batch) await this.commit(lane, [event]);
    }
  }

  private async commit(lane: Lane, batch: RecordedEvent[]): Promise<void> {
    const last = batch[batch.length - 1].position;
    const handled = batch.filter((event) => lane.handles(event.type));
    if (handled.length === 0) {
      // Nothing to apply: one statement moves the checkpoint (never backwards).
      await advanceCheckpoint(this.db, lane.key, last);
    } else {
      await this.db.transaction(async (tx) => {
        // Locks the checkpoint: a second runner on the same projection waits here, then skips what this
        // one applied, so even two processes cannot apply an event twice.
        const checkpoint = await readCheckpoint(tx, lane.key, { forUpdate: true });
        if (!checkpoint) throw new Error(`Projection ${lane.key}: its checkpoint row is missing`);
        const stored = checkpoint.position;
        const fresh = handled.filter((event) => comparePositions(event.position, stored) > 0);
        if (fresh.length > 0) await this.apply(lane, fresh, tx);
        if (comparePositions(last, stored) > 0) await advanceCheckpoint(tx, lane.key, last);
      });
    }
    if (comparePositions(last, lane.position) > 0) lane.position = last;
    lane.attempts = 0;
    lane.eventsSinceStart += batch.length;
    this.notify();
    this.onCommitted?.(lane.projection.name, lane.position);
  }

  /** The projection's applyBatch on the events, or (without one) its apply on each in turn. */
  private async apply(lane: Lane, events: readonly RecordedEvent[], tx: SqlExecutor): Promise<void> {
    const { projection, tables } = lane;
    if (!projection.applyBatch) {
      for (const event of events) {
        try {
          await projection.apply(this.projected(event), tx, tables);
        } catch (error) {
          throw new ApplyError(event, error);
        }
      }
      return;
    }
    const projected = events.map((event) => {
      try {
        return this.projected(event);
      } catch (error) {
        throw new ApplyError(event, error);
      }
    });
    try {
      await projection.applyBatch(projected, tx, tables);
    } catch (error) {
      // Which event of several failed is found by applying them one by one (applyBatch above).
      throw new ApplyError(events.length === 1 ? events[0] : undefined, error);
    }
  }

  /**
   * Upcast once per event delivered, even when a failed batch is applied again one event at a time; an
   * upcaster that throws fails the projection at that event, like its handler would.
   */
  private projected(event: RecordedEvent): ProjectedEvent {
    let projected = this.upcast.get(event);
    if (!projected) this.upcast.set(event, (projected = toProjectedEvent(event)));
    return projected;
  }

  private fail(lane: Lane, error: unknown): void {
    void this.leave(lane);
    const cause = error instanceof ApplyError ? error.reason : error;
    const event = error instanceof ApplyError ? error.event : undefined;
    // A lane that had been running for a while before failing starts its backoff over.
    if (this.retry && Date.now() - lane.launchedAt > this.retry.maxDelayMs) lane.attempts = 0;
    lane.attempts += 1;
    lane.state = 'failed';
    lane.failure = {
      message: cause instanceof Error ? cause.message : String(cause),
      position: event?.position ?? lane.position,
      ...(event ? { event: { id: event.id, type: event.type, streamId: event.streamId, revision: event.revision } } : {}),
      ...(this.retry ? { attempts: lane.attempts } : {}),
    };
    const where = event
      ? `at event ${formatPosition(event.position)} (${event.type} ${event.streamId}@${event.revision}, id ${event.id})`
      : `after ${formatPosition(lane.position)}`;
    // Retried every few seconds through an outage: the same failure again is not worth another stack trace.
    if (lane.attempts === 1 || lane.failure.message !== lane.lastLogged) {
      lane.lastLogged = lane.failure.message;
      const stack = lane.attempts === 1 && cause instanceof Error ? cause.stack : undefined;
      this.logger.error(`Projection ${lane.key} stopped ${where}: ${lane.failure.message}`, stack);
    }
    if (this.retry && !lane.stopping) this.scheduleRetry(lane);
    this.notify();
  }

  /**
   * After the backoff, the failed lane follows again from its position: the checkpoint is never behind it
   * (a commit whose answer was lost may have moved it further; commit() then skips what it covers).
   */
  private scheduleRetry(lane: Lane): void {
    const { initialDelayMs, maxDelayMs } = this.retry!;
    const delay = Math.min(initialDelayMs * 2 ** Math.min(lane.attempts - 1, 30), maxDelayMs);
    clearTimeout(lane.retryTimer);
    lane.retryTimer = setTimeout(() => {
      lane.retryTimer = undefined;
      void this.exclusive(async () => {
        // stop(), start() or a rebuild may have taken the lane meanwhile.
        if (lane.state !== 'failed' || lane.stopping) return;
        await lane.inFlight;
        this.logger.log(`Projection ${lane.key}: trying again (attempt ${lane.attempts + 1}) after: ${lane.failure?.message}`);
        this.launch([lane]);
      }).catch((error: unknown) => this.fail(lane, error)); // never an unhandled rejection: it would end the process
    }, delay);
    lane.retryTimer.unref();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves with check()'s answer as soon as it gives one (it is asked again after every change). */
  private waitUntil(check: () => boolean | undefined, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (result: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(poll);
        resolve(result);
      };
      const poll = () => {
        const result = check();
        if (result !== undefined) settle(result);
      };
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => settle(false), timeoutMs);
      this.waiters.add(poll);
      poll();
    });
  }
}

/** Resolves after the events already queued (microtasks, I/O callbacks) have had their turn. */
function nextTurn(): Promise<typeof NOT_READY> {
  return new Promise((resolve) => setImmediate(resolve, NOT_READY));
}

function delay(ms: number): Promise<typeof NOT_READY> {
  return new Promise((resolve) => setTimeout(resolve, ms, NOT_READY));
}
