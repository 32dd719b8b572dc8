import { CONVENTION_EVENT_TYPES } from '@lib/domain/convention';
import { CommuneEventType } from '@lib/domain/reference';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';
import { LedgerEventType, LedgerIssued } from '@lib/domain/ledger';
import { CommuneSourcesBatch, setupCommuneSources } from '../commune-sources/commune-sources';
import { ProjectedEvent, Projection, TableNames, applyOne, tableNames } from '../runner/projection';
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

  apply: applyOne(applyFeed),
  applyBatch: applyFeed,
};

/**
 * Each event in order: a ledger issue is one integration event; a source event evolves its stream's
 * state, then its commune's accesses are derived again and compared with the last snapshots sent. The
 * touched communes' sources and snapshots and the feed's head are read once; the new feed events, the
 * snapshots and the sources are written in one statement each.
 */
async function applyFeed(events: readonly ProjectedEvent[], tx: SqlExecutor, tables: TableNames<FeedTable>): Promise<void> {
  const isIssue = (event: ProjectedEvent) => event.event.type === LedgerEventType.LedgerIssued;
  const sources = await CommuneSourcesBatch.fold(
    tx,
    tables.feed_sources,
    events.filter((event) => !isIssue(event)),
  );
  const communes = [...new Set(sources.steps.flatMap((step) => (step ? [step.source.communeInsee] : [])))];
  const sent = new Map<string, Map<string, EntitlementSnapshot>>(communes.map((insee) => [insee, new Map()]));
  if (communes.length > 0) {
    const { rows } = await tx.query<{ commune_insee: string; snapshot: string }>(
      `SELECT commune_insee, snapshot FROM ${tables.feed_entitlements} WHERE commune_insee = ANY ($1::text[])`,
      [communes],
    );
    for (const row of rows) {
      const snapshot = JSON.parse(row.snapshot) as EntitlementSnapshot;
      sent.get(row.commune_insee)!.set(snapshot.entitlementId, snapshot);
    }
  }
  const derived: { draft: FeedDraft; source: ProjectedEvent }[] = [];
  const kept = new Map<string, { communeInsee: string; snapshot: string }>();
  let next = 0;
  for (const event of events) {
    if (isIssue(event)) {
      derived.push({ draft: feeLedgerIssued(event.event as LedgerIssued), source: event });
      continue;
    }
    const step = sources.steps[next++];
    if (!step) continue; // a type of ours on a stream of another kind: not a fact about access
    sources.advance(step);
    const { communeInsee } = step.source;
    const status = statusChangeOf(step.before, step.source);
    const before = sent.get(communeInsee)!;
    const { drafts, keep } = reviseEntitlements(sources.sourcesOf(communeInsee), before);
    for (const snapshot of keep) {
      const text = JSON.stringify(snapshot);
      // As the table would give it back, for the next event of the commune.
      before.set(snapshot.entitlementId, JSON.parse(text) as EntitlementSnapshot);
      kept.set(snapshot.entitlementId, { communeInsee, snapshot: text });
    }
    // The status first: a consumer sees the convention signed before its accesses, ended before they end.
    for (const draft of status ? [status, ...drafts] : drafts) derived.push({ draft, source: event });
  }
  await sources.write(tx, tables.feed_sources);
  if (kept.size > 0) {
    await tx.query(
      `INSERT INTO ${tables.feed_entitlements} (entitlement_id, commune_insee, snapshot)
       SELECT entitlement_id, commune_insee, snapshot FROM jsonb_to_recordset($1::jsonb) AS r(entitlement_id text, commune_insee text, snapshot text)
       ON CONFLICT (entitlement_id) DO UPDATE SET snapshot = EXCLUDED.snapshot`,
      [
        JSON.stringify(
          [...kept].map(([entitlement_id, row]) => ({ entitlement_id, commune_insee: row.communeInsee, snapshot: row.snapshot })),
        ),
      ],
    );
  }
  await append(tx, tables, derived);
}

/** Gives the drafts the next positions, in order, in one statement. */
async function append(
  tx: SqlExecutor,
  tables: TableNames<FeedTable>,
  derived: readonly { draft: FeedDraft; source: ProjectedEvent }[],
): Promise<void> {
  if (derived.length === 0) return;
  const { rows } = await tx.query<{ head: string | number | bigint }>(`SELECT coalesce(max(seq), 0) AS head FROM ${tables.feed_events}`);
  const head = Number(rows[0].head);
  const rowsToInsert = derived.map(({ draft, source }, i) => ({
    seq: head + i + 1,
    type: draft.type,
    version: draft.version,
    services: draft.services,
    body: JSON.stringify(toFeedEvent(draft, head + i + 1, source.recordedAt)),
    source_commit: source.position.commit,
    source_prepare: source.position.prepare,
  }));
  await tx.query(
    `INSERT INTO ${tables.feed_events} (seq, type, version, services, body, source_commit, source_prepare)
     SELECT seq, type, version, services, body, source_commit, source_prepare FROM jsonb_to_recordset($1::jsonb)
       AS r(seq bigint, type text, version integer, services text[], body text, source_commit bigint, source_prepare bigint)`,
    [JSON.stringify(rowsToInsert)],
  );
}

/** The live tables' names. */
export const FEED_TABLES = tableNames(feedProjection);
