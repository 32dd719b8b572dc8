import { ConventionEvent, conventionStreamId, isConventionEvent } from '@lib/domain/convention';
import { CommuneEvent, communeStreamId, isCommuneEvent } from '@lib/domain/reference';
import { LedgerIssued } from '@lib/domain/ledger';
import { CommuneSource } from '../../commune-sources/commune-sources';
import { compareText, evolveFeedSource, feeLedgerIssued, reviseEntitlements, toFeedEvent } from '../feed-derivation';
import { EntitlementSnapshot, FeedDraft, FeedEvent } from '../integration-events';

/** A feed event with the services it names (what the `services` claim is matched against). */
export type FeedEventWithServices = FeedEvent & { services: string[] | null };

/**
 * The feed projection's steps (evolveFeedSource, reviseEntitlements, feeLedgerIssued) run against maps
 * instead of tables, for unit tests: the same pure functions, the same order, the same commune scoping.
 * The projection itself, with its SQL, is tested on PGlite (feed.property.int.spec.ts).
 */
export class InMemoryFeed {
  private readonly sources = new Map<string, CommuneSource>();
  private readonly sent = new Map<string, EntitlementSnapshot>();
  readonly events: FeedEventWithServices[] = [];
  private clock = Date.parse('2026-01-01T08:00:00.000Z');

  /** Applies domain events in order (each on its own stream, as recorded); returns the feed events they add. */
  record(...events: Array<ConventionEvent | CommuneEvent | LedgerIssued>): FeedEventWithServices[] {
    const added: FeedEventWithServices[] = [];
    for (const event of events) {
      const recordedAt = new Date((this.clock += 1000)).toISOString();
      for (const draft of this.derive(event)) {
        const withServices = { ...toFeedEvent(draft, this.events.length + 1, recordedAt), services: draft.services };
        this.events.push(withServices);
        added.push(withServices);
      }
    }
    return added;
  }

  private derive(event: ConventionEvent | CommuneEvent | LedgerIssued): FeedDraft[] {
    if (event.type === 'LedgerIssued') return [feeLedgerIssued(event)];
    const streamId = isConventionEvent(event)
      ? conventionStreamId(event.data.conventionId)
      : isCommuneEvent(event)
        ? communeStreamId(event.data.communeInsee)
        : undefined;
    if (!streamId) throw new Error(`Not a stream the feed follows: ${(event as { type: string }).type}`);
    const evolved = evolveFeedSource(streamId, this.sources.get(streamId)?.state, event);
    if (!evolved) return [];
    this.sources.set(streamId, evolved.source);
    const insee = evolved.source.communeInsee;
    const sources = [...this.sources.entries()]
      .filter(([, source]) => source.communeInsee === insee)
      .sort(([a], [b]) => compareText(a, b))
      .map(([, source]) => source);
    const sent = new Map([...this.sent].filter(([, snapshot]) => snapshot.communeInsee === insee));
    const { drafts, keep } = reviseEntitlements(sources, sent);
    for (const snapshot of keep) this.sent.set(snapshot.entitlementId, snapshot);
    return evolved.status ? [evolved.status, ...drafts] : drafts;
  }
}
