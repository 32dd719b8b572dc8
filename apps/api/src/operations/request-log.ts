import { Logger } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { Metrics } from './metrics';

/** What one request line says (docs/operations.md). Never the URL's query, a header's token or a body. */
export interface RequestLine {
  method: string;
  /** The route pattern (`/api/conventions/:id`), `unmatched` when no route took the request: raw URLs would leak ids and explode the metrics. */
  route: string;
  status: number;
  durationMs: number;
  /** The token's `sub`, once the guard accepted it; null for public routes and refused tokens. */
  actor: string | null;
  /** The caller's X-Correlation-Id when it is one the API accepts (1 to 200 characters). */
  correlationId: string | null;
  /** The client left before the answer was complete (an SSE stream closed, a dropped connection). */
  aborted?: boolean;
}

/** A route pattern set by a handler that is no Nest route (GET /metrics). */
export const ROUTE_LOCAL = 'route';

/**
 * An Express middleware, first of all, so that it also sees what never reaches a controller: 401s of the
 * guard, 404s, problem+json answers, bodies refused by the parser. One line and one histogram sample when
 * the response finishes, or when the connection closes first (an SSE stream's end).
 */
export function requestLog(metrics: Metrics, logger = new Logger('HTTP')) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    let done = false;
    const end = (aborted: boolean) => {
      if (done) return;
      done = true;
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line: RequestLine = {
        method: request.method,
        route: routeOf(request, response),
        status: response.statusCode,
        durationMs: Math.round(durationMs * 1000) / 1000,
        actor: (request as AuthenticatedRequest).actor?.id ?? null,
        correlationId: correlationIdOf(request.headers['x-correlation-id']),
        ...(aborted ? { aborted: true } : {}),
      };
      metrics.httpDuration.observe({ method: line.method, route: line.route, status: String(line.status) }, durationMs / 1000);
      logger.log(line);
    };
    response.once('finish', () => end(false));
    response.once('close', () => end(!response.writableFinished));
    next();
  };
}

function routeOf(request: Request, response: Response): string {
  const local = response.locals[ROUTE_LOCAL] as unknown;
  if (typeof local === 'string') return local;
  const path = (request.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${request.baseUrl}${path}` : 'unmatched';
}

function correlationIdOf(header: string | string[] | undefined): string | null {
  return typeof header === 'string' && header.length > 0 && header.length <= 200 ? header : null;
}
