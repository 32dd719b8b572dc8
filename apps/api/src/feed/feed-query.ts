import { Position, parsePosition } from '@lib/event-store/event-store.port';
import { parseFeedPosition } from '@lib/projections/feed';
import { FieldError, ValidationProblem } from '../problem-details';
import { FEED_PAGE_LIMIT } from './feed.config';

export interface FeedQuery {
  /** Exclusive; 0 (the default) is before the first event. */
  after: number;
  limit: number;
  minPosition?: Position;
}

const AFTER_MESSAGE = 'a position the feed gave (`position`, `next` or an SSE id), or 0 for the beginning';

/**
 * The query of `GET /api/feed` (`after`, `limit`, `minPosition`) or of `GET /api/feed/stream` (`after`
 * only; the Last-Event-ID header wins over it, since a reconnecting EventSource keeps its first URL).
 * Unknown, repeated or malformed parameters are a 400 naming each field.
 */
export function parseFeedQuery(
  query: Record<string, unknown>,
  allowed: ReadonlyArray<'after' | 'limit' | 'minPosition'>,
  lastEventId?: unknown,
): FeedQuery {
  const errors: FieldError[] = [];
  const result: FeedQuery = { after: 0, limit: FEED_PAGE_LIMIT.default };
  for (const [name, value] of Object.entries(query)) {
    if (!(allowed as readonly string[]).includes(name)) {
      errors.push({ field: name, message: `unknown query parameter; allowed: ${allowed.join(', ')}` });
      continue;
    }
    if (typeof value !== 'string') {
      errors.push({ field: name, message: 'must be given once' });
      continue;
    }
    if (name === 'after') {
      const after = parseFeedPosition(value);
      if (after !== undefined) result.after = after;
      else errors.push({ field: 'after', message: `after must be ${AFTER_MESSAGE}` });
    } else if (name === 'limit') {
      const limit = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
      if (limit >= 1 && limit <= FEED_PAGE_LIMIT.max) result.limit = limit;
      else errors.push({ field: 'limit', message: `limit must be a whole number from 1 to ${FEED_PAGE_LIMIT.max}` });
    } else {
      const position = parsePosition(value);
      if (position) result.minPosition = position;
      else errors.push({ field: 'minPosition', message: 'minPosition must be a position as returned by a command' });
    }
  }
  if (lastEventId !== undefined) {
    const after = typeof lastEventId === 'string' ? parseFeedPosition(lastEventId.trim()) : undefined;
    if (after !== undefined) result.after = after;
    else errors.push({ field: 'Last-Event-ID', message: `the Last-Event-ID header must be ${AFTER_MESSAGE}` });
  }
  if (errors.length > 0) throw new ValidationProblem(errors);
  return result;
}
