import { CONVENTION_STREAM_PREFIX, ConventionEvent, ConventionState, evolveConvention, noConvention } from '@lib/domain/convention';
import { Entitlement, communeEntitlements } from '@lib/domain/entitlements';
import { COMMUNE_STREAM_PREFIX, CommuneEvent, CommuneState, emptyCommune, evolveCommune } from '@lib/domain/reference';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { ProjectedEvent } from '../runner/projection';

/*
 * What a commune's access is derived from (communeEntitlements): each of its conventions and its own
 * reference facts (its legacy conventions), each stream folded into a state kept in a table of the
 * projection's (the entitlements and the feed projections each keep one, so each rebuilds alone).
 */

/** A stream that decides a commune's access, folded: a convention, or the commune's reference facts. */
export type CommuneSource =
  | { readonly kind: 'convention'; readonly communeInsee: string; readonly state: ConventionState }
  | { readonly kind: 'commune'; readonly communeInsee: string; readonly state: CommuneState };

/**
 * Pure: a convention or commune event evolves its stream's state (`before`, undefined for a stream not
 * seen yet). undefined for an event that says nothing about access: a stream of another kind, or a
 * convention stream not yet signed.
 */
export function evolveCommuneSource(
  streamId: string,
  before: CommuneSource['state'] | undefined,
  event: ConventionEvent | CommuneEvent,
): CommuneSource | undefined {
  if (streamId.startsWith(CONVENTION_STREAM_PREFIX)) {
    const state = evolveConvention((before as ConventionState | undefined) ?? noConvention(), event as ConventionEvent);
    return state.status === 'none' ? undefined : { kind: 'convention', communeInsee: state.communeInsee, state };
  }
  if (streamId.startsWith(COMMUNE_STREAM_PREFIX)) {
    const state = evolveCommune((before as CommuneState | undefined) ?? emptyCommune(), event as CommuneEvent);
    return { kind: 'commune', communeInsee: streamId.slice(COMMUNE_STREAM_PREFIX.length), state };
  }
  return undefined;
}

/** A commune's entitlements from its sources, as the domain derives them (communeEntitlements, the one place the rules live). */
export function entitlementsOf(sources: readonly CommuneSource[]): Entitlement[] {
  let commune = emptyCommune();
  const conventions: ConventionState[] = [];
  for (const source of sources) {
    if (source.kind === 'commune') commune = source.state;
    else conventions.push(source.state);
  }
  return communeEntitlements(commune, conventions);
}

/** Creates the sources table (and its index by commune) if missing. */
export async function setupCommuneSources(tx: SqlExecutor, table: string): Promise<void> {
  await tx.query(
    `CREATE TABLE IF NOT EXISTS ${table} (stream_id text PRIMARY KEY, commune_insee text NOT NULL, kind text NOT NULL, state jsonb NOT NULL)`,
  );
  await tx.query(`CREATE INDEX IF NOT EXISTS ${table}_by_commune ON ${table} (commune_insee)`);
}

/**
 * Folds one event into its stream's source: reads the state, evolves it, writes it back. Returns the
 * new source and the state before (for what changed), or undefined when the event says nothing about access.
 */
export async function foldCommuneSource(
  tx: SqlExecutor,
  table: string,
  { streamId, event }: ProjectedEvent,
): Promise<{ source: CommuneSource; before: CommuneSource['state'] | undefined } | undefined> {
  const { rows } = await tx.query<{ state: CommuneSource['state'] }>(`SELECT state FROM ${table} WHERE stream_id = $1`, [streamId]);
  const before = rows[0]?.state;
  const source = evolveCommuneSource(streamId, before, event as ConventionEvent | CommuneEvent);
  if (!source) return undefined;
  await tx.query(
    `INSERT INTO ${table} (stream_id, commune_insee, kind, state) VALUES ($1, $2, $3, $4)
     ON CONFLICT (stream_id) DO UPDATE SET state = EXCLUDED.state`,
    [streamId, source.communeInsee, source.kind, JSON.stringify(source.state)],
  );
  return { source, before };
}

/** A commune's sources in stream id order, byte order (COLLATE "C"): the same on every database, whatever its locale. */
export async function readCommuneSources(tx: SqlExecutor, table: string, communeInsee: string): Promise<CommuneSource[]> {
  const { rows } = await tx.query<CommuneSource>(
    `SELECT kind, commune_insee AS "communeInsee", state FROM ${table} WHERE commune_insee = $1 ORDER BY stream_id COLLATE "C"`,
    [communeInsee],
  );
  return rows;
}
