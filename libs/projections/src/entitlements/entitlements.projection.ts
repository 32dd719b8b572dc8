import { CONVENTION_EVENT_TYPES } from '@lib/domain/convention';
import { Entitlement, entitlementKey } from '@lib/domain/entitlements';
import { CommuneEventType } from '@lib/domain/reference';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { CommuneSourcesBatch, entitlementsOf, setupCommuneSources } from '../commune-sources/commune-sources';
import { ProjectedEvent, Projection, TableNames, applyOne, tableNames } from '../runner/projection';

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

  apply: applyOne(applyEntitlements),
  applyBatch: applyEntitlements,
};

/** A version of an entitlement, as the batch revises it: read open from the table, or opened by an event of the batch. */
interface Version {
  readonly entitlement: Entitlement;
  /** Opened by an event of this batch (absent: an open row of the table). */
  readonly from?: ProjectedEvent;
  /** Closed by an event of this batch. */
  to?: ProjectedEvent;
}

/**
 * Each event evolves its stream's source, then its commune's entitlements are derived again and compared
 * with the versions open at that point: what disappeared is closed, what appeared is opened, at that
 * event's position. Open versions of the touched communes are read once; the batch's versions are
 * inserted in one statement (those opened and closed within it with both ends), the table's closed in one.
 */
async function applyEntitlements(events: readonly ProjectedEvent[], tx: SqlExecutor, tables: TableNames<EntitlementsTable>): Promise<void> {
  const sources = await CommuneSourcesBatch.fold(tx, tables.entitlement_sources, events);
  const communes = [...new Set(sources.steps.flatMap((step) => (step ? [step.source.communeInsee] : [])))];
  if (communes.length === 0) return; // types of ours written on streams of another kind: not facts about access
  const open = new Map<string, Map<string, Version>>(communes.map((insee) => [insee, new Map()]));
  const { rows } = await tx.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM ${tables.entitlement_versions} WHERE commune_insee = ANY ($1::text[]) AND recorded_to_commit IS NULL`,
    [communes],
  );
  for (const row of rows) {
    const entitlement = entitlementOfRow(row);
    open.get(row.commune_insee)!.set(entitlementKey(entitlement), { entitlement });
  }
  const opened: Version[] = [];
  const closed: { version: Version; by: ProjectedEvent }[] = [];
  for (const step of sources.steps) {
    if (!step) continue;
    sources.advance(step);
    const communeInsee = step.source.communeInsee;
    const wanted = new Map(
      entitlementsOf(sources.sourcesOf(communeInsee)).map((entitlement) => [entitlementKey(entitlement), entitlement]),
    );
    const current = open.get(communeInsee)!;
    for (const [key, version] of current) {
      if (wanted.delete(key)) continue; // still true: the version stays open
      current.delete(key);
      if (version.from) version.to = step.event;
      else closed.push({ version, by: step.event });
    }
    for (const [key, entitlement] of wanted) {
      const version: Version = { entitlement, from: step.event };
      current.set(key, version);
      opened.push(version);
    }
  }
  await sources.write(tx, tables.entitlement_sources);
  if (closed.length > 0) {
    await tx.query(
      `UPDATE ${tables.entitlement_versions} v SET recorded_to_commit = c.to_commit, recorded_to_prepare = c.to_prepare, recorded_to_at = c.to_at
       FROM jsonb_to_recordset($1::jsonb) AS c(${RECORDSET_KEY}, to_commit bigint, to_prepare bigint, to_at timestamptz)
       WHERE v.commune_insee = c.commune_insee AND v.recorded_to_commit IS NULL AND v.service_id = c.service_id AND v.offer_id = c.offer_id
         AND v.source_kind = c.source_kind AND v.source_id = c.source_id AND v.valid_from IS NOT DISTINCT FROM c.valid_from
         AND v.valid_until IS NOT DISTINCT FROM c.valid_until AND v.annex_from IS NOT DISTINCT FROM c.annex_from`,
      [JSON.stringify(closed.map(({ version, by }) => ({ ...rowOf(version.entitlement), ...end('to', by) })))],
    );
  }
  if (opened.length > 0) {
    await tx.query(
      `INSERT INTO ${tables.entitlement_versions} (${VERSION_COLUMNS}, recorded_from_commit, recorded_from_prepare, recorded_from_at, recorded_to_commit, recorded_to_prepare, recorded_to_at)
       SELECT ${VERSION_COLUMNS}, from_commit, from_prepare, from_at, to_commit, to_prepare, to_at FROM jsonb_to_recordset($1::jsonb) AS r(${RECORDSET_KEY},
         from_commit bigint, from_prepare bigint, from_at timestamptz, to_commit bigint, to_prepare bigint, to_at timestamptz)`,
      [
        JSON.stringify(
          opened.map(({ entitlement, from, to }) => ({ ...rowOf(entitlement), ...end('from', from!), ...(to ? end('to', to) : {}) })),
        ),
      ],
    );
  }
}

/** The key columns as jsonb_to_recordset reads them. */
const RECORDSET_KEY =
  'commune_insee text, service_id text, offer_id text, valid_from text, valid_until text, source_kind text, source_id text, annex_from text';
function end(side: 'from' | 'to', event: ProjectedEvent): Record<string, unknown> {
  return { [`${side}_commit`]: event.position.commit, [`${side}_prepare`]: event.position.prepare, [`${side}_at`]: event.recordedAt };
}

function rowOf(entitlement: Entitlement): VersionRow {
  return {
    commune_insee: entitlement.communeInsee,
    service_id: entitlement.serviceId,
    offer_id: entitlement.offerId,
    valid_from: entitlement.from,
    valid_until: entitlement.until,
    source_kind: entitlement.source.kind,
    source_id: entitlement.source.id,
    annex_from: entitlement.source.kind === 'convention' ? entitlement.source.annexFrom : null,
  };
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
