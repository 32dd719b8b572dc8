import { CalendarDate, addDays, isCalendarDate, parisDateOf } from '@lib/domain/shared/calendar-date';
import { parsePosition } from '@lib/event-store/event-store.port';
import { AuditQuery } from '@lib/projections/audit';
import { parseInstant } from '../http/read-query';
import { FieldError, ValidationProblem } from '../problem-details';

export const AUDIT_PAGE = { default: 100, max: 1000 } as const;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
const ALLOWED = ['after', 'limit', 'type', 'actor', 'from', 'to', 'minPosition'];

/**
 * `GET /api/audit/events` filters: `after` a position (exclusive), `limit` 1..1000 (default 100),
 * `type` one event type or several separated by commas, `actor` an actor id, `from`/`to` recording
 * instants (both included) given as ISO 8601 instants, or as dates meaning the whole day in
 * Europe/Paris (`from=2026-03-01` from its first instant, `to=2026-03-01` to its last). Anything
 * malformed, unknown or contradictory is a 400 naming the field.
 */
export function parseAuditQuery(query: Record<string, unknown>): AuditQuery {
  const errors: FieldError[] = [];
  const result: AuditQuery = { limit: AUDIT_PAGE.default };
  for (const [name, value] of Object.entries(query)) {
    if (!ALLOWED.includes(name)) {
      errors.push({ field: name, message: `unknown query parameter; allowed: ${ALLOWED.join(', ')}` });
      continue;
    }
    if (typeof value !== 'string') {
      errors.push({ field: name, message: 'must be given once' });
      continue;
    }
    switch (name) {
      case 'after': {
        const position = parsePosition(value);
        if (position) result.after = position;
        else errors.push({ field: 'after', message: 'after must be a position, as given by `next` or a command' });
        break;
      }
      case 'limit': {
        const limit = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
        if (limit >= 1 && limit <= AUDIT_PAGE.max) result.limit = limit;
        else errors.push({ field: 'limit', message: `limit must be a whole number from 1 to ${AUDIT_PAGE.max}` });
        break;
      }
      case 'type': {
        const types = value.split(',');
        if (types.every((type) => EVENT_TYPE.test(type))) result.types = types;
        else
          errors.push({
            field: 'type',
            message: 'type must be an event type, or several separated by commas (e.g. AnnexAdded,ServiceStopped)',
          });
        break;
      }
      case 'actor':
        if (value.length > 0 && value.length <= 200) result.actor = value;
        else errors.push({ field: 'actor', message: 'actor must be an actor id (1 to 200 characters)' });
        break;
      case 'from':
      case 'to': {
        const instant = isCalendarDate(value) ? parisDayBound(value, name === 'from' ? 'start' : 'end') : parseInstant(value);
        if (instant) result[name] = instant;
        else
          errors.push({
            field: name,
            message: `${name} must be an ISO 8601 instant with its offset (2026-03-01T12:00:00Z) or a date (2026-03-01, a whole day in Europe/Paris)`,
            rule: 'R-TIME-1',
          });
        break;
      }
    }
  }
  if (result.from && result.to && result.from > result.to) errors.push({ field: 'to', message: 'to must not be before from' });
  if (errors.length > 0) throw new ValidationProblem(errors);
  return result;
}

/** The first (or last) instant of a day of the Europe/Paris calendar, in UTC (R-TIME-1). */
export function parisDayBound(day: CalendarDate, bound: 'start' | 'end'): string {
  const startOf = (d: CalendarDate) => {
    const utcMidnight = Date.parse(`${d}T00:00:00Z`);
    // Paris is UTC+1 or UTC+2: its midnight is 22:00 or 23:00 UTC the day before; take the earlier that is already that day.
    const start = [2, 1].map((hours) => utcMidnight - hours * 3_600_000).find((instant) => parisDateOf(new Date(instant)) === d)!;
    return start;
  };
  return new Date(bound === 'start' ? startOf(day) : startOf(addDays(day, 1)) - 1).toISOString();
}
