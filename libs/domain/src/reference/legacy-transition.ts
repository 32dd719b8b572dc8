import { CalendarDate } from '../shared/calendar-date';
import { LegacyAccessEnded } from './commune.events';
import { CommuneState } from './commune.state';
import { ContinuityConvention, legacyContinuity } from './legacy-continuity';

/**
 * R-LEG-2, R-LEG-3: the legacy access ends due by `asOf` (once `asOf` is after the last day), one per
 * legacy convention, from the commune's conventions as known now. Idempotent: nothing when the
 * recorded end already says the same. When later facts change the outcome (a convention signed in
 * 2025 but recorded late, an annex cancelled), the new outcome is recorded as a correction.
 */
export function dueLegacyAccessEnds(
  commune: CommuneState,
  conventions: readonly ContinuityConvention[],
  asOf: CalendarDate,
): LegacyAccessEnded[] {
  const events: LegacyAccessEnded[] = [];
  for (const legacy of commune.legacyConventions) {
    const outcome = legacyContinuity(legacy, conventions);
    if (asOf <= outcome.legacyLastDay) continue;
    const reason = outcome.continuity ? 'continued_by_convention' : 'no_continuity';
    const conventionId = outcome.continuity ? outcome.conventionId : null;
    const recorded = legacy.accessEnded;
    if (recorded && recorded.lastDay === outcome.legacyLastDay && recorded.reason === reason && recorded.conventionId === conventionId)
      continue;
    events.push({
      type: 'LegacyAccessEnded',
      schemaVersion: 1,
      data: {
        communeInsee: legacy.communeInsee,
        serviceId: legacy.serviceId,
        lastDay: outcome.legacyLastDay,
        reason,
        conventionId,
        annexFrom: outcome.continuity ? outcome.annexFrom : null,
        ...(recorded ? { corrects: { lastDay: recorded.lastDay, reason: recorded.reason, conventionId: recorded.conventionId } } : {}),
      },
    });
  }
  return events;
}
