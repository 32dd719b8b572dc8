import { Position, RecordedEvent, START, comparePositions } from '../event-store.port';
import { SealHead, SealState, eventHash, eventLeafData } from '../integrity/event-hash';
import { EMPTY_TREE_HASH, Frontier, NodeId, appendLeaves, frontierRoot, leafHash, perfectSubtrees } from '../integrity/merkle';
import { SqlDatabase, SqlExecutor } from '../sql/sql-database';
import {
  EventRow,
  SEAL_NEXT,
  SEAL_STATE,
  SEAL_TRY_LOCK,
  SEAL_WRITE,
  SealNextRow,
  SealStateRow,
  TREE_LAG,
  TREE_NODES,
  TREE_WRITE,
  TreeNodeRow,
  positionOf,
  toRecordedEvent,
} from './queries';

/*
 * The integrity chain (R-AUD-1, integrity/event-hash.ts) kept off the append path. Appends insert their
 * events without a hash and take no lock; the sealer chains them once they are below the visibility
 * horizon, where their global order (xid, seq) is final (queries.ts), in batches, and records how far it
 * has sealed in `event_seal_head`, the leaves' hashes in `event_chain` (migrations.ts, version 3).
 *
 * Its unit is "extend the sealed prefix by N leaves and record the new head" (LogExtension), done twice
 * per batch: the linear chain, and the log's Merkle tree (RFC 9162, integrity/merkle.ts), whose perfect
 * nodes go to `event_tree_nodes` (migration 4). The tree has its own head: over a log sealed before it
 * existed (or imported) it is built from the first event, a batch at a time, until it meets the chain's
 * head; from then on each batch extends both.
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
  /** The tree is still being built over events sealed before it existed: go on at once. */
  treeBehind?: boolean;
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
  /** The tree's right edge after this process's last batch: valid while the stored tree has that size. */
  private frontier: Frontier | undefined;
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
    // The tree's edge is kept only once its batch committed: one rolled back leaves the stored tree as it was.
    // A right edge of size N is the stored tree's whatever batch made it (the tree only grows): extendTree
    // checks the size.
    const edge: { after?: Frontier } = {};
    const result = await this.db.transaction((tx) => this.sealIn(tx, edge));
    if (edge.after) this.frontier = edge.after;
    return result;
  }

  private async sealIn(tx: SqlExecutor, edge: { after?: Frontier }): Promise<SealBatchResult> {
    {
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
      const treeBehind = await this.extendTree(tx, first, head, events, edge);
      if (events.length === 0) return { locked: true, sealed: 0, pending: first.pending || treeBehind, treeBehind, head };
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
        pending: first.pending || treeBehind || events.length === this.batchSize,
        treeBehind,
        head: { position: last.position, size, hash: headHash, sealedAt: null },
      };
    }
  }

  /**
   * Extends the tree by the events this batch seals, after the sealed events it does not hold yet (a log
   * sealed before the tree existed): at most one batch of those, so a long catch-up never holds the seal
   * of new events. True when the tree is still behind the chain (the loop goes on).
   */
  private async extendTree(
    tx: SqlExecutor,
    next: SealNextRow,
    head: SealHead,
    sealing: readonly RecordedEvent[],
    edge: { after?: Frontier },
  ): Promise<boolean> {
    const treeSize = Number(next.tree_size);
    let leaves: RecordedEvent[] = [];
    if (treeSize < head.size) {
      const { rows } = await tx.query<EventRow>(TREE_LAG, [
        next.tree_xid_text,
        next.tree_seq,
        String(head.position!.commit),
        head.position!.prepare,
        this.batchSize,
      ]);
      leaves = rows.map(toRecordedEvent);
    }
    const behind = treeSize + leaves.length < head.size;
    if (!behind) leaves.push(...sealing);
    if (leaves.length === 0) return behind;
    const frontier = this.frontier?.size === treeSize ? this.frontier : await readFrontier(tx, treeSize);
    const { created, frontier: after } = appendLeaves(
      frontier,
      leaves.map((event) => leafHash(eventLeafData(event))),
    );
    const last = leaves[leaves.length - 1].position;
    const { rowCount } = await tx.query(TREE_WRITE, [
      created.map((node) => node.level),
      created.map((node) => node.index),
      created.map((node) => node.hash.toString('hex')),
      after.size,
      String(last.commit),
      last.prepare,
      frontierRoot(after).toString('hex'),
      treeSize,
    ]);
    if (rowCount !== 1) throw new Error('The tree head moved during a seal batch, which holds the sealer lock');
    edge.after = after;
    return behind;
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
      tree: { size: Number(row.tree_size), root: row.tree_root_hex ?? EMPTY_TREE_HASH.toString('hex') },
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
        if ((result.sealed === this.batchSize || result.treeBehind) && !this.stopped) continue;
        // Events committed but above the horizon: a transaction in flight ends soon, look again then.
        if (result.pending) this.again = true;
        return;
      }
    } catch (error) {
      this.lastError = error; // the database may be gone for a while: the interval tries again
    }
  }
}

/** The right edge of the stored tree of `size` leaves: its perfect subtrees, read in one query. */
async function readFrontier(tx: SqlExecutor, size: number): Promise<Frontier> {
  const ids = perfectSubtrees({ start: 0, end: size });
  const nodes = await readTreeNodes(tx, ids);
  return { size, nodes: ids.map((id) => ({ ...id, hash: nodes(id) })) };
}

/** The stored perfect nodes `ids`, as a look-up that throws for one the tree does not hold. */
export async function readTreeNodes(db: SqlExecutor, ids: readonly NodeId[]): Promise<(id: NodeId) => Buffer> {
  const { rows } = await db.query<TreeNodeRow>(TREE_NODES, [ids.map((id) => id.level), ids.map((id) => id.index)]);
  const byId = new Map(rows.map((row) => [`${row.level}/${Number(row.idx)}`, Buffer.from(row.hash)]));
  return (id) => {
    const hash = byId.get(`${id.level}/${id.index}`);
    if (!hash) throw new Error(`The tree has no node ${id.level}/${id.index}: it was never completed, or was deleted`);
    return hash;
  };
}
