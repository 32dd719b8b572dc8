import { ConventionEvent, ConventionState, currentPeriod, noConvention } from '@lib/domain/convention';
import { Entitlement } from '@lib/domain/entitlements';
import { CommuneEvent } from '@lib/domain/reference';
import { CommuneSource, entitlementsOf, evolveCommuneSource } from '../commune-sources/commune-sources';
import { CalendarDate, addDays } from '@lib/domain/shared/calendar-date';
import { LedgerIssued, lineIdentityOf } from '@lib/domain/ledger';
import {
  ConventionStatusChangedV1,
  ConventionStatusTransition,
  EntitlementChange,
  EntitlementSnapshot,
  FeedDraft,
  FeedEvent,
  FeeLedgerIssuedV1,
} from './integration-events';

/*
 * Pure: from what the domain derives to integration events. The rules of who may use what live in
 * @lib/domain/entitlements (communeEntitlements); here they are only regrouped and compared. The feed
 * projection runs these steps against its tables; the unit tests run them against maps.
 */

/**
 * Step 1 of a convention or commune event: its stream's new state (commune-sources.ts, the fold the
 * entitlements share) and, for a convention, the status change it makes (if any). undefined for an
 * event that says nothing about access.
 */
export function evolveFeedSource(
  streamId: string,
  before: CommuneSource['state'] | undefined,
  event: ConventionEvent | CommuneEvent,
): { source: CommuneSource; status: FeedDraft | undefined } | undefined {
  const source = evolveCommuneSource(streamId, before, event);
  return source && { source, status: statusChangeOf(before, source) };
}

/** The status change a convention's new state makes from the one before (none for a commune's reference facts). */
export function statusChangeOf(before: CommuneSource['state'] | undefined, source: CommuneSource): FeedDraft | undefined {
  return source.kind === 'convention'
    ? conventionStatusChange((before as ConventionState | undefined) ?? noConvention(), source.state)
    : undefined;
}

/**
 * Step 2: the commune's accesses derived again from all its sources (a convention's event can change a
 * legacy access, R-LEG-2) and compared with the last snapshots sent. `sources` in stream id order, so
 * that the derivation never depends on the order rows come back in.
 */
export function reviseEntitlements(
  sources: readonly CommuneSource[],
  sent: ReadonlyMap<string, EntitlementSnapshot>,
): { drafts: FeedDraft[]; keep: EntitlementSnapshot[] } {
  return diffSnapshots(sent, snapshotsOf(entitlementsOf(sources)));
}

/** The access an entitlement belongs to: one annex period of a convention, or one legacy convention. */
export function entitlementIdOf(entitlement: Entitlement): string {
  const { source, serviceId } = entitlement;
  return source.kind === 'convention' ? `convention/${source.id}/${serviceId}/${source.annexFrom}` : `legacy/${source.id}`;
}

/**
 * Groups a commune's entitlements (one per offer period, as the domain derives them) into accesses: the
 * offer periods of one annex period (R-ANX-4) or of one legacy convention, oldest first.
 */
export function snapshotsOf(entitlements: readonly Entitlement[]): Map<string, EntitlementSnapshot> {
  const groups = new Map<string, Entitlement[]>();
  for (const entitlement of entitlements) {
    const id = entitlementIdOf(entitlement);
    groups.set(id, [...(groups.get(id) ?? []), entitlement]);
  }
  const snapshots = new Map<string, EntitlementSnapshot>();
  for (const [entitlementId, group] of groups) {
    const periods = [...group].sort((a, b) => compareText(a.from ?? '', b.from ?? ''));
    const [first, last] = [periods[0], periods[periods.length - 1]];
    snapshots.set(entitlementId, {
      entitlementId,
      communeInsee: first.communeInsee,
      serviceId: first.serviceId,
      offerId: last.offerId,
      from: first.from,
      until: last.until,
      offers: periods.map(({ offerId, from, until }) => ({ offerId, from, until })),
      source:
        first.source.kind === 'convention'
          ? { kind: 'convention', id: first.source.id, annexFrom: first.source.annexFrom }
          : { kind: 'legacy', id: first.source.id },
    });
  }
  return snapshots;
}

/**
 * What changed between two derivations of one commune's accesses, as integration events in a stable
 * order (by entitlementId). `before` keeps withdrawn accesses (offers empty) so that one that comes back
 * is granted again. Returns the events and the snapshots to keep.
 */
export function diffSnapshots(
  before: ReadonlyMap<string, EntitlementSnapshot>,
  after: ReadonlyMap<string, EntitlementSnapshot>,
): { drafts: FeedDraft[]; keep: EntitlementSnapshot[] } {
  const drafts: FeedDraft[] = [];
  const keep: EntitlementSnapshot[] = [];
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort(compareText);
  for (const id of ids) {
    const previous = before.get(id);
    const next = after.get(id);
    const wasPresent = previous !== undefined && previous.offers.length > 0;
    const services = [(next ?? previous)!.serviceId];
    if (next && !wasPresent) {
      drafts.push({ type: 'EntitlementGranted', version: 1, data: next, services });
      keep.push(next);
    } else if (!next && wasPresent) {
      // The domain drops an access that ends before it begins (an annex stopped on its first day, a dated
      // legacy convention ended before its start): it never was in force. Such an access has a start.
      if (previous.from === null) throw new Error(`Entitlement ${id} withdrawn without a start`);
      const withdrawn: EntitlementSnapshot = { ...previous, until: addDays(previous.from as CalendarDate, -1), offers: [] };
      drafts.push({ type: 'EntitlementEnded', version: 1, data: { ...withdrawn, until: withdrawn.until!, withdrawn: true }, services });
      keep.push(withdrawn);
    } else if (next && previous) {
      const changes = changesBetween(previous, next);
      if (changes.length === 0) continue;
      if (previous.until === null && next.until !== null) {
        drafts.push({ type: 'EntitlementEnded', version: 1, data: { ...next, until: next.until, withdrawn: false }, services });
      } else {
        drafts.push({
          type: 'EntitlementChanged',
          version: 1,
          data: { ...next, changes, previous: { offerId: previous.offerId, from: previous.from, until: previous.until } },
          services,
        });
      }
      keep.push(next);
    }
  }
  return { drafts, keep };
}

function changesBetween(a: EntitlementSnapshot, b: EntitlementSnapshot): EntitlementChange[] {
  const changes: EntitlementChange[] = [];
  // The offer timeline without the access's own bounds: a moved start or end alone is not an offer change.
  const timeline = (s: EntitlementSnapshot) =>
    s.offers.map((o, i) => `${o.offerId}|${i === 0 ? '' : (o.from ?? '')}|${i === s.offers.length - 1 ? '' : (o.until ?? '')}`).join(';');
  if (timeline(a) !== timeline(b)) changes.push('offer');
  if (a.from !== b.from) changes.push('from');
  if (a.until !== b.until) changes.push('until');
  return changes;
}

/**
 * A convention's status as downstream systems see it, when an event changed it: signed, renewed (a new
 * period, R-CONV-4), a non-renewal notified (R-CONV-5), terminated or expired (R-CONV-6, R-CONV-7).
 * Annex events change no status (they are entitlement events).
 */
export function conventionStatusChange(before: ConventionState, after: ConventionState): FeedDraft | undefined {
  if (after.status === 'none') return undefined;
  let change: ConventionStatusTransition | undefined;
  if (before.status === 'none') change = 'signed';
  else if (before.status === 'active' && after.status === 'ended') change = after.end.reason === 'terminated' ? 'terminated' : 'expired';
  else if (after.periods.length > before.periods.length) change = 'renewed';
  else if (before.nonRenewal === null && after.nonRenewal !== null) change = 'non_renewal_notified';
  if (!change) return undefined;
  const period = currentPeriod(after);
  const data: ConventionStatusChangedV1 = {
    conventionId: after.conventionId,
    communeInsee: after.communeInsee,
    communeName: after.communeName,
    status: after.status,
    change,
    signedOn: after.signedOn,
    effectiveFrom: after.effectiveFrom,
    period: { number: period.number, start: period.start, end: period.end },
    // Only while it runs: once ended, lastDay says when (a termination may come before the notified end).
    expiresAfter: after.status === 'active' && after.nonRenewal ? after.nonRenewal.appliesToPeriod.end : null,
    lastDay: after.status === 'ended' ? after.end.lastDay : null,
    endReason: after.status === 'ended' ? after.end.reason : null,
  };
  return { type: 'ConventionStatusChanged', version: 1, data, services: null };
}

/** A ledger issue as the finance system needs it: what is billed (or credited), per line and commune. */
export function feeLedgerIssued({ data }: Pick<LedgerIssued, 'data'>): FeedDraft {
  const issued: FeeLedgerIssuedV1 = {
    year: data.year,
    issueNumber: data.issueNumber,
    kind: data.issueNumber === 1 ? 'initial' : 'regularisation',
    lines: data.lines.map((line) => {
      // An issue holds final lines only: a missing amount is a broken event, never a silent 0.00 billed.
      if (line.amountDue === null) throw new Error(`Ledger ${data.year} issue ${data.issueNumber}: line ${line.lineId} has no amount due`);
      return { ...lineIdentityOf(line), amountDue: line.amountDue };
    }),
    // Field by field: the public shape must not grow when the internal event does.
    regularisations: data.regularisations.map((r) => ({
      ...lineIdentityOf(r),
      issuedAmount: r.issuedAmount,
      currentAmount: r.currentAmount,
      difference: r.difference,
      reason: r.reason,
    })),
    pendingLines: data.pendingLines.map(({ lineId, communeInsee, serviceId, offerId, pendingReason }) => ({
      lineId,
      communeInsee,
      serviceId,
      offerId,
      pendingReason,
    })),
    totals: {
      byCommune: data.totals.byCommune.map(({ communeInsee, communeName, amount, entries }) => ({
        communeInsee,
        communeName,
        amount,
        entries,
      })),
      grandTotal: data.totals.grandTotal,
    },
  };
  const services = [...new Set([...issued.lines, ...issued.regularisations, ...issued.pendingLines].map((line) => line.serviceId))].sort(
    compareText,
  );
  return { type: 'FeeLedgerIssued', version: 1, data: issued, services: services.length > 0 ? services : null };
}

/** The envelope of a draft at its position; occurredAt is the instant its source event was recorded. */
export function toFeedEvent(draft: FeedDraft, seq: number, occurredAt: string): FeedEvent {
  return { type: draft.type, version: draft.version, position: String(seq), occurredAt, data: draft.data } as FeedEvent;
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
