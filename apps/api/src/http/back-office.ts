import { INestApplication } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where `npm run build` puts the back office (apps/back-office/dist), seen from src (ts-node, tests) or dist. */
export function backOfficeDirectory(): string | undefined {
  const candidates = [resolve(__dirname, '../../../back-office/dist'), resolve(__dirname, '../../../../../apps/back-office/dist')];
  return candidates.find((directory) => existsSync(join(directory, 'index.html')));
}

/** Paths the single-page fallback must never answer: the API and the operational endpoints keep their 404s. */
const NOT_THE_APP = /^\/(api|metrics|health)(\/|$)/;

/**
 * Serves the built back office at `/` (same origin as the API, so no CORS and the strict CSP holds: the
 * build has no inline script). A client route (`/communes/69123`) gets index.html.
 */
export function serveBackOffice(app: INestApplication, directory = backOfficeDirectory()): void {
  if (!directory) return;
  const index = join(directory, 'index.html');
  app.use(express.static(directory, { index: 'index.html', fallthrough: true, maxAge: '1h', setHeaders: noCacheForIndex }));
  app.use((request: Request, response: Response, next: NextFunction) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || NOT_THE_APP.test(request.path) || !asksForHtml(request)) return next();
    response.setHeader('Cache-Control', 'no-cache');
    response.sendFile(index);
  });
}

// A browser's navigation names text/html; a client that says nothing (curl, a probe) keeps the 404 problem.
function asksForHtml(request: Request): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

// index.html names the hashed assets of the current build: it must be read again after a deployment.
function noCacheForIndex(response: Response, path: string): void {
  if (path.endsWith('index.html')) response.setHeader('Cache-Control', 'no-cache');
}
