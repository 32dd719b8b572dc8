import { CalendarDate } from '../shared/calendar-date';
import { ConventionEvent } from './convention.events';
import { ActiveConvention, ConventionState, currentPeriod, evolveConvention } from './convention.state';
import { MAX_PERIODS, nextPeriod } from './period';

/**
 * R-CONV-4, R-CONV-5: the renewals and expiries due by `asOf`, in order. A period is over once `asOf`
 * is after its last day. Idempotent: on the state these events lead to, the same or an earlier
 * `asOf` gives nothing.
 */
export function dueLifecycleEvents(state: ConventionState, asOf: CalendarDate): ConventionEvent[] {
  const events: ConventionEvent[] = [];
  let convention = state;
  while (convention.status === 'active' && currentPeriod(convention).end < asOf) {
    const event = endOfCurrentPeriod(convention);
    events.push(event);
    convention = evolveConvention(convention, event);
  }
  return events;
}

function endOfCurrentPeriod(convention: ActiveConvention): ConventionEvent {
  const period = currentPeriod(convention);
  const { conventionId } = convention;
  // Reading: a notice given during the sixth period changes nothing, so that expiry keeps reason
  // `max_duration` (the cause that would have ended it anyway).
  if (period.number >= MAX_PERIODS)
    return { type: 'ConventionExpired', schemaVersion: 1, data: { conventionId, lastDay: period.end, reason: 'max_duration' } };
  if (convention.nonRenewal?.appliesToPeriod.number === period.number)
    return { type: 'ConventionExpired', schemaVersion: 1, data: { conventionId, lastDay: period.end, reason: 'not_renewed' } };
  const next = nextPeriod(period);
  return {
    type: 'ConventionRenewed',
    schemaVersion: 1,
    data: { conventionId, renewalNumber: period.number, period: { start: next.start, end: next.end } },
  };
}
