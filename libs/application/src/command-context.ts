import { randomUUID } from 'node:crypto';
import { EventMetadata } from '@lib/event-store/event-store.port';
import { eventIdsFor } from './ids';

/** Who records what no person asked for: the catalogue at first start, the daily lifecycle run. */
export const SYSTEM_ACTOR = { id: 'system', role: 'system' } as const;

/** Who asks, why, and the ids that tie the recorded events to this command (R-AUD-1). */
export interface CommandContext {
  actor: { id: string; role: string };
  commandId: string;
  correlationId: string;
  causationId?: string;
  reason?: string;
  legalReference?: string;
  /** With an Idempotency-Key, event ids derive from the command id (see ids.ts). */
  idempotent: boolean;
  /**
   * With an Idempotency-Key, the request's fingerprint, recorded on its events: a retry under the same key
   * whose kept answer was lost is answered from the events only if it is the same request (else 422).
   */
  requestHash?: string;
}

/** The context of a command the API issues itself; without an Idempotency-Key, so its event ids are random. */
export function systemCommandContext(reason: string, legalReference?: string): CommandContext {
  const commandId = randomUUID();
  return {
    actor: SYSTEM_ACTOR,
    commandId,
    correlationId: commandId,
    reason,
    ...(legalReference ? { legalReference } : {}),
    idempotent: false,
  };
}

export function metadataOf(context: CommandContext, overrides: Partial<EventMetadata> = {}): EventMetadata {
  const metadata: EventMetadata = {
    actor: context.actor,
    commandId: context.commandId,
    correlationId: context.correlationId,
    causationId: context.causationId ?? context.commandId,
    ...(context.reason ? { reason: context.reason } : {}),
    ...(context.legalReference ? { legalReference: context.legalReference } : {}),
    ...(context.requestHash ? { requestHash: context.requestHash } : {}),
    ...overrides,
  };
  return metadata;
}

/** One command may write several streams (the lifecycle run): each gets its own block of event ids. */
export function eventIdSource(context: CommandContext, scope = ''): (index: number) => string {
  return eventIdsFor(scope ? `${context.commandId}/${scope}` : context.commandId, context.idempotent);
}
