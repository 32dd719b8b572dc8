import { CONVENTION_EVENT_TYPES } from '@lib/domain/convention';
import { CommuneEventType } from '@lib/domain/reference';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { LedgerEventType } from '@lib/domain/ledger';
import { foldCommuneSource, readCommuneSources, setupCommuneSources } from '../commune-sources/commune-sources';
import { ProjectedEvent, Projection, TableNames, tableNames } from '../runner/projection';
import { feeLedgerIssued, reviseEntitlements, statusChangeOf, toFeedEvent } from './feed-derivation';
import { EntitlementSnapshot, FeedDraft } from './integration-events';

export type FeedTable = 'feed_sources' | 'feed_entitlements' | 'feed_events';

/**
 * The downstream feed (docs/integration-events.md): integration events derived from the domain events,
 * each at a position of its own (`seq`, 1, 2, 3… in the order they were derived).
 *
 * Entitlement events: the folded state of each convention and of each commune's reference facts is kept
 * (`feed_sources`); an event evolves its stream's state, the commune's entitlements are derived again by
 * the domain (communeEntitlements, the one place the rules live), regrouped into accesses and compared
 * with the last snapshots sent (`feed_entitlements`): each difference is an event. A convention's event
 * can change a legacy access too (R-LEG-2), hence the whole commune.
 *
 * Positions: the runner applies events one transaction at a time, in global order, holding the
 * checkpoint's lock, so `max(seq) + 1` is taken by one writer at a time and rows become visible in seq
 * order — a reader never sees a gap that fills later. Everything is derived from the events alone (no
 * clock), so a rebuild gives the same rows at the same positions.
 *
 * The steps themselves are pure (feed-derivation.ts: statusChangeOf, reviseEntitlements, feeLedgerIssued);
 * the sources are folded as the entitlements fold theirs (commune-sources.ts).
 */
export const feedProjection: Projection<FeedTable> = {
  name: 'feed',
  version: 1,
  tables: ['feed_sources', 'feed_entitlements', 'feed_events'],
  handles: [
    ...CONVENTION_EVENT_TYPES,
    CommuneEventType.LegacyConventionRecorded,
    CommuneEventType.LegacyAccessEnded,
    LedgerEventType.LedgerIssued,
  ],

  async setup(tx: SqlExecutor, tables: TableNames<FeedTable>): Promise<void> {
    await setupCommuneSources(tx, tables.feed_sources);
    // The last snapshot sent per access, as sent (text keeps the field order).
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${tables.feed_entitlements} (entitlement_id text PRIMARY KEY, commune_insee text NOT NULL, snapshot text NOT NULL)`,
    );
    await tx.query(`CREATE INDEX IF NOT EXISTS ${tables.feed_entitlements}_by_commune ON ${tables.feed_entitlements} (commune_insee)`);
    // body: the envelope as served, ready to write. services: null = names no service (every consumer).
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${tables.feed_events} (
         seq bigint PRIMARY KEY,
         type text NOT NULL,
         version integer NOT NULL,
         services text[],
         body text NOT NULL,
         source_commit bigint NOT NULL,
         source_prepare bigint NOT NULL
       )`,
    );
  },

  async apply(event: ProjectedEvent, tx: SqlExecutor, tables: TableNames<FeedTable>): Promise<void> {
    if (event.event.type === LedgerEventType.LedgerIssued) {
      await append(tx, tables, event, [feeLedgerIssued(event.event)]);
      return;
    }
    const folded = await foldCommuneSource(tx, tables.feed_sources, event);
    if (!folded) return; // a type of ours on a stream of another kind: not a fact about access
    const { source, before } = folded;
    const status = statusChangeOf(before, source);
    const entitlements = await reviseCommune(source.communeInsee, tx, tables);
    // The status first: a consumer sees the convention signed before its accesses, ended before they end.
    await append(tx, tables, event, status ? [status, ...entitlements] : entitlements);
  },
};

/** Derives the commune's accesses again, keeps the new snapshots, and returns what changed. */
async function reviseCommune(communeInsee: string, tx: SqlExecutor, tables: TableNames<FeedTable>): Promise<FeedDraft[]> {
  const sources = await readCommuneSources(tx, tables.feed_sources, communeInsee);
  const { rows: sent } = await tx.query<{ snapshot: string }>(`SELECT snapshot FROM ${tables.feed_entitlements} WHERE commune_insee = $1`, [
    communeInsee,
  ]);
  const before = new Map(
    sent.map((row) => JSON.parse(row.snapshot) as EntitlementSnapshot).map((snapshot) => [snapshot.entitlementId, snapshot]),
  );
  const { drafts, keep } = reviseEntitlements(sources, before);
  for (const snapshot of keep) {
    await tx.query(
      `INSERT INTO ${tables.feed_entitlements} (entitlement_id, commune_insee, snapshot) VALUES ($1, $2, $3)
       ON CONFLICT (entitlement_id) DO UPDATE SET snapshot = EXCLUDED.snapshot`,
      [snapshot.entitlementId, communeInsee, JSON.stringify(snapshot)],
    );
  }
  return drafts;
}

/** Gives the drafts the next positions, in order. */
async function append(tx: SqlExecutor, tables: TableNames<FeedTable>, source: ProjectedEvent, drafts: readonly FeedDraft[]): Promise<void> {
  if (drafts.length === 0) return;
  const { rows } = await tx.query<{ head: string | number | bigint }>(`SELECT coalesce(max(seq), 0) AS head FROM ${tables.feed_events}`);
  let seq = Number(rows[0].head);
  for (const draft of drafts) {
    seq += 1;
    await tx.query(
      `INSERT INTO ${tables.feed_events} (seq, type, version, services, body, source_commit, source_prepare) VALUES ($1, $2, $3, $4::text[], $5, $6, $7)`,
      [
        seq,
        draft.type,
        draft.version,
        draft.services,
        JSON.stringify(toFeedEvent(draft, seq, source.recordedAt)),
        source.position.commit,
        source.position.prepare,
      ],
    );
  }
}

/** The live tables' names. */
export const FEED_TABLES = tableNames(feedProjection);
