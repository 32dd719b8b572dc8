import { HttpException } from '@nestjs/common';
import { CommandRefusedError, IdempotencyKeyReusedError, StaleVersionError } from '@lib/application/stream-command';
import { WrongExpectedRevisionError } from '@lib/event-store/event-store.port';
import { RefusalException, ValidationProblem } from '../problem-details';

/**
 * The `outcome` label of commands_total for a command that threw: the rule a refusal names (what an
 * operator wants to see climb), else the kind of failure. A bounded set, so the label never explodes.
 */
export function outcomeOf(error: unknown): string {
  if (error instanceof CommandRefusedError || error instanceof RefusalException) return error.refusal.rule;
  if (error instanceof ValidationProblem) return 'invalid';
  if (error instanceof StaleVersionError || error instanceof WrongExpectedRevisionError) return 'stale-version';
  if (error instanceof IdempotencyKeyReusedError) return 'idempotency-key-reused';
  if (error instanceof HttpException) return `http-${error.getStatus()}`;
  return 'error';
}
