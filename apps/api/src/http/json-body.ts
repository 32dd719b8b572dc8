import { HttpException, HttpStatus } from '@nestjs/common';
import { NextFunction, Request, Response, json } from 'express';
import { ValidationProblem } from '../problem-details';
import { hostileInputErrors } from './hostile-input';

const JSON_TYPES = ['application/json', 'application/*+json'];
/** Express's default limit: a command body is a few hundred bytes, anything near this is not a command. */
export const BODY_LIMIT = '100kb';
const parseJson = json({ type: JSON_TYPES, limit: BODY_LIMIT, strict: true });

/**
 * API.md: bodies are JSON objects. The one body parser of the API (Nest's own is switched off in
 * bootstrap.ts): a body in another format is 415 (a form-encoded body is not silently read as strings);
 * JSON that does not parse, or that is an array, a string or null, is a 400 naming the field `body`;
 * text no field may hold, too deep a nesting or a prototype key is a 400 naming each field
 * (hostile-input.ts), before any interceptor, pipe or class-transformer walks the body.
 */
export function jsonBody(request: Request, response: Response, next: NextFunction): void {
  if (!hasBody(request)) return next();
  if (!request.is(JSON_TYPES)) {
    next(new HttpException('The body must be JSON, sent with Content-Type: application/json', HttpStatus.UNSUPPORTED_MEDIA_TYPE));
    return;
  }
  parseJson(request, response, (error?: unknown) => {
    if (error) return next(bodyError(error));
    const body: unknown = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return next(new ValidationProblem([{ field: 'body', message: 'must be a JSON object' }]));
    const errors = hostileInputErrors(body);
    next(errors.length > 0 ? new ValidationProblem(errors) : undefined);
  });
}

/** Same test as type-is: a body is announced by Transfer-Encoding or a non-zero Content-Length. */
function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** body-parser's errors carry a `type` and a client status (400, 413, 415): each becomes a problem, never a 500. */
function bodyError(error: unknown): HttpException {
  const { type, status } = error as { type?: unknown; status?: unknown };
  if (type === 'entity.parse.failed') return new ValidationProblem([{ field: 'body', message: 'is not valid JSON' }]);
  if (status === 413) return new HttpException(`The body is larger than ${BODY_LIMIT}`, HttpStatus.PAYLOAD_TOO_LARGE);
  if (status === 415)
    return new HttpException(error instanceof Error ? error.message : 'Unsupported body encoding', HttpStatus.UNSUPPORTED_MEDIA_TYPE);
  return new ValidationProblem([{ field: 'body', message: 'could not be read' }]);
}
