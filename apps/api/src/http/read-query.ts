import { CalendarDate } from '@lib/domain/shared/calendar-date';
import { Position, RecordedEvent, parsePosition } from '@lib/event-store/event-store.port';
import { FieldError, ValidationProblem } from '../problem-details';
import { isApiDate } from './validators';

export interface ReadQuery {
  on?: CalendarDate;
  /** ISO 8601 instant, normalised to UTC. */
  knownAt?: string;
  minPosition?: Position;
}

const INSTANT = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** An ISO 8601 instant with its offset, normalised to UTC; undefined when malformed or impossible (2026-02-30T…). */
export function parseInstant(value: string): string | undefined {
  const match = INSTANT.exec(value);
  if (!match || !isApiDate(match[1])) return undefined;
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) ? undefined : instant.toISOString();
}

/**
 * The query parameters shared by reads (API.md): `on` (a date), `knownAt` (an instant), `minPosition`.
 * Anything else, or a malformed value, is a 400 naming the field: a typo must not silently read "now".
 */
export function parseReadQuery(query: Record<string, unknown>, allowed: readonly string[]): ReadQuery {
  const errors: FieldError[] = [];
  const result: ReadQuery = {};
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.includes(name)) {
      errors.push({ field: name, message: `unknown query parameter; allowed: ${allowed.join(', ')}` });
      continue;
    }
    if (typeof value !== 'string') {
      errors.push({ field: name, message: 'must be given once' });
      continue;
    }
    if (name === 'on') {
      if (isApiDate(value)) result.on = value;
      else errors.push({ field: 'on', message: 'on must be a real calendar date YYYY-MM-DD (years 1900 to 2999)', rule: 'R-TIME-1' });
    } else if (name === 'knownAt') {
      const instant = parseInstant(value);
      if (instant) result.knownAt = instant;
      else
        errors.push({
          field: 'knownAt',
          message: 'knownAt must be an ISO 8601 instant with its offset, e.g. 2026-03-01T12:00:00Z',
          rule: 'R-TIME-1',
        });
    } else if (name === 'minPosition') {
      const position = parsePosition(value);
      if (position) result.minPosition = position;
      else errors.push({ field: 'minPosition', message: 'minPosition must be a position as returned by a command' });
    }
  }
  if (errors.length > 0) throw new ValidationProblem(errors);
  return result;
}

/** "As known at K": only facts recorded up to K (R-TIME-1). */
export function knownAtFilter(knownAt: string | undefined): ((event: RecordedEvent) => boolean) | undefined {
  if (!knownAt) return undefined;
  const limit = Date.parse(knownAt);
  return (event) => Date.parse(event.recordedAt) <= limit;
}
