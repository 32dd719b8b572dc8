import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata, UseInterceptors, applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Response } from 'express';
import { Observable, map, tap } from 'rxjs';
import { StreamCommandResult } from '@lib/application';
import { formatPosition } from '@lib/event-store/event-store.port';
import { IdempotencyInterceptor, IdempotentRequest } from '../idempotency/idempotency.interceptor';
import { eventSummary } from './command-http';
import { Metrics } from '../operations/metrics';
import { outcomeOf } from '../operations/command-outcome';

/** The HTTP answer of a command: sent only once its events are stored. */
export interface HttpCommandAnswer {
  body: unknown;
  /** Sent as ETag: the stream's new version. */
  version?: number;
  /** Instead of the route's @HttpCode (e.g. 200 when nothing was recorded). */
  status?: number;
  location?: string;
}

export type CommandPresenter<R> = (result: R) => HttpCommandAnswer;

/**
 * API.md's command answer: `{ version, position, events }` after the fields the route adds to the
 * result (e.g. `conventionId`), in that order; ETag carries the version.
 */
export function streamAnswer<R extends StreamCommandResult>(result: R): HttpCommandAnswer {
  const { streamId: _streamId, replayed: _replayed, version, position, recorded, ...fields } = result;
  return {
    body: { ...fields, version, position: position ? formatPosition(position) : null, events: recorded.map(eventSummary) },
    version,
  };
}

const PRESENTER = Symbol('command presenter');

/** A stream command that recorded events: a retry finds them by their command id and answers the same. */
function recordedInOneStream(result: unknown): boolean {
  const { streamId, recorded } = (result ?? {}) as Partial<StreamCommandResult>;
  return typeof streamId === 'string' && Array.isArray(recorded) && recorded.length > 0;
}

/** Turns what a command route returns into its HTTP answer, with the presenter its @CommandRoute names. */
@Injectable()
export class CommandAnswerInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly metrics: Metrics,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const present =
      this.reflector.get<CommandPresenter<unknown> | undefined>(PRESENTER, context.getHandler()) ??
      (streamAnswer as CommandPresenter<unknown>);
    const response = context.switchToHttp().getResponse<Response>();
    const request = context.switchToHttp().getRequest<IdempotentRequest>();
    // The command's type for commands_total: its controller and handler (conventions.sign, …), a bounded set.
    const command = `${context
      .getClass()
      .name.replace(/Controller$/, '')
      .toLowerCase()}.${context.getHandler().name}`;
    return next.handle().pipe(
      tap({
        // A replay answered from the events (its kept answer lost) was counted when first accepted.
        next: (result: unknown) => {
          if (!(result as Partial<StreamCommandResult> | undefined)?.replayed) this.metrics.commands.inc({ command, outcome: 'accepted' });
        },
        error: (error: unknown) => this.metrics.commands.inc({ command, outcome: outcomeOf(error) }),
      }),
      map((result) => {
        request.answerFromEvents = recordedInOneStream(result);
        // Answered from the events its first try recorded (its kept answer was lost): a replay all the same.
        if ((result as Partial<StreamCommandResult> | undefined)?.replayed) response.setHeader('Idempotent-Replayed', 'true');
        const answer = present(result);
        if (answer.version !== undefined) response.setHeader('ETag', `"${answer.version}"`);
        if (answer.location !== undefined) response.setHeader('Location', answer.location);
        if (answer.status !== undefined) response.status(answer.status);
        return answer.body;
      }),
    );
  }
}

/**
 * A route that sends one command: it returns the command's result, `present` makes the HTTP answer of
 * it (streamAnswer by default). IdempotencyInterceptor comes first, so it is outside: it keeps (and
 * replays) the answer as presented, status, ETag and Location included.
 */
export function CommandRoute<R = StreamCommandResult>(present?: CommandPresenter<R>): MethodDecorator {
  return applyDecorators(
    ...(present ? [SetMetadata(PRESENTER, present)] : []),
    UseInterceptors(IdempotencyInterceptor, CommandAnswerInterceptor),
  );
}
