import { CalendarDate } from '../shared/calendar-date';
import { ConventionState } from '../convention/convention.state';
import { CommuneState } from '../reference/commune.state';
import { ContinuityConvention, legacyContinuity } from '../reference/legacy-continuity';

/** Where an access comes from: an annex of a convention (the convention and the annex's first day), or a legacy convention. */
export type EntitlementSource =
  { readonly kind: 'convention'; readonly id: string; readonly annexFrom: CalendarDate } | { readonly kind: 'legacy'; readonly id: string };

/**
 * A commune's access to one offer of one service over [from, until], both days included (R-TIME-3);
 * `until` null while it runs. `from` null only for a legacy convention whose start is unknown: in force
 * since before 2025 (R-LEG-1).
 */
export interface Entitlement {
  readonly communeInsee: string;
  readonly serviceId: string;
  readonly offerId: string;
  readonly from: CalendarDate | null;
  readonly until: CalendarDate | null;
  readonly source: EntitlementSource;
}

/** A legacy convention is one per commune and service (R-LEG-1): its id says which. */
export const legacySourceId = (communeInsee: string, serviceId: string): string => `${communeInsee}/${serviceId}`;

/**
 * The access a convention gives, as recorded in it: one interval per offer of each annex period.
 * The convention's fold already applies the rules that end access: a stop (R-ANX-3, last day
 * effectiveOn − 1), an offer change (R-ANX-4, the old offer ends the day before), termination and
 * expiry ending every annex (R-CONV-6, R-CONV-7). An interval ended before it began (an annex
 * stopped on its first day) never gave access and is left out.
 */
export function entitlementsOfConvention(state: ConventionState): Entitlement[] {
  if (state.status === 'none') return [];
  return state.annexes.flatMap((annex) =>
    annex.offers
      .filter((offer) => offer.until === null || offer.until >= offer.from)
      .map((offer) => ({
        communeInsee: state.communeInsee,
        serviceId: annex.serviceId,
        offerId: offer.offerId,
        from: offer.from,
        until: offer.until,
        source: { kind: 'convention' as const, id: state.conventionId, annexFrom: annex.from },
      })),
  );
}

/**
 * The access the commune's legacy conventions give (R-LEG-1..3), from its reference facts and its
 * conventions (folded states, in any order). A legacy access ends:
 * - with continuity (R-LEG-2, decided by legacyContinuity): the day before the continuing annex
 *   starts, as soon as that annex is recorded — so the access passes from one to the other with no
 *   gap and no overlap, whether or not the lifecycle has recorded LegacyAccessEnded yet;
 * - without continuity: on the last day the lifecycle recorded (R-LEG-3, LegacyAccessEnded, the
 *   latest correction counting). Until that is recorded the access stays open: the end is a
 *   time-driven fact, and a read never anticipates a fact nobody recorded (docs/audit.md).
 */
export function legacyEntitlements(commune: CommuneState, conventions: readonly ConventionState[]): Entitlement[] {
  const signed: ContinuityConvention[] = conventions.filter(
    (state): state is Exclude<ConventionState, { status: 'none' }> => state.status !== 'none',
  );
  return commune.legacyConventions.flatMap((legacy) => {
    const continuity = legacyContinuity(legacy, signed);
    const until = continuity.continuity ? continuity.legacyLastDay : (legacy.accessEnded?.lastDay ?? null);
    if (legacy.startDate !== null && until !== null && until < legacy.startDate) return [];
    return [
      {
        communeInsee: legacy.communeInsee,
        serviceId: legacy.serviceId,
        offerId: legacy.offerId,
        from: legacy.startDate,
        until,
        source: { kind: 'legacy' as const, id: legacySourceId(legacy.communeInsee, legacy.serviceId) },
      },
    ];
  });
}

/** Every access of one commune: its legacy conventions and each of its conventions, in a stable order. */
export function communeEntitlements(commune: CommuneState, conventions: readonly ConventionState[]): Entitlement[] {
  return [...legacyEntitlements(commune, conventions), ...conventions.flatMap(entitlementsOfConvention)].sort(compareEntitlements);
}

/** In force on `date` (R-TIME-3: from and until included). */
export function isInForceOn(entitlement: Entitlement, date: CalendarDate): boolean {
  return (entitlement.from === null || entitlement.from <= date) && (entitlement.until === null || date <= entitlement.until);
}

export function inForceOn(entitlements: readonly Entitlement[], date: CalendarDate): Entitlement[] {
  return entitlements.filter((entitlement) => isInForceOn(entitlement, date));
}

/** By commune, service, start (unknown first), offer, source. */
export function compareEntitlements(a: Entitlement, b: Entitlement): number {
  return (
    compareText(a.communeInsee, b.communeInsee) ||
    compareText(a.serviceId, b.serviceId) ||
    compareText(a.from ?? '', b.from ?? '') ||
    compareText(a.offerId, b.offerId) ||
    compareText(entitlementKey(a), entitlementKey(b))
  );
}

/** Identifies an entitlement with everything it says: two are the same fact when their keys are equal. */
export function entitlementKey(e: Entitlement): string {
  const annexFrom = e.source.kind === 'convention' ? e.source.annexFrom : '';
  return [e.communeInsee, e.serviceId, e.offerId, e.from ?? '', e.until ?? '', e.source.kind, e.source.id, annexFrom].join('|');
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
