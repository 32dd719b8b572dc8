import { toDomainEvent } from '@lib/domain/domain-events';
import { LedgerFact } from '@lib/domain/ledger';
import { Position } from '@lib/domain/shared/log-position';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { TableNames } from '../runner/projection';

export type FeeLedgerTable = 'fee_ledger_facts';

/** Which facts to read: at most up to an instant of recording and/or a position; one commune or all. */
export interface LedgerFactsQuery {
  /** The billing year: only this year's ledger issues are read. */
  readonly year: number;
  /** R-TIME-1: only facts recorded up to this instant (ISO 8601). */
  readonly knownAt?: string;
  /** Only facts up to this global position (included): what an issue is computed from. */
  readonly upTo?: Position;
  /** Only this commune's facts (and those about every commune: catalogue, Syntec, issues). */
  readonly communeInsee?: string;
}

interface FactRow {
  event_id: string;
  position_commit: number | string | bigint;
  position_prepare: number | string | bigint;
  recorded_at: Date | string;
  stream_id: string;
  type: string;
  schema_version: number | string;
  data: Record<string, unknown> | string;
  reason: string | null;
}

/** The facts, in global order. */
export async function readLedgerFacts(db: SqlExecutor, tables: TableNames<FeeLedgerTable>, query: LedgerFactsQuery): Promise<LedgerFact[]> {
  const params: unknown[] = [query.year];
  const where = ['(ledger_year IS NULL OR ledger_year = $1)'];
  if (query.knownAt !== undefined) {
    params.push(query.knownAt);
    where.push(`recorded_at <= $${params.length}::timestamptz`);
  }
  if (query.upTo !== undefined) {
    params.push(query.upTo.commit, query.upTo.prepare);
    where.push(`(position_commit, position_prepare) <= ($${params.length - 1}::bigint, $${params.length}::bigint)`);
  }
  if (query.communeInsee !== undefined) {
    params.push(query.communeInsee);
    where.push(`(commune_insee IS NULL OR commune_insee = $${params.length})`);
  }
  const { rows } = await db.query<FactRow>(
    `SELECT event_id, position_commit, position_prepare, recorded_at, stream_id, type, schema_version, data, reason
       FROM ${tables.fee_ledger_facts} WHERE ${where.join(' AND ')} ORDER BY position_commit, position_prepare`,
    params,
  );
  return rows.map(factOf);
}

function factOf(row: FactRow): LedgerFact {
  const raw = typeof row.data === 'string' ? (JSON.parse(row.data) as Record<string, unknown>) : row.data;
  const { data } = toDomainEvent({ type: row.type, schemaVersion: Number(row.schema_version), data: raw });
  return {
    eventId: row.event_id,
    // bigint columns arrive as strings (pg) or numbers/bigints (PGlite); positions stay below 2^53.
    position: { commit: Number(row.position_commit), prepare: Number(row.position_prepare) },
    recordedAt: new Date(row.recorded_at).toISOString(),
    streamId: row.stream_id,
    type: row.type,
    data: data as Record<string, unknown>,
    reason: row.reason,
  };
}
