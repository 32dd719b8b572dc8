import { Position, RecordedEvent, START } from '@lib/event-store/event-store.port';
import { eventHash } from '@lib/event-store/integrity/event-hash';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { ProjectedEvent, Projection, TableNames, applyOne, tableNames } from '../runner/projection';
import { AuditEntry, actorOf, auditEntryOf, businessDateOfCurrent } from './audit-entry';

export type AuditTable = 'audit_events';

/**
 * The global history for the audit (R-AUD-1): every event, in global order, with its business date,
 * recording instant, actor, reason, legal reference and ids in columns the filters use. It also
 * computes the integrity chain over the events as it receives them: with EventStoreDB, which keeps no
 * column of ours beside an event, this is where the chain lives (and verification compares the store's
 * events with it); with PostgreSQL the store keeps its own chain, and the two agree.
 */
export const auditProjection: Projection<AuditTable> = {
  name: 'audit',
  version: 1,
  tables: ['audit_events'],

  async setup(tx: SqlExecutor, tables: TableNames<AuditTable>): Promise<void> {
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${tables.audit_events} (
         position_commit bigint NOT NULL,
         position_prepare bigint NOT NULL,
         event_id text NOT NULL,
         stream_id text NOT NULL,
         revision bigint NOT NULL,
         type text NOT NULL,
         schema_version integer NOT NULL,
         business_date text,
         recorded_at timestamptz NOT NULL,
         actor_id text,
         actor_role text,
         event jsonb NOT NULL,
         chain_hash text NOT NULL,
         PRIMARY KEY (position_commit, position_prepare)
       )`,
    );
    await tx.query(
      `CREATE INDEX IF NOT EXISTS ${tables.audit_events}_by_type ON ${tables.audit_events} (type, position_commit, position_prepare)`,
    );
    await tx.query(
      `CREATE INDEX IF NOT EXISTS ${tables.audit_events}_by_actor ON ${tables.audit_events} (actor_id, position_commit, position_prepare)`,
    );
    await tx.query(`CREATE INDEX IF NOT EXISTS ${tables.audit_events}_by_recorded_at ON ${tables.audit_events} (recorded_at)`);
  },

  apply: applyOne(applyAudit),
  applyBatch: applyAudit,
};

/** The chain's last hash read once, the batch chained in memory and inserted in one statement. */
async function applyAudit(events: readonly ProjectedEvent[], tx: SqlExecutor, tables: TableNames<AuditTable>): Promise<void> {
  const { rows } = await tx.query<{ chain_hash: string }>(
    `SELECT chain_hash FROM ${tables.audit_events} ORDER BY position_commit DESC, position_prepare DESC LIMIT 1`,
  );
  let previous: string | null = rows[0]?.chain_hash ?? null;
  const entries = events.map((projected) => {
    // Kept and hashed as written (R-TIME-2); the business date comes from the current shape.
    const event = projected.recorded;
    const actor = actorOf(event.metadata);
    previous = eventHash(event, previous);
    return {
      position_commit: event.position.commit,
      position_prepare: event.position.prepare,
      event_id: event.id,
      stream_id: event.streamId,
      revision: event.revision,
      type: event.type,
      schema_version: event.schemaVersion,
      business_date: businessDateOfCurrent(projected.event),
      recorded_at: event.recordedAt,
      actor_id: actor?.id ?? null,
      actor_role: actor?.role ?? null,
      event,
      chain_hash: previous,
    };
  });
  await tx.query(
    `INSERT INTO ${tables.audit_events}
       (position_commit, position_prepare, event_id, stream_id, revision, type, schema_version, business_date, recorded_at, actor_id, actor_role, event, chain_hash)
     SELECT position_commit, position_prepare, event_id, stream_id, revision, type, schema_version, business_date, recorded_at, actor_id, actor_role, event, chain_hash
     FROM jsonb_to_recordset($1::jsonb) AS r(position_commit bigint, position_prepare bigint, event_id text, stream_id text, revision bigint,
       type text, schema_version integer, business_date text, recorded_at timestamptz, actor_id text, actor_role text, event jsonb, chain_hash text)`,
    [JSON.stringify(entries)],
  );
}

export const AUDIT_TABLES = tableNames(auditProjection);

export interface AuditQuery {
  /** Exclusive. */
  after?: Position;
  limit: number;
  types?: readonly string[];
  actor?: string;
  /** Recording instants, both included. */
  from?: string;
  to?: string;
}

export interface AuditPage {
  events: AuditEntry[];
  /** The position to ask `after` for the next page; null when this page is the last one. */
  next: Position | null;
}

/** A page of the global history, in global order, filtered. */
export async function readAuditPage(db: SqlExecutor, tables: TableNames<AuditTable>, query: AuditQuery): Promise<AuditPage> {
  const after = query.after ?? START;
  const params: unknown[] = [after.commit, after.prepare];
  const conditions = ['(position_commit, position_prepare) > ($1::bigint, $2::bigint)'];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (query.types) conditions.push(`type = ANY (${param([...query.types])}::text[])`);
  if (query.actor !== undefined) conditions.push(`actor_id = ${param(query.actor)}`);
  if (query.from !== undefined) conditions.push(`recorded_at >= ${param(query.from)}::timestamptz`);
  if (query.to !== undefined) conditions.push(`recorded_at <= ${param(query.to)}::timestamptz`);
  // One more than asked: whether a next page exists, without a count.
  const { rows } = await db.query<{ event: RecordedEvent; chain_hash: string }>(
    `SELECT event, chain_hash FROM ${tables.audit_events} WHERE ${conditions.join(' AND ')}
     ORDER BY position_commit, position_prepare LIMIT ${param(query.limit + 1)}`,
    params,
  );
  const page = rows.slice(0, query.limit);
  return {
    events: page.map((row) => auditEntryOf(row.event, row.chain_hash)),
    next: rows.length > query.limit ? page[page.length - 1].event.position : null,
  };
}

/** The chain hashes the projection computed, in global order from a position (exclusive), by pages. */
export async function* readAuditChain(
  db: SqlExecutor,
  tables: TableNames<AuditTable>,
  after: Position = START,
  pageSize = 500,
): AsyncGenerator<{ position: Position; eventId: string; hash: string }> {
  let cursor = after;
  for (;;) {
    const { rows } = await db.query<{
      position_commit: string | number;
      position_prepare: string | number;
      event_id: string;
      chain_hash: string;
    }>(
      `SELECT position_commit, position_prepare, event_id, chain_hash FROM ${tables.audit_events}
       WHERE (position_commit, position_prepare) > ($1::bigint, $2::bigint) ORDER BY position_commit, position_prepare LIMIT $3`,
      [cursor.commit, cursor.prepare, pageSize],
    );
    for (const row of rows) {
      cursor = { commit: Number(row.position_commit), prepare: Number(row.position_prepare) };
      yield { position: cursor, eventId: row.event_id, hash: row.chain_hash };
    }
    if (rows.length < pageSize) return;
  }
}
