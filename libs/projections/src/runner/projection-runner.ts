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
  /** The most events applied in one transaction; batches form only from events already delivered. */
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
  subscription?: Subscription;
  loop?: Promise<void>;
  stopping: boolean;
  /** Failures in a row, for the backoff; 0 again once a batch commits or the lane ran a while. */
  attempts: number;
  launchedAt: number;
  retryTimer?: NodeJS.Timeout;
  /** The last failure logged, so that a retry failing the same way is not logged again. */
  lastLogged?: string;
}

/** A handler threw: carries the event so that the failure names it. */
class ApplyError extends Error {
  constructor(
    readonly event: RecordedEvent,
    readonly reason: unknown,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/**
 * Feeds projections from the global order. For each projection: a catch-up subscription after its
 * checkpoint; each batch of events is applied, and the checkpoint moved past it, in ONE transaction —
 * so a crash at any instant leaves the read model and its checkpoint consistent: nothing lost, nothing
 * applied twice. A handler that throws stops its projection at that event (never skips it). Handlers
 * receive each event upcast to its current shape, beside the event as written (ProjectedEvent).
 */
export class ProjectionRunner {
  private readonly db: SqlDatabase;
  private readonly store: EventStore;
  private readonly batchSize: number;
  private readonly logger: RunnerLogger;
  private readonly retry: ProjectionRunnerOptions['retry'];
  private readonly onCommitted: ProjectionRunnerOptions['onCommitted'];
  private readonly lanes = new Map<string, Lane>();
  private readonly waiters = new Set<() => void>();
  /** The events being applied, upcast (weakly held: gone with the batch). */
  private readonly upcast = new WeakMap<RecordedEvent, ProjectedEvent>();
  /** start/stop/rebuild run one at a time, so a lane is never opened twice. */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(options: ProjectionRunnerOptions) {
    this.db = options.db;
    this.store = options.store;
    this.batchSize = options.batchSize ?? 100;
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
        this.launch(lane);
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
   * Empties the projection's tables, moves its checkpoint back to START, and resolves once it has caught
   * up with the head of the store read after the reset. The projection then keeps following (until stop()).
   * Rejects if a handler fails on the way.
   */
  async rebuild(name: string): Promise<void> {
    const lane = this.lane(name);
    await this.exclusive(async () => {
      await ensureCheckpointTable(this.db);
      await this.halt(lane);
      await this.db.transaction((tx) => this.reset(tx, lane));
      lane.position = START;
      this.launch(lane);
    });
    const head = await this.store.headPosition();
    const caughtUp = await this.waitUntil(() => {
      if (comparePositions(lane.position, head) >= 0) return true;
      return lane.state === 'running' ? undefined : false;
    }, Infinity);
    if (!caughtUp) {
      throw new Error(`Rebuild of ${name} did not finish: ${lane.failure?.message ?? lane.state}`);
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
        this.launch(lane);
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

  private launch(lane: Lane): void {
    clearTimeout(lane.retryTimer);
    lane.retryTimer = undefined;
    lane.launchedAt = Date.now();
    lane.state = 'running';
    lane.failure = undefined;
    lane.stopping = false;
    lane.eventsSinceStart = 0;
    lane.subscription = this.store.subscribeToAll({ after: lane.position });
    lane.loop = this.follow(lane, lane.subscription);
    this.logger.log(`Projection ${lane.key}: following from ${formatPosition(lane.position)}`);
  }

  private async halt(lane: Lane): Promise<void> {
    clearTimeout(lane.retryTimer);
    lane.retryTimer = undefined;
    lane.attempts = 0;
    if (!lane.loop) return;
    lane.stopping = true;
    await lane.subscription?.close();
    await lane.loop;
    lane.loop = lane.subscription = undefined;
    if (lane.state === 'running') lane.state = 'stopped';
  }

  /** The lane's loop: never rejects; an error marks the lane failed. */
  private async follow(lane: Lane, subscription: Subscription): Promise<void> {
    const events = subscription[Symbol.asyncIterator]();
    const pull = () => {
      const next = events.next();
      next.catch(() => undefined); // awaited below, or abandoned on stop: never an unhandled rejection
      return next;
    };
    try {
      let next = pull();
      for (;;) {
        const first = await next;
        if (first.done || lane.stopping) break;
        // Take the events already delivered, up to batchSize, without waiting for more: catching up goes
        // in batches, a live event is applied at once.
        const batch = [first.value];
        next = pull();
        while (batch.length < this.batchSize) {
          const ready = await Promise.race([next, nextTurn()]);
          if (ready === NOT_READY || ready.done) break;
          batch.push(ready.value);
          next = pull();
        }
        if (lane.stopping) break;
        await this.applyBatch(lane, batch);
      }
    } catch (error) {
      this.fail(lane, error);
    } finally {
      await subscription.close().catch(() => undefined);
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
        for (const event of handled) {
          if (comparePositions(event.position, stored) <= 0) continue;
          try {
            await lane.projection.apply(this.projected(event), tx, lane.tables);
          } catch (error) {
            throw new ApplyError(event, error);
          }
        }
        if (comparePositions(last, stored) > 0) await advanceCheckpoint(tx, lane.key, last);
      });
    }
    if (comparePositions(last, lane.position) > 0) lane.position = last;
    lane.attempts = 0;
    lane.eventsSinceStart += batch.length;
    this.notify();
    this.onCommitted?.(lane.projection.name, lane.position);
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
        await lane.loop;
        this.logger.log(`Projection ${lane.key}: trying again (attempt ${lane.attempts + 1}) after: ${lane.failure?.message}`);
        this.launch(lane);
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
