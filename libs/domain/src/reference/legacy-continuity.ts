import { CalendarDate, addDays } from '../shared/calendar-date';

/** R-LEG-2: the commune's convention must be signed on or before this day… */
export const TRANSITION_SIGNATURE_DEADLINE = '2025-12-31' as CalendarDate;
/** …and its annex for the service take effect on or before this day. */
export const TRANSITION_ANNEX_DEADLINE = '2026-01-01' as CalendarDate;
/** R-LEG-3: without continuity, legacy access ends on this day (included). */
export const LEGACY_END_WITHOUT_CONTINUITY = '2025-12-31' as CalendarDate;

/** What continuity needs of a convention; a folded ConventionState (active or ended) has it. */
export interface ContinuityConvention {
  readonly conventionId: string;
  readonly communeInsee: string;
  readonly signedOn: CalendarDate;
  readonly annexes: readonly { readonly serviceId: string; readonly from: CalendarDate; readonly until: CalendarDate | null }[];
}

export type Continuity =
  | { readonly continuity: true; readonly conventionId: string; readonly annexFrom: CalendarDate; readonly legacyLastDay: CalendarDate }
  | { readonly continuity: false; readonly legacyLastDay: CalendarDate };

/**
 * R-LEG-2 (Reading), the one place it is decided: continuity holds for a legacy convention's service
 * when one of the commune's conventions signed on or before 2025-12-31 has an annex for that service
 * taking effect on or before 2026-01-01. Legacy access then runs until the day before that annex
 * starts (the earliest, if several), with no gap. Otherwise it ends on 2025-12-31 (R-LEG-3).
 * Reading: an annex ended on its first day (until < from) never took effect, so it gives no continuity.
 * The offer need not match: the rule speaks of the service.
 */
export function legacyContinuity(
  legacy: { readonly communeInsee: string; readonly serviceId: string },
  conventions: readonly ContinuityConvention[],
): Continuity {
  let taking: { conventionId: string; annexFrom: CalendarDate } | undefined;
  for (const convention of conventions) {
    if (convention.communeInsee !== legacy.communeInsee || convention.signedOn > TRANSITION_SIGNATURE_DEADLINE) continue;
    for (const annex of convention.annexes) {
      const tookEffect = annex.until === null || annex.until >= annex.from;
      if (annex.serviceId !== legacy.serviceId || annex.from > TRANSITION_ANNEX_DEADLINE || !tookEffect) continue;
      if (!taking || annex.from < taking.annexFrom) taking = { conventionId: convention.conventionId, annexFrom: annex.from };
    }
  }
  if (!taking) return { continuity: false, legacyLastDay: LEGACY_END_WITHOUT_CONTINUITY };
  return { continuity: true, ...taking, legacyLastDay: addDays(taking.annexFrom, -1) };
}
