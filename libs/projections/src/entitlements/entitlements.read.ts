import { CalendarDate } from '@lib/domain/shared/calendar-date';
import { Entitlement, compareEntitlements } from '@lib/domain/entitlements';
import { Position } from '@lib/event-store/event-store.port';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { TableNames } from '../runner/projection';
import { EntitlementsTable, VERSION_COLUMNS, VersionRow, entitlementOfRow } from './entitlements.projection';

export interface EntitlementQuery {
  /** One commune, or every commune. */
  communeInsee?: string;
  /** Valid time: in force on this day (R-TIME-3). Undefined: every interval, whatever its dates. */
  on?: CalendarDate;
  /** Recording time: as known at this instant (facts recorded up to it, R-TIME-1)… */
  knownAt?: string;
  /** …or as known right after this position of the global order. Neither: as known now. */
  asOfPosition?: Position;
  /** Only these services (a consumer's `services` claim). */
  services?: readonly string[];
}

/** The entitlements of the read model on both axes, ordered by commune, service, start, offer (compareEntitlements). */
export async function readEntitlements(
  db: SqlExecutor,
  tables: TableNames<EntitlementsTable>,
  query: EntitlementQuery,
): Promise<Entitlement[]> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (query.communeInsee !== undefined) conditions.push(`commune_insee = ${param(query.communeInsee)}`);
  if (query.on !== undefined) {
    const on = param(query.on);
    conditions.push(`(valid_from IS NULL OR valid_from <= ${on}) AND (valid_until IS NULL OR valid_until >= ${on})`);
  }
  if (query.knownAt !== undefined) {
    const at = param(query.knownAt);
    conditions.push(`recorded_from_at <= ${at}::timestamptz AND (recorded_to_at IS NULL OR recorded_to_at > ${at}::timestamptz)`);
  } else if (query.asOfPosition !== undefined) {
    const [commit, prepare] = [param(query.asOfPosition.commit), param(query.asOfPosition.prepare)];
    conditions.push(
      `(recorded_from_commit, recorded_from_prepare) <= (${commit}::bigint, ${prepare}::bigint)
       AND (recorded_to_commit IS NULL OR (recorded_to_commit, recorded_to_prepare) > (${commit}::bigint, ${prepare}::bigint))`,
    );
  } else {
    conditions.push('recorded_to_commit IS NULL');
  }
  if (query.services !== undefined) conditions.push(`service_id = ANY (${param([...query.services])}::text[])`);
  const { rows } = await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM ${tables.entitlement_versions}
     WHERE ${conditions.join(' AND ')}`,
    params,
  );
  // Sorted here, not by SQL: the database's collation may order text otherwise than the domain does.
  return rows.map(entitlementOfRow).sort(compareEntitlements);
}
