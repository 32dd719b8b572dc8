import { StoredEvent, toDomainEvent } from '@lib/domain/domain-events';
import type { RecordedEvent } from '@lib/event-store/event-store.port';
import type { SqlExecutor } from '@lib/event-store/sql/sql-database';

/**
 * An event as a projection receives it: the envelope the store recorded, and the domain event upcast
 * to the current shape of its type (by the runner, once per event). `recorded` is the event exactly as
 * written (schema version and data included): what the audit shows and hashes, and what a read model
 * that keeps events as written stores (R-TIME-2: stored events are never rewritten).
 *
 * `event` is typed as one of the domain's events, which it is for every type a projection names in
 * `handles`; a projection without `handles` also receives types the domain does not know, as written.
 */
export interface ProjectedEvent<E extends StoredEvent = StoredEvent> extends Pick<
  RecordedEvent,
  'id' | 'streamId' | 'revision' | 'position' | 'recordedAt' | 'metadata'
> {
  readonly event: E;
  readonly recorded: RecordedEvent;
}

/** The one place a recorded event is upcast for the projections. */
export function toProjectedEvent(recorded: RecordedEvent): ProjectedEvent {
  const { id, streamId, revision, position, recordedAt, metadata } = recorded;
  return { id, streamId, revision, position, recordedAt, metadata, event: toDomainEvent<StoredEvent>(recorded), recorded };
}

/**
 * The physical names of a projection's tables, keyed by the logical names it declares.
 * The runner chooses them (the logical name plus the runner's suffix), so the same projection can be
 * built into fresh tables beside the live ones — a shadow rebuild that is checked, then swapped in.
 */
export type TableNames<T extends string = string> = Readonly<Record<T, string>>;

/**
 * A read model kept in PostgreSQL/PGlite, fed by the global order of events.
 * Its handler runs in the same transaction as the checkpoint update, so it must write only through `tx`
 * and must not have effects outside the database (they would not be rolled back, nor exactly-once).
 */
export interface Projection<T extends string = string> {
  /** Unique; the key of its checkpoint. */
  readonly name: string;
  /**
   * Bump it when the handler or the tables change meaning: at start, a checkpoint written by another
   * version makes the runner drop the tables and rebuild from position 0.
   */
  readonly version: number;
  /** Logical table names (lower-case identifiers). The runner drops exactly these on reset. */
  readonly tables: readonly T[];
  /** Event types it reads; the others only advance its checkpoint. Undefined: every event. */
  readonly handles?: readonly string[];
  /**
   * Creates the tables (and their indexes) if missing — it runs at every start, so it must be idempotent.
   * Use only `tables.x` for table names, and name indexes after them (`${tables.x}_by_y`), so that a
   * suffixed copy never collides with the live tables (PostgreSQL keeps index names on RENAME: a swap renames them too).
   */
  setup(tx: SqlExecutor, tables: TableNames<T>): Promise<void>;
  /**
   * Applies one event. Throwing stops this projection at that event (nothing of its transaction is kept).
   * The runner calls it only for a projection without `applyBatch`.
   */
  apply(event: ProjectedEvent, tx: SqlExecutor, tables: TableNames<T>): Promise<void>;
  /**
   * Applies consecutive events of the global order (only the handled ones, oldest first) in one
   * transaction, with the same result as `apply` on each in turn, however the order is cut into batches:
   * the state it needs is read once per batch, folded in memory and written with multi-row statements.
   * Throwing keeps nothing of the batch; the runner then applies the events one by one to name the failing one.
   */
  applyBatch?(events: readonly ProjectedEvent[], tx: SqlExecutor, tables: TableNames<T>): Promise<void>;
}

/** A projection whose `apply` is its `applyBatch` on one event: one code path, whatever the cut. */
export function applyOne<T extends string>(
  applyBatch: (events: readonly ProjectedEvent[], tx: SqlExecutor, tables: TableNames<T>) => Promise<void>,
): (event: ProjectedEvent, tx: SqlExecutor, tables: TableNames<T>) => Promise<void> {
  return (event, tx, tables) => applyBatch([event], tx, tables);
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** The physical names for a projection's tables under a suffix ('' for the live tables). */
export function tableNames<T extends string>(projection: Projection<T>, suffix = ''): TableNames<T> {
  const names = {} as Record<T, string>;
  for (const table of projection.tables) {
    const physical = `${table}${suffix}`;
    // Names are spliced into SQL text: only plain identifiers, within PostgreSQL's 63-byte limit.
    if (!IDENTIFIER.test(physical) || physical.length > 63) {
      throw new Error(`Projection ${projection.name}: invalid table name ${physical}`);
    }
    names[table] = physical;
  }
  return names;
}
