import { ExecutionContext, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import { CommandContext, commandIdFor } from '@lib/application';
import { RecordedEvent, formatPosition } from '@lib/event-store/event-store.port';
import { IdempotentRequest } from '../idempotency/idempotency.interceptor';
import { ValidationProblem } from '../problem-details';

/**
 * The command context of a command route: the actor from the token, the command id from the
 * Idempotency-Key (set by IdempotencyInterceptor, which runs before parameters are resolved), the
 * correlation id, and the `reason` and `legalReference` every command body may carry (API.md). The
 * route's @Body() validates those two; this reads them only when they are text, so it never throws on a
 * body the validation is about to refuse.
 */
export const CommandCtx = createParamDecorator((_: unknown, context: ExecutionContext): CommandContext => {
  const request = context.switchToHttp().getRequest<IdempotentRequest>();
  const actor = request.actor;
  if (!actor) throw new UnauthorizedException();
  const raw: unknown = request.body;
  const body = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const commandId = commandIdFor(actor.id, request.idempotencyKey);
  return {
    actor: { id: actor.id, role: actor.role },
    commandId,
    correlationId: correlationIdOf(request.headers['x-correlation-id']) ?? commandId,
    reason: textOrNone(body.reason),
    legalReference: textOrNone(body.legalReference),
    idempotent: request.idempotencyKey !== undefined,
    ...(request.idempotencyRequestHash ? { requestHash: request.idempotencyRequestHash } : {}),
  };
});

/**
 * The caller's X-Correlation-Id, recorded on every event the command causes (R-AUD-1). Absent, the
 * command is its own correlation; present but not 1 to 200 characters (or sent twice), a 400: read as
 * absent, the audit would silently lose the caller's link to its own records.
 */
function correlationIdOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header === 'string' && header.length > 0 && header.length <= 200) return header;
  throw new ValidationProblem([
    { field: 'X-Correlation-Id', message: 'must be one header of 1 to 200 characters', constraint: 'correlationId' },
  ]);
}

function textOrNone(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `If-Match: "3"` → 3; `*` (any version) → none. A malformed header is a 400, not an ignored precondition. */
export function expectedVersionOf(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match) throw new ValidationProblem([{ field: 'If-Match', message: 'must be a version as returned in ETag, e.g. "3"' }]);
  return Number(match[1]);
}

export function eventSummary(event: Pick<RecordedEvent, 'type' | 'position' | 'data'>): { type: string; position: string; data: unknown } {
  return { type: event.type, position: formatPosition(event.position), data: event.data };
}
