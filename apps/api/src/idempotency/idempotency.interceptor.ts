import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Response } from 'express';
import { Observable, from, of, switchMap } from 'rxjs';
import { AuthenticatedRequest } from '../auth/auth.guard';
import { ValidationProblem } from '../problem-details';
import { IdempotencyStore, StoredAnswer } from './idempotency.store';
import { HttpException, HttpStatus } from '@nestjs/common';

const KEY_FORMAT = /^[\x21-\x7e]{1,200}$/;
/** Response headers replayed with a stored answer. */
const REPLAYED_HEADERS = ['etag', 'location'];

export type IdempotentRequest = AuthenticatedRequest & {
  idempotencyKey?: string;
  /** The request's fingerprint under its Idempotency-Key (recorded on the events: CommandContext.requestHash). */
  idempotencyRequestHash?: string;
  /** Set by the command's presenter: its answer is made of the events one stream recorded (IdempotencyStore). */
  answerFromEvents?: boolean;
};

/**
 * API.md: the same Idempotency-Key with the same body returns the first answer and records nothing new;
 * with another body, 422. Keys are scoped by caller. Only successful answers are kept: a refused
 * command may be retried after the state changed. A retry that finds no kept answer (the API stopped
 * before keeping it, or the first try is still running) records nothing twice and answers the same:
 * event ids derive from the key (libs/application/ids), and a command whose events are already in its
 * stream answers with them (executeStreamCommand).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly answers: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<IdempotentRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const header = request.headers['idempotency-key'];
    if (header === undefined || request.method !== 'POST') return next.handle();
    if (typeof header !== 'string' || !KEY_FORMAT.test(header))
      throw new ValidationProblem([{ field: 'Idempotency-Key', message: 'must be 1 to 200 visible ASCII characters' }]);
    const scope = request.actor?.id ?? 'anonymous';
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.originalUrl}\n${requestFingerprintJson(request.body)}`)
      .digest('hex');
    request.idempotencyKey = header;
    request.idempotencyRequestHash = requestHash;

    return from(this.answers.find(scope, header)).pipe(
      switchMap((stored) => {
        if (stored) {
          if (stored.requestHash !== requestHash)
            throw new HttpException(
              {
                message: 'This Idempotency-Key was already used with another request',
                problem: { type: '/problems/idempotency-key-reused' },
              },
              HttpStatus.UNPROCESSABLE_ENTITY,
            );
          response.status(stored.status);
          for (const [name, value] of Object.entries(stored.headers)) response.setHeader(name, value);
          response.setHeader('Idempotent-Replayed', 'true');
          return of(stored.body);
        }
        return next.handle().pipe(
          switchMap((body) => {
            const headers: Record<string, string> = {};
            for (const name of REPLAYED_HEADERS) {
              const value = response.getHeader(name);
              if (typeof value === 'string') headers[name] = value;
            }
            const answer: StoredAnswer = { requestHash, status: response.statusCode, body: body as unknown, headers };
            if (request.answerFromEvents) return of(this.answers.keepAfter(scope, header, answer).body);
            return from(this.answers.save(scope, header, answer)).pipe(switchMap((kept) => of(kept.body)));
          }),
        );
      }),
    );
  }
}

/** JSON with sorted keys, so that the same body written in another key order is the same request. */
export function requestFingerprintJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(requestFingerprintJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${requestFingerprintJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}
