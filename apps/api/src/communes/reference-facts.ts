import { CatalogueEvent } from '@lib/domain/catalogue';
import { CONVENTION_STREAM_PREFIX, ConventionEvent, ConventionState, evolveConvention, noConvention } from '@lib/domain/convention';
import { COMMUNE_STREAM_PREFIX, CommuneEvent, CommuneState, emptyCommune, evolveCommune } from '@lib/domain/reference';
import { toDomainEvent } from '@lib/domain/domain-events';
import { formatPosition } from '@lib/event-store/event-store.port';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { FEE_LEDGER_TABLES } from '@lib/projections/fee-ledger';

/**
 * What the list routes read: the facts of the fee-ledger read model (fee-ledger.projection.ts keeps
 * every convention, population, legacy convention, Syntec and catalogue event with its recording
 * instant), folded here by the domain's own evolve functions. So "as known at K" is exact (only facts
 * recorded up to K are folded), no read model is added, and a rebuild of the fee ledger rebuilds these.
 */
export interface FactsQuery {
  /** R-TIME-1: only facts recorded up to this instant. */
  readonly knownAt?: string;
  /** Only this commune's facts (conventions, populations, legacy conventions); the shared ones are read only without it. */
  readonly communeInsee?: string;
}

export interface RecordedFact<T = unknown> {
  readonly type: string;
  readonly data: T;
  readonly recordedAt: string;
  readonly position: string;
}

export interface FoldedFacts {
  /** Each convention as known, by id, in id order. */
  readonly conventions: Map<string, Exclude<ConventionState, { status: 'none' }>>;
  /** Each commune's reference facts (populations, legacy conventions), by INSEE code. */
  readonly communes: Map<string, CommuneState>;
  /** Every Syntec value recorded, in recording order (corrections included). */
  readonly syntec: RecordedFact<{ period: string; value: string; publishedOn: string; corrects?: unknown }>[];
  /** Every catalogue decision, in recording order. */
  readonly catalogue: RecordedFact<CatalogueEvent['data']>[];
}

interface Row {
  stream_id: string;
  type: string;
  data: Record<string, unknown> | string;
  schema_version: number | string;
  recorded_at: Date | string;
  position_commit: number | string;
  position_prepare: number | string;
}

export async function foldFacts(db: SqlExecutor, query: FactsQuery): Promise<FoldedFacts> {
  const params: unknown[] = [];
  const where = ['ledger_year IS NULL'];
  if (query.knownAt !== undefined) {
    params.push(query.knownAt);
    where.push(`recorded_at <= $${params.length}::timestamptz`);
  }
  if (query.communeInsee !== undefined) {
    params.push(query.communeInsee);
    where.push(`commune_insee = $${params.length}`);
  }
  const { rows } = await db.query<Row>(
    `SELECT stream_id, type, data, schema_version, recorded_at, position_commit, position_prepare FROM ${FEE_LEDGER_TABLES.fee_ledger_facts}
      WHERE ${where.join(' AND ')} ORDER BY position_commit, position_prepare`,
    params,
  );
  const conventions = new Map<string, ConventionState>();
  const communes = new Map<string, CommuneState>();
  const syntec: FoldedFacts['syntec'] = [];
  const catalogue: FoldedFacts['catalogue'] = [];
  for (const row of rows) {
    const raw = typeof row.data === 'string' ? (JSON.parse(row.data) as Record<string, unknown>) : row.data;
    // Upcast to the current shape, as the ledger reads its facts (ledger-facts.ts).
    const event = toDomainEvent({ type: row.type, schemaVersion: Number(row.schema_version), data: raw });
    if (row.stream_id.startsWith(CONVENTION_STREAM_PREFIX)) {
      const id = row.stream_id.slice(CONVENTION_STREAM_PREFIX.length);
      conventions.set(id, evolveConvention(conventions.get(id) ?? noConvention(), event as ConventionEvent));
    } else if (row.stream_id.startsWith(COMMUNE_STREAM_PREFIX)) {
      const insee = row.stream_id.slice(COMMUNE_STREAM_PREFIX.length);
      communes.set(insee, evolveCommune(communes.get(insee) ?? emptyCommune(), event as CommuneEvent));
    } else {
      const fact = {
        type: row.type,
        data: event.data,
        recordedAt: new Date(row.recorded_at).toISOString(),
        position: formatPosition({ commit: Number(row.position_commit), prepare: Number(row.position_prepare) }),
      };
      if (row.type === 'SyntecIndexRecorded') syntec.push(fact as FoldedFacts['syntec'][number]);
      else catalogue.push(fact as FoldedFacts['catalogue'][number]);
    }
  }
  const signed = [...conventions].filter(
    (entry): entry is [string, Exclude<ConventionState, { status: 'none' }>] => entry[1].status !== 'none',
  );
  return { conventions: new Map(signed.sort(([a], [b]) => compareConventionIds(a, b))), communes, syntec, catalogue };
}

/** 69123-2 after 69123-1, 69123-10 after 69123-9. */
function compareConventionIds(a: string, b: string): number {
  const [ia, na] = a.split('-');
  const [ib, nb] = b.split('-');
  return ia < ib ? -1 : ia > ib ? 1 : Number(na) - Number(nb);
}
