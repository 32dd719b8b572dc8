/**
 * The public contract of the downstream feed (docs/integration-events.md): integration events, distinct
 * from the internal domain events and versioned on their own. Downstream systems (Toodego, laclasse.com,
 * finance) depend on these shapes only; a domain event may change shape, these may not (within a version
 * only additive changes). Every shape here has its JSON Schema in ./schemas.
 */

export const FEED_EVENT_TYPES = [
  'EntitlementGranted',
  'EntitlementChanged',
  'EntitlementEnded',
  'ConventionStatusChanged',
  'FeeLedgerIssued',
] as const;
export type FeedEventType = (typeof FEED_EVENT_TYPES)[number];

/** What every feed item looks like on the wire. */
export interface FeedEnvelope<T extends string = FeedEventType, D = unknown> {
  type: T;
  /** The version of this type's shape (not of the domain event behind it). */
  version: number;
  /** Opaque; grows in delivery order. A consumer stores the last one it handled and resumes after it. */
  position: string;
  /** When the fact behind it was recorded (ISO 8601 UTC). */
  occurredAt: string;
  data: D;
}

export interface OfferPeriod {
  offerId: string;
  /** null only for a legacy access in force since before 2025 (start unknown). */
  from: string | null;
  /** Last day included; null while it runs. */
  until: string | null;
}

export type EntitlementSourceRef = { kind: 'convention'; id: string; annexFrom: string } | { kind: 'legacy'; id: string };

/**
 * One access of a commune to a service: an annex period of a convention, or a legacy convention. Every
 * entitlement event carries its whole current state (event-carried state): a consumer's read model is
 * "the last snapshot per entitlementId", whatever the event's type.
 */
export interface EntitlementSnapshot {
  /** Stable: `convention/<conventionId>/<serviceId>/<annexFrom>` or `legacy/<insee>/<serviceId>`. */
  entitlementId: string;
  communeInsee: string;
  serviceId: string;
  /** The offer of the last offer period (the one in force at the end of the access). */
  offerId: string;
  /** First day of the access; null for a legacy access in force since before 2025. */
  from: string | null;
  /** Last day of the access; null while open. */
  until: string | null;
  /** The offers over the access, oldest first (R-ANX-4); at least one, except in a withdrawn access (empty). */
  offers: OfferPeriod[];
  source: EntitlementSourceRef;
}

export type EntitlementChange = 'offer' | 'from' | 'until';

export type EntitlementGrantedV1 = EntitlementSnapshot;
export interface EntitlementChangedV1 extends EntitlementSnapshot {
  /** What differs from the previous snapshot. */
  changes: EntitlementChange[];
  previous: { offerId: string; from: string | null; until: string | null };
}
export interface EntitlementEndedV1 extends EntitlementSnapshot {
  until: string;
  /** True when the access was withdrawn before it began (e.g. an annex stopped on its first day): never in force. */
  withdrawn: boolean;
}

export type ConventionStatusTransition = 'signed' | 'renewed' | 'non_renewal_notified' | 'terminated' | 'expired';

export interface ConventionStatusChangedV1 {
  conventionId: string;
  communeInsee: string;
  communeName: string;
  status: 'active' | 'ended';
  change: ConventionStatusTransition;
  signedOn: string;
  effectiveFrom: string;
  /** The latest recorded period (initial or renewal). */
  period: { number: number; start: string; end: string };
  /** While active after a non-renewal notice (R-CONV-5): the last day the convention will run; otherwise null (once ended: lastDay). */
  expiresAfter: string | null;
  /** Once ended: its last day (R-CONV-7); otherwise null. */
  lastDay: string | null;
  endReason: 'terminated' | 'not_renewed' | 'max_duration' | null;
}

export interface IssuedLineV1 {
  lineId: string;
  conventionId: string;
  communeInsee: string;
  communeName: string;
  serviceId: string;
  offerId: string;
  inForceFrom: string;
  inForceUntil: string;
  amountDue: string;
}

export interface IssuedRegularisationV1 {
  lineId: string;
  conventionId: string;
  communeInsee: string;
  communeName: string;
  serviceId: string;
  offerId: string;
  inForceFrom: string;
  inForceUntil: string;
  issuedAmount: string;
  currentAmount: string;
  difference: string;
  reason: 'line_added' | 'line_removed' | 'amount_changed';
}

export interface FeeLedgerIssuedV1 {
  year: number;
  issueNumber: number;
  kind: 'initial' | 'regularisation';
  lines: IssuedLineV1[];
  regularisations: IssuedRegularisationV1[];
  pendingLines: { lineId: string; communeInsee: string; serviceId: string; offerId: string; pendingReason: string }[];
  totals: { byCommune: { communeInsee: string; communeName: string; amount: string; entries: number }[]; grandTotal: string };
}

export type FeedEvent =
  | FeedEnvelope<'EntitlementGranted', EntitlementGrantedV1>
  | FeedEnvelope<'EntitlementChanged', EntitlementChangedV1>
  | FeedEnvelope<'EntitlementEnded', EntitlementEndedV1>
  | FeedEnvelope<'ConventionStatusChanged', ConventionStatusChangedV1>
  | FeedEnvelope<'FeeLedgerIssued', FeeLedgerIssuedV1>;

/**
 * An integration event before it has a position. `services`: the services it names — a consumer limited
 * to some services receives it only when every one is among them; null names none (every consumer).
 * Entitlement events name their service; a convention's status names none; a ledger issue names every
 * service it bills or lists.
 */
export type FeedDraft = {
  [E in FeedEvent as E['type']]: { type: E['type']; version: E['version']; data: E['data']; services: string[] | null };
}[FeedEvent['type']];
