import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Response } from 'express';
import { DuplicateEventIdError, HorizonTimeoutError, WrongExpectedRevisionError } from '@lib/event-store/event-store.port';
import { CommandRefusedError, IdempotencyKeyReusedError, StaleVersionError } from '@lib/application/stream-command';
import { isConnectionFailure } from '@lib/event-store/sql/connection-failure';
import { RefusalException, ValidationProblem } from './problem-details';
import { IdentityProviderUnavailableError } from './auth/token-verifier';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  503: 'Service Unavailable',
};

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

/**
 * The one place an error becomes an HTTP answer: RFC 9457 problem+json. A domain refusal names its rule;
 * a stale version is 409; anything unexpected is logged and answered 500 without internals.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    const problem = this.toProblem(exception);
    if (problem.status >= 500 && problem.status !== 503)
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    // API.md: a read that waited for its read model in vain says when to come back.
    if (problem.status === 503) response.setHeader('Retry-After', '1');
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  private toProblem(exception: unknown): Problem {
    if (exception instanceof CommandRefusedError) return this.toProblem(new RefusalException(exception.refusal));
    if (exception instanceof ValidationProblem)
      return {
        type: '/problems/validation',
        title: 'Invalid request',
        status: 400,
        detail: 'One or more fields are invalid',
        errors: exception.errors,
      };
    if (exception instanceof RefusalException) {
      const { rule, code, detail, facts, category } = exception.refusal;
      const status = exception.getStatus();
      return {
        type: `/problems/${code}`,
        title: category === 'conflict' ? 'Conflict' : 'Refused by a business rule',
        status,
        detail,
        rule,
        code,
        facts,
      };
    }
    // `/problems/stale-version`: `ifMatch` is the version the command was based on (the If-Match sent;
    // "0" for a resource it was to create), `etag` the current one, both in the ETag's terms.
    if (exception instanceof StaleVersionError)
      return {
        type: '/problems/stale-version',
        title: 'Conflict',
        status: 409,
        detail: `If-Match "${exception.ifMatch}" is not the current version "${exception.current}" (ETag): the resource changed since you read it; read it again and retry`,
        ifMatch: `"${exception.ifMatch}"`,
        etag: `"${exception.current}"`,
      };
    // Concurrent commands without If-Match, each decided again on fresh state, lost every attempt.
    if (exception instanceof WrongExpectedRevisionError)
      return {
        type: '/problems/stale-version',
        title: 'Conflict',
        status: 409,
        detail: 'The resource kept changing while the command was decided: read it again and retry',
        ...(exception.actual === 'no_stream' ? {} : { etag: `"${exception.actual + 1}"` }),
      };
    if (exception instanceof HorizonTimeoutError || isConnectionFailure(exception))
      return {
        type: '/problems/store-unavailable',
        title: 'Service Unavailable',
        status: 503,
        detail: 'The event store cannot answer completely right now; retry shortly',
      };
    if (exception instanceof IdentityProviderUnavailableError)
      return {
        type: '/problems/identity-provider-unavailable',
        title: 'Service Unavailable',
        status: 503,
        detail: 'The identity provider cannot be reached to check the token (JWT_JWKS_URL); retry shortly',
      };
    if (exception instanceof IdempotencyKeyReusedError)
      return {
        type: '/problems/idempotency-key-reused',
        title: TITLES[422],
        status: 422,
        detail: 'This Idempotency-Key was already used with another request',
      };
    if (exception instanceof DuplicateEventIdError)
      return { type: '/problems/duplicate-event', title: 'Conflict', status: 409, detail: exception.message };
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const detail = typeof body === 'string' ? body : (messageOf(body) ?? exception.message);
      const extra =
        typeof body === 'object' && body !== null && 'problem' in body ? (body as { problem: Record<string, unknown> }).problem : {};
      return { type: 'about:blank', title: TITLES[status] ?? HttpStatus[status] ?? 'Error', status, detail, ...extra };
    }
    // body-parser errors (malformed JSON, too large) reach here as plain errors with a status.
    const status = statusOf(exception);
    if (status && status >= 400 && status < 500) {
      const detail = status === 400 ? 'The body is not valid JSON' : exception instanceof Error ? exception.message : 'Bad request';
      return { type: status === 400 ? '/problems/malformed-body' : 'about:blank', title: TITLES[status] ?? 'Bad Request', status, detail };
    }
    return { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred; it has been logged' };
  }
}

/**
 * The database cannot answer right now (down, restarting, unreachable, hung, too many connections, or one
 * of our timeouts hit): not the client's fault, and transient. The list lives with the pool that meets them.
 */
function messageOf(body: object): string | undefined {
  const message = (body as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return undefined;
}

function statusOf(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const candidate = (exception as { status?: unknown; statusCode?: unknown }).status ?? (exception as { statusCode?: unknown }).statusCode;
  return typeof candidate === 'number' ? candidate : undefined;
}
