import { BadRequestException } from '@nestjs/common';
import { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { CommandContext, StreamCommandResult, commandIdFor } from '@lib/application';
import { RecordedEvent, formatPosition } from '@lib/event-store/event-store.port';
import { Actor } from '../auth/actor';
import { IdempotentRequest } from '../idempotency/idempotency.interceptor';
import { ValidationProblem } from '../problem-details';

/** Every command body may carry `reason` and `legalReference` (API.md); the actor comes from the token. */
export function commandContextOf(request: IdempotentRequest, actor: Actor, body: { reason?: string; legalReference?: string }): CommandContext {
  const commandId = commandIdFor(actor.id, request.idempotencyKey);
  const correlation = request.headers['x-correlation-id'];
  return {
    actor: { id: actor.id, role: actor.role },
    commandId,
    correlationId: typeof correlation === 'string' && correlation.length > 0 && correlation.length <= 200 ? correlation : commandId,
    reason: body.reason,
    legalReference: body.legalReference,
    idempotent: request.idempotencyKey !== undefined,
  };
}

/** `If-Match: "3"` → 3; `*` (any version) → none. A malformed header is a 400, not an ignored precondition. */
export function expectedVersionOf(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match) throw new ValidationProblem([{ field: 'If-Match', message: 'must be a version as returned in ETag, e.g. "3"' }]);
  return Number(match[1]);
}

export interface CommandAnswer {
  version: number;
  position: string | null;
  events: Array<{ type: string; position: string; data: unknown }>;
}

/** The 2xx answer of a command, sent only once its events are stored; ETag carries the new version. */
export function commandAnswer(response: Response, result: StreamCommandResult): CommandAnswer {
  response.setHeader('ETag', `"${result.version}"`);
  return {
    version: result.version,
    position: result.position ? formatPosition(result.position) : null,
    events: result.recorded.map(eventSummary),
  };
}

export function eventSummary(event: RecordedEvent): { type: string; position: string; data: unknown } {
  return { type: event.type, position: formatPosition(event.position), data: event.data };
}

export function newCorrelationId(): string {
  return randomUUID();
}

export function badRequest(field: string, message: string): never {
  throw new ValidationProblem([{ field, message }]);
}

export { BadRequestException };
