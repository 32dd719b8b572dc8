import { createHash, timingSafeEqual } from 'node:crypto';
import { NextFunction, Request, Response } from 'express';
import { Metrics } from './metrics';
import { ROUTE_LOCAL } from './request-log';

/**
 * GET /metrics (outside /api: where Prometheus looks), for a scraper holding METRICS_TOKEN. Mounted only
 * when the token is configured: without it /metrics is the API's ordinary 404, so nothing leaks.
 */
export function metricsEndpoint(metrics: Metrics, token: string) {
  const expected = digest(token);
  return (request: Request, response: Response, next: NextFunction): void => {
    if (request.path !== '/' || (request.method !== 'GET' && request.method !== 'HEAD')) return next();
    response.locals[ROUTE_LOCAL] = '/metrics';
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
    // Digests of equal length, compared in constant time: the comparison says nothing about the token's prefix or length.
    if (!match || !timingSafeEqual(digest(match[1]), expected)) {
      response
        .status(401)
        .setHeader('WWW-Authenticate', 'Bearer realm="metrics"')
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: 'about:blank',
            title: 'Unauthorized',
            status: 401,
            detail: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>',
          }),
        );
      return;
    }
    metrics.registry
      .metrics()
      .then((text) => void response.status(200).setHeader('Content-Type', metrics.registry.contentType).end(text))
      .catch(next);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
