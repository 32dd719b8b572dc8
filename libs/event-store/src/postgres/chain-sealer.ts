import { Position, RecordedEvent, START, comparePositions } from '../event-store.port';
import { SealHead, SealState, eventHash } from '../integrity/event-hash';
import { SqlDatabase, SqlExecutor } from '../sql/sql-database';
import {
  EventRow,
  SEAL_NEXT,
  SEAL_STATE,
  SEAL_TRY_LOCK,
  SEAL_WRITE,
  SealNextRow,
  SealStateRow,
  positionOf,
  toRecordedEvent,
} from './queries';

/*
 * The integrity chain (R-AUD-1, integrity/event-hash.ts) kept off the append path. Appends insert their
 * events without a hash and take no lock; the sealer chains them once they are below the visibility
 * horizon, where their global order (xid, seq) is final (queries.ts), in batches, and records how far it
 * has sealed in `event_seal_head`, the leaves' hashes in `event_chain` (migrations.ts, version 3).
 *
 * Its unit is "extend the sealed prefix by N leaves and record the new head" (LogExtension): the linear
 * chain is one such extension; a Merkle tree (RFC 9162) with signed tree heads can replace it without
 * changing the loop.
 */

/** How long an acknowledged event may stay unsealed: verification fails past it (docs/failures.md). */
export const SEAL_BOUND_MS = 1000;
/** The sealer looks this often even without a notification (a transaction still in flight held the horizon). */
export const SEAL_INTERVAL_MS = 100;
/**
 * Between two batches started by notifications, or while committed events wait above the horizon: under
 * load, one batch carries the appends of this span.
 */
const SEAL_MIN_GAP_MS = 20;
/** Events per seal batch: one read, one multi-row insert and one head update. */
export const SEAL_BATCH_SIZE = 2000;

/** The sealer's unit of work: the leaves' hashes for `events` after `head`, and the new head's hash. */
export interface LogExtension {
  extend(headHash: string | null, events: readonly RecordedEvent[]): { leafHashes: string[]; headHash: string | null };
}

/** The linear chain: each leaf's hash covers its event and the previous leaf's hash; the head is the last. */
export const linearChain: LogExtension = {
  extend(headHash, events) {
    let previous = headHash;
    const leafHashes = events.map((event) => (previous = eventHash(event, previous)));
    return { leafHashes, headHash: previous };
  },
};

export interface SealBatchResult {
  /** False when another process holds the sealer's lock: it seals, this one did nothing. */
  locked: boolean;
  sealed: number;
  /** Committed events still above the horizon: look again soon. */
  pending: boolean;
  head: SealHead | undefined;
}

export interface ChainSealerOptions {
  batchSize?: number;
  intervalMs?: number;
  /** Subscribes to the store's notifications (other processes' appends); returns how to unsubscribe. */
  watch?: (wakeUp: () => void) => () => void;
  /** Runs in the batch's transaction after its writes, before the commit (tests roll a batch back with it). */
  beforeCommit?: (tx: SqlExecutor) => Promise<void>;
}

export class ChainSealer {
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private unwatch: (() => void) | undefined;
  private lastRunAt = 0;
  /** The last failure of the background loop (the database unreachable…); it retries at the interval. */
  lastError: unknown;

  constructor(
    private readonly db: SqlDatabase,
    private readonly options: ChainSealerOptions = {},
    private readonly extension: LogExtension = linearChain,
  ) {
    this.batchSize = options.batchSize ?? SEAL_BATCH_SIZE;
    this.intervalMs = options.intervalMs ?? SEAL_INTERVAL_MS;
  }

  /** Seals in the background: at each notification and at the interval, until stop(). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unwatch = this.options.watch?.(() => this.nudge());
    this.wake(0);
  }

  /** Something was appended: seal it soon (batched with what follows within SEAL_MIN_GAP_MS). */
  nudge(): void {
    this.wake(SEAL_MIN_GAP_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.unwatch?.();
    this.unwatch = undefined;
    await this.running;
  }

  /** One batch, in one transaction: nothing is written unless the whole batch and its head are. */
  async sealBatch(): Promise<SealBatchResult> {
    return this.db.transaction(async (tx) => {
      const { rows: lock } = await tx.query<{ locked: boolean }>(SEAL_TRY_LOCK);
      if (!lock[0].locked) return { locked: false, sealed: 0, pending: true, head: undefined };
      const { rows } = await tx.query<SealNextRow>(SEAL_NEXT, [this.batchSize]);
      const first = rows[0];
      const head: SealHead = {
        position: first.head_seq === null ? null : positionOf({ xid_text: first.head_xid_text!, seq: first.head_seq }),
        size: Number(first.head_size),
        hash: first.head_hash_hex,
        sealedAt: null,
      };
      const events = rows.flatMap((row) => (row.event_id === null ? [] : [toRecordedEvent(row as EventRow)]));
      if (events.length === 0) return { locked: true, sealed: 0, pending: first.pending, head };
      const { leafHashes, headHash } = this.extension.extend(head.hash, events);
      const last = events[events.length - 1];
      const size = head.size + events.length;
      const { rowCount } = await tx.query(SEAL_WRITE, [
        rows.map((row) => row.seq),
        events.map((_, i) => head.size + i),
        leafHashes,
        String(last.position.commit),
        last.position.prepare,
        size,
        headHash,
        head.size,
      ]);
      if (rowCount !== 1) throw new Error('The seal head moved during a seal batch, which holds the sealer lock');
      await this.options.beforeCommit?.(tx);
      return {
        locked: true,
        sealed: events.length,
        pending: first.pending || events.length === this.batchSize,
        head: { position: last.position, size, hash: headHash, sealedAt: null },
      };
    });
  }

  /**
   * Seals until the head covers `target` (an event already below the horizon), waiting for another
   * process's batches when that one holds the lock. For an export that must cover what was acknowledged.
   */
  async sealThrough(target: Position, timeoutMs: number): Promise<void> {
    const started = Date.now();
    for (;;) {
      const state = await this.state();
      if (target === START || (state.head.position && comparePositions(state.head.position, target) >= 0)) return;
      const result = await this.sealBatch();
      if (result.sealed > 0) continue;
      if (Date.now() - started > timeoutMs) throw new Error(`The chain was not sealed through the head within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async state(): Promise<SealState> {
    const { rows } = await this.db.query<SealStateRow>(SEAL_STATE);
    const row = rows[0];
    return {
      head: {
        position: row.seq === null ? null : positionOf({ xid_text: row.xid_text!, seq: row.seq }),
        size: Number(row.size),
        hash: row.hash_hex,
        sealedAt: row.sealed_at === null ? null : new Date(row.sealed_at).toISOString(),
      },
      tail: {
        count: Number(row.tail_count),
        oldestRecordedAt: row.tail_oldest === null ? null : new Date(row.tail_oldest).toISOString(),
        oldestAgeMs: row.tail_age_ms === null ? null : Math.max(0, Math.round(Number(row.tail_age_ms))),
      },
      boundMs: SEAL_BOUND_MS,
    };
  }

  /** Runs the loop after `delayMs`, unless a run is already due sooner or under way (it then runs again). */
  private wake(delayMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    const wait = Math.max(0, this.lastRunAt + delayMs - Date.now());
    this.timer = setTimeout(() => {
      this.running = this.run().finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        const again = this.again;
        this.again = false;
        this.wake(again ? SEAL_MIN_GAP_MS : this.intervalMs);
      });
    }, wait);
    this.timer.unref(); // a process that has nothing else to do may exit: what it appended is sealed by the next sealer
  }

  private async run(): Promise<void> {
    this.lastRunAt = Date.now();
    try {
      for (;;) {
        const result = await this.sealBatch();
        this.lastError = undefined;
        if (result.sealed === this.batchSize && !this.stopped) continue;
        // Events committed but above the horizon: a transaction in flight ends soon, look again then.
        if (result.pending) this.again = true;
        return;
      }
    } catch (error) {
      this.lastError = error; // the database may be gone for a while: the interval tries again
    }
  }
}
