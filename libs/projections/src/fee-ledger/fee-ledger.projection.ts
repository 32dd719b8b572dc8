import { CONVENTION_EVENT_TYPES } from '@lib/domain/convention';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { ProjectedEvent, Projection, TableNames, tableNames } from '../runner/projection';
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

  async apply(event: ProjectedEvent, tx: SqlExecutor, tables: TableNames<FeeLedgerTable>): Promise<void> {
    // Read from the current shape; stored as written, and upcast when read (ledger-facts.ts), as the audit shows it.
    const data = (event.event.data ?? {}) as Record<string, unknown> & { corrects?: { reason?: unknown } };
    const { type, schemaVersion, data: written } = event.recorded;
    const communeInsee = await communeOf(event, data, tx, tables);
    const ledgerYear = type === LedgerEventType.LedgerIssued ? Number(data.year) : null;
    const reason =
      typeof data.corrects?.reason === 'string'
        ? data.corrects.reason
        : typeof event.metadata?.reason === 'string'
          ? event.metadata.reason
          : null;
    await tx.query(
      `INSERT INTO ${tables.fee_ledger_facts}
         (event_id, position_commit, position_prepare, recorded_at, stream_id, type, schema_version, commune_insee, ledger_year, data, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (event_id) DO NOTHING`,
      [
        event.id,
        event.position.commit,
        event.position.prepare,
        event.recordedAt,
        event.streamId,
        type,
        schemaVersion,
        communeInsee,
        ledgerYear,
        JSON.stringify(written ?? {}),
        reason,
      ],
    );
  },
};

/** The commune a fact is about: in the data, or for a convention's later events, its signature's. */
async function communeOf(
  event: ProjectedEvent,
  data: Record<string, unknown>,
  tx: SqlExecutor,
  tables: TableNames<FeeLedgerTable>,
): Promise<string | null> {
  if (typeof data.communeInsee === 'string') return data.communeInsee;
  if (!(CONVENTION_EVENT_TYPES as readonly string[]).includes(event.event.type)) return null;
  const { rows } = await tx.query<{ commune_insee: string | null }>(
    `SELECT commune_insee FROM ${tables.fee_ledger_facts} WHERE stream_id = $1 AND type = 'ConventionSigned' LIMIT 1`,
    [event.streamId],
  );
  return rows[0]?.commune_insee ?? null;
}

/** The live tables' names. */
export const FEE_LEDGER_TABLES = tableNames(feeLedgerProjection);
