import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../../../examples/api-client/schema';

/** The signed-in user, kept for the tab only (sessionStorage): closing it signs out. */
export interface Session {
  token: string;
  role: 'admin' | 'auditor' | 'commune' | 'consumer';
  sub: string;
  insee?: string;
}

const KEY = 'conventions-cadre.session';

export function loadSession(): Session | null {
  const text = sessionStorage.getItem(KEY);
  if (!text) return null;
  try {
    return JSON.parse(text) as Session;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

/** Reads the claims of a pasted token (no check here: the API verifies every request). */
export function sessionOfToken(token: string): Session | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const role = claims.role;
    if (role !== 'admin' && role !== 'auditor' && role !== 'commune' && role !== 'consumer') return null;
    return {
      token,
      role,
      sub: typeof claims.sub === 'string' ? claims.sub : '?',
      ...(typeof claims.insee === 'string' ? { insee: claims.insee } : {}),
    };
  } catch {
    return null;
  }
}

/** The reads that take `minPosition` (docs/openapi.json): they wait for the projections to catch up. */
const WAITING_READS = new Set([
  '/api/conventions',
  '/api/conventions/{id}',
  '/api/conventions/{id}/history',
  '/api/reference/populations',
  '/api/reference/syntec',
  '/api/legacy-conventions',
  '/api/communes',
  '/api/communes/{insee}',
  '/api/communes/{insee}/entitlements',
  '/api/communes/{insee}/ledgers/{year}',
  '/api/ledgers/{year}',
  '/api/entitlements',
  '/api/catalogue/history',
]);

/** The position of this tab's latest command: the pages read at least that far (read-your-writes). */
let lastPosition: string | null = null;

const auth: Middleware = {
  onRequest({ request, schemaPath }) {
    const session = loadSession();
    if (session) request.headers.set('Authorization', `Bearer ${session.token}`);
    if (request.method === 'GET' && lastPosition && WAITING_READS.has(schemaPath)) {
      const url = new URL(request.url);
      if (!url.searchParams.has('minPosition')) url.searchParams.set('minPosition', lastPosition);
      return new Request(url, request);
    }
    return request;
  },
  async onResponse({ request, response }) {
    if (request.method === 'POST' && response.ok) {
      const body = (await response.clone().json()) as { position?: string | null };
      if (body.position) lastPosition = body.position;
    }
    return response;
  },
};

/** The typed client of docs/openapi.json (examples/api-client/schema.ts), same origin. */
export const api = createClient<paths>({ baseUrl: '' });
api.use(auth);

/** An RFC 9457 answer, as the API gives them (problem-details.ts). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  rule?: string;
  code?: string;
  ifMatch?: string;
  etag?: string;
  errors?: Array<{ field: string; message: string; rule?: string }>;
}

/** A raw authenticated fetch, for what the typed client does not cover (CSV, the SSE stream). */
export function authorizedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const session = loadSession();
  if (session) headers.set('Authorization', `Bearer ${session.token}`);
  return fetch(url, { ...init, headers });
}
