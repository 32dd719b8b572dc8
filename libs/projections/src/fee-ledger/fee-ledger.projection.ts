import { CONVENTION_EVENT_TYPES, ConventionEventType } from '@lib/domain/convention';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { ProjectedEvent, Projection, TableNames, applyOne, tableNames } from '../runner/projection';
import { FeeLedgerTable } from './ledger-facts';
import { LEDGER_FACT_TYPES, LedgerEventType } from '@lib/domain/ledger';

/**
 * The fee ledger's read model: the facts a ledger is computed from, each with its recording instant
 * and global position, so that a ledger can be computed as known at any instant (R-TIME-1) or up to
 * any position (an issue). The computation itself is pure (libs/domain/src/ledger/ledger-lines.ts) and runs when asked:
 * a ledger is a function of the facts, never a stored copy that could drift from them.
 *
 * `commune_insee` is null for the facts about every commune (catalogue, Syntec, ledger issues);
 * `ledger_year` is set for a ledger issue only.
 */
export const feeLedgerProjection: Projection<FeeLedgerTable> = {
  name: 'fee-ledger',
  version: 1,
  tables: ['fee_ledger_facts'],
  handles: LEDGER_FACT_TYPES,

  async setup(tx: SqlExecutor, tables: TableNames<FeeLedgerTable>): Promise<void> {
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${tables.fee_ledger_facts} (
         event_id text PRIMARY KEY,
         position_commit bigint NOT NULL,
         position_prepare bigint NOT NULL,
         recorded_at timestamptz NOT NULL,
         stream_id text NOT NULL,
         type text NOT NULL,
         schema_version integer NOT NULL,
         commune_insee text,
         ledger_year integer,
         data jsonb NOT NULL,
         reason text
       )`,
    );
    await tx.query(
      `CREATE INDEX IF NOT EXISTS ${tables.fee_ledger_facts}_by_position ON ${tables.fee_ledger_facts} (position_commit, position_prepare)`,
    );
    await tx.query(`CREATE INDEX IF NOT EXISTS ${tables.fee_ledger_facts}_by_commune ON ${tables.fee_ledger_facts} (commune_insee)`);
    await tx.query(`CREATE INDEX IF NOT EXISTS ${tables.fee_ledger_facts}_by_stream ON ${tables.fee_ledger_facts} (stream_id)`);
  },

  apply: applyOne(applyFacts),
  applyBatch: applyFacts,
};

/** Every fact of the batch in one statement; the communes of conventions' later events looked up in one. */
async function applyFacts(events: readonly ProjectedEvent[], tx: SqlExecutor, tables: TableNames<FeeLedgerTable>): Promise<void> {
  const signedIn = await signatureCommunes(events, tx, tables);
  const rows = events.map((event) => {
    // Read from the current shape; stored as written, and upcast when read (ledger-facts.ts), as the audit shows it.
    const data = (event.event.data ?? {}) as Record<string, unknown> & { corrects?: { reason?: unknown } };
    const { type, schemaVersion, data: written } = event.recorded;
    const communeInsee = communeOf(event, data, signedIn);
    // Later events of the batch find the signature as a per-event insert would have left it in the table.
    if (type === ConventionEventType.ConventionSigned && !signedIn.has(event.streamId)) signedIn.set(event.streamId, communeInsee);
    return {
      event_id: event.id,
      position_commit: event.position.commit,
      position_prepare: event.position.prepare,
      recorded_at: event.recordedAt,
      stream_id: event.streamId,
      type,
      schema_version: schemaVersion,
      commune_insee: communeInsee,
      ledger_year: type === LedgerEventType.LedgerIssued ? Number(data.year) : null,
      data: written ?? {},
      reason:
        typeof data.corrects?.reason === 'string'
          ? data.corrects.reason
          : typeof event.metadata?.reason === 'string'
            ? event.metadata.reason
            : null,
    };
  });
  await tx.query(
    `INSERT INTO ${tables.fee_ledger_facts}
       (event_id, position_commit, position_prepare, recorded_at, stream_id, type, schema_version, commune_insee, ledger_year, data, reason)
     SELECT event_id, position_commit, position_prepare, recorded_at, stream_id, type, schema_version, commune_insee, ledger_year, data, reason
     FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, position_commit bigint, position_prepare bigint, recorded_at timestamptz,
       stream_id text, type text, schema_version integer, commune_insee text, ledger_year integer, data jsonb, reason text)
     ON CONFLICT (event_id) DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

/** The commune of each convention signed before the batch, for the batch's convention events that name none. */
async function signatureCommunes(
  events: readonly ProjectedEvent[],
  tx: SqlExecutor,
  tables: TableNames<FeeLedgerTable>,
): Promise<Map<string, string | null>> {
  const streams = [
    ...new Set(
      events
        .filter(
          (event) =>
            typeof (event.event.data as { communeInsee?: unknown } | undefined)?.communeInsee !== 'string' &&
            CONVENTION_TYPES.has(event.event.type),
        )
        .map((event) => event.streamId),
    ),
  ];
  if (streams.length === 0) return new Map();
  const { rows } = await tx.query<{ stream_id: string; commune_insee: string | null }>(
    `SELECT DISTINCT ON (stream_id) stream_id, commune_insee FROM ${tables.fee_ledger_facts}
     WHERE stream_id = ANY ($1::text[]) AND type = 'ConventionSigned'`,
    [streams],
  );
  return new Map(rows.map((row) => [row.stream_id, row.commune_insee]));
}

const CONVENTION_TYPES = new Set<string>(CONVENTION_EVENT_TYPES);

/** The commune a fact is about: in the data, or for a convention's later events, its signature's. */
function communeOf(event: ProjectedEvent, data: Record<string, unknown>, signedIn: ReadonlyMap<string, string | null>): string | null {
  if (typeof data.communeInsee === 'string') return data.communeInsee;
  if (!CONVENTION_TYPES.has(event.event.type)) return null;
  return signedIn.get(event.streamId) ?? null;
}

/** The live tables' names. */
export const FEE_LEDGER_TABLES = tableNames(feeLedgerProjection);
