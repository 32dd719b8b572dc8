import { CONVENTION_EVENT_TYPES } from '@lib/domain/convention';
import { Entitlement, entitlementKey } from '@lib/domain/entitlements';
import { CommuneEventType } from '@lib/domain/reference';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { entitlementsOf, foldCommuneSource, readCommuneSources, setupCommuneSources } from '../commune-sources/commune-sources';
import { ProjectedEvent, Projection, TableNames, tableNames } from '../runner/projection';

export type EntitlementsTable = 'entitlement_sources' | 'entitlement_versions';

/**
 * Entitlements on both time axes (R-TIME-1). Valid time: each row is an interval [valid_from,
 * valid_until] of business dates. Recording time: each row is one VERSION of what was known, from the
 * event that made it true (recorded_from: position and instant) until the event that replaced it
 * (recorded_to; null while it is the current knowledge). So "in force on D as known at K" is one
 * indexed query over intervals, with no fold at read time, and every answer ever given can be given
 * again.
 *
 * How: the folded state of each convention and of each commune's reference facts is kept in
 * `entitlement_sources` (commune-sources.ts, the fold the feed projection shares); an event evolves its stream's state, then the commune's entitlements are
 * derived again by the domain's pure function (communeEntitlements, the one place the rules live) and
 * compared with the current versions: what disappeared is closed, what appeared is inserted. A
 * convention's event can change a legacy entitlement too (R-LEG-2), which is why the whole commune is
 * derived again.
 *
 * Recording instants never decrease along the global order (the stores set them so), so the versions
 * known at K are exactly those of the events recorded up to K.
 */
export const entitlementsProjection: Projection<EntitlementsTable> = {
  name: 'entitlements',
  version: 1,
  tables: ['entitlement_sources', 'entitlement_versions'],
  handles: [...CONVENTION_EVENT_TYPES, CommuneEventType.LegacyConventionRecorded, CommuneEventType.LegacyAccessEnded],

  async setup(tx: SqlExecutor, tables: TableNames<EntitlementsTable>): Promise<void> {
    await setupCommuneSources(tx, tables.entitlement_sources);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${tables.entitlement_versions} (
         commune_insee text NOT NULL,
         service_id text NOT NULL,
         offer_id text NOT NULL,
         valid_from text,
         valid_until text,
         source_kind text NOT NULL,
         source_id text NOT NULL,
         annex_from text,
         recorded_from_commit bigint NOT NULL,
         recorded_from_prepare bigint NOT NULL,
         recorded_from_at timestamptz NOT NULL,
         recorded_to_commit bigint,
         recorded_to_prepare bigint,
         recorded_to_at timestamptz
       )`,
    );
    await tx.query(
      `CREATE INDEX IF NOT EXISTS ${tables.entitlement_versions}_by_commune ON ${tables.entitlement_versions} (commune_insee, recorded_from_at)`,
    );
    await tx.query(
      `CREATE INDEX IF NOT EXISTS ${tables.entitlement_versions}_current ON ${tables.entitlement_versions} (commune_insee) WHERE recorded_to_commit IS NULL`,
    );
  },

  async apply(event: ProjectedEvent, tx: SqlExecutor, tables: TableNames<EntitlementsTable>): Promise<void> {
    const folded = await foldCommuneSource(tx, tables.entitlement_sources, event);
    if (!folded) return; // a type of ours written on a stream of another kind: not a fact about access
    await reviseCommune(folded.source.communeInsee, event, tx, tables);
  },
};

/** Derives the commune's entitlements again and records the difference as new versions. */
async function reviseCommune(
  communeInsee: string,
  event: ProjectedEvent,
  tx: SqlExecutor,
  tables: TableNames<EntitlementsTable>,
): Promise<void> {
  const sources = await readCommuneSources(tx, tables.entitlement_sources, communeInsee);
  const wanted = new Map(entitlementsOf(sources).map((entitlement) => [entitlementKey(entitlement), entitlement]));

  const { rows: current } = await tx.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM ${tables.entitlement_versions} WHERE commune_insee = $1 AND recorded_to_commit IS NULL`,
    [communeInsee],
  );
  for (const row of current) {
    const key = entitlementKey(entitlementOfRow(row));
    if (wanted.delete(key)) continue; // still true: the version stays open
    await tx.query(
      `UPDATE ${tables.entitlement_versions} SET recorded_to_commit = $1, recorded_to_prepare = $2, recorded_to_at = $3
       WHERE commune_insee = $4 AND recorded_to_commit IS NULL AND service_id = $5 AND offer_id = $6 AND source_kind = $7 AND source_id = $8
         AND valid_from IS NOT DISTINCT FROM $9 AND valid_until IS NOT DISTINCT FROM $10 AND annex_from IS NOT DISTINCT FROM $11`,
      [
        event.position.commit,
        event.position.prepare,
        event.recordedAt,
        communeInsee,
        row.service_id,
        row.offer_id,
        row.source_kind,
        row.source_id,
        row.valid_from,
        row.valid_until,
        row.annex_from,
      ],
    );
  }
  for (const entitlement of wanted.values()) {
    await tx.query(
      `INSERT INTO ${tables.entitlement_versions}
         (commune_insee, service_id, offer_id, valid_from, valid_until, source_kind, source_id, annex_from, recorded_from_commit, recorded_from_prepare, recorded_from_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        entitlement.communeInsee,
        entitlement.serviceId,
        entitlement.offerId,
        entitlement.from,
        entitlement.until,
        entitlement.source.kind,
        entitlement.source.id,
        entitlement.source.kind === 'convention' ? entitlement.source.annexFrom : null,
        event.position.commit,
        event.position.prepare,
        event.recordedAt,
      ],
    );
  }
}

export const VERSION_COLUMNS = 'commune_insee, service_id, offer_id, valid_from, valid_until, source_kind, source_id, annex_from';

export interface VersionRow {
  commune_insee: string;
  service_id: string;
  offer_id: string;
  valid_from: string | null;
  valid_until: string | null;
  source_kind: 'convention' | 'legacy';
  source_id: string;
  annex_from: string | null;
}

export function entitlementOfRow(row: VersionRow): Entitlement {
  return {
    communeInsee: row.commune_insee,
    serviceId: row.service_id,
    offerId: row.offer_id,
    from: row.valid_from as Entitlement['from'],
    until: row.valid_until as Entitlement['until'],
    source:
      row.source_kind === 'convention'
        ? { kind: 'convention', id: row.source_id, annexFrom: row.annex_from as Entitlement['from'] & string }
        : { kind: 'legacy', id: row.source_id },
  };
}

/** The live tables' names. */
export const ENTITLEMENTS_TABLES = tableNames(entitlementsProjection);
