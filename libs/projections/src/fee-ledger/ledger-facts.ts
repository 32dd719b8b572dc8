import { toDomainEvent } from '@lib/domain/domain-events';
import { LedgerFact } from '@lib/domain/ledger';
import { Position, START } from '@lib/domain/shared/log-position';
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

/**
 * Reading a year commune by commune (what a national ledger streams and the materialised lines are
 * computed from): every query is bounded by a position, so that pages read one after the other see one
 * set of facts; the read model writes facts in global order, so none appears later below a position
 * already seen.
 */
export interface FactsBound {
  /** Only facts up to this global position (included). */
  readonly upTo: Position;
  /** R-TIME-1: only facts recorded up to this instant (ISO 8601). */
  readonly knownAt?: string;
}

const COLUMNS = 'event_id, position_commit, position_prepare, recorded_at, stream_id, type, schema_version, data, reason';

function bounded(bound: FactsBound, params: unknown[]): string {
  params.push(bound.upTo.commit, bound.upTo.prepare);
  const where = [`(position_commit, position_prepare) <= ($${params.length - 1}::bigint, $${params.length}::bigint)`];
  if (bound.knownAt !== undefined) {
    params.push(bound.knownAt);
    where.push(`recorded_at <= $${params.length}::timestamptz`);
  }
  return where.join(' AND ');
}

/** The position of the last fact the read model holds (START when it holds none). */
export async function ledgerFactsHead(db: SqlExecutor, tables: TableNames<FeeLedgerTable>): Promise<Position> {
  const { rows } = await db.query<Pick<FactRow, 'position_commit' | 'position_prepare'>>(
    `SELECT position_commit, position_prepare FROM ${tables.fee_ledger_facts} ORDER BY position_commit DESC, position_prepare DESC LIMIT 1`,
  );
  return rows[0] ? { commit: Number(rows[0].position_commit), prepare: Number(rows[0].position_prepare) } : START;
}

/** The facts about every commune (catalogue, Syntec values), in global order. */
export async function readSharedLedgerFacts(db: SqlExecutor, tables: TableNames<FeeLedgerTable>, bound: FactsBound): Promise<LedgerFact[]> {
  const params: unknown[] = [];
  const { rows } = await db.query<FactRow>(
    `SELECT ${COLUMNS} FROM ${tables.fee_ledger_facts}
      WHERE commune_insee IS NULL AND ledger_year IS NULL AND ${bounded(bound, params)} ORDER BY position_commit, position_prepare`,
    params,
  );
  return rows.map(factOf);
}

/** The year's ledger issues (LedgerIssued), in global order. */
export async function readLedgerIssueFacts(
  db: SqlExecutor,
  tables: TableNames<FeeLedgerTable>,
  year: number,
  bound: FactsBound,
): Promise<LedgerFact[]> {
  const params: unknown[] = [year];
  const { rows } = await db.query<FactRow>(
    `SELECT ${COLUMNS} FROM ${tables.fee_ledger_facts}
      WHERE commune_insee IS NULL AND ledger_year = $1 AND ${bounded(bound, params)} ORDER BY position_commit, position_prepare`,
    params,
  );
  return rows.map(factOf);
}

/** Every commune some fact is about, in INSEE order (sorted here, whatever the database's collation). */
export async function readLedgerCommunes(db: SqlExecutor, tables: TableNames<FeeLedgerTable>, bound: FactsBound): Promise<string[]> {
  const params: unknown[] = [];
  const { rows } = await db.query<{ commune_insee: string }>(
    `SELECT DISTINCT commune_insee FROM ${tables.fee_ledger_facts} WHERE commune_insee IS NOT NULL AND ${bounded(bound, params)}`,
    params,
  );
  return rows.map((row) => row.commune_insee).sort(byCodeUnits);
}

/** These communes' own facts, each commune's in global order. */
export async function readCommunesLedgerFacts(
  db: SqlExecutor,
  tables: TableNames<FeeLedgerTable>,
  communes: readonly string[],
  bound: FactsBound,
): Promise<Map<string, LedgerFact[]>> {
  const params: unknown[] = [communes];
  const { rows } = await db.query<FactRow & { commune_insee: string }>(
    `SELECT ${COLUMNS}, commune_insee FROM ${tables.fee_ledger_facts}
      WHERE commune_insee = ANY($1::text[]) AND ${bounded(bound, params)} ORDER BY position_commit, position_prepare`,
    params,
  );
  const byCommune = new Map<string, LedgerFact[]>(communes.map((insee) => [insee, []]));
  for (const row of rows) byCommune.get(row.commune_insee)?.push(factOf(row));
  return byCommune;
}

/** The communes with a fact after `after` (up to the bound), and whether a fact about every commune is among them. */
export async function ledgerFactsChangedAfter(
  db: SqlExecutor,
  tables: TableNames<FeeLedgerTable>,
  after: Position,
  bound: FactsBound,
): Promise<{ shared: boolean; communes: string[] }> {
  const params: unknown[] = [after.commit, after.prepare];
  const { rows } = await db.query<{ commune_insee: string | null; issue: boolean }>(
    `SELECT DISTINCT commune_insee, ledger_year IS NOT NULL AS issue FROM ${tables.fee_ledger_facts}
      WHERE (position_commit, position_prepare) > ($1::bigint, $2::bigint) AND ${bounded(bound, params)}`,
    params,
  );
  return {
    // A ledger issue changes no line: the issued amounts are read beside the lines.
    shared: rows.some((row) => row.commune_insee === null && !row.issue),
    communes: rows.flatMap((row) => (row.commune_insee === null ? [] : [row.commune_insee])).sort(byCodeUnits),
  };
}

/** INSEE order as the ledger sorts its lines (JavaScript's `<` on strings). */
export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

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
