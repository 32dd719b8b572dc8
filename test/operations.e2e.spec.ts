import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { METROPOLE_COMMUNES } from './support/communes';
import { bearer, describeE2E } from './support/app';
import { RawSse, baseUrlOf } from './support/feed-sse';
import { spawnApi } from './support/api-process';
import { StreamTokens } from '../apps/api/src/auth/stream-tokens';

const ALLOWED = 'https://backoffice.example.org';

/** CORS_ORIGINS and the browser's way into the feed stream (docs/operations.md). */
describeE2E(
  'operations: CORS and stream tokens for a browser',
  (current) => {
    it('answers a preflight from an allowed origin with the headers a back office needs, and one from another origin with none', async () => {
      const { http } = current();
      const preflight = await http
        .options('/api/conventions')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type,idempotency-key,if-match,x-correlation-id');
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(ALLOWED);
      const allowed = String(preflight.headers['access-control-allow-headers']).toLowerCase().split(',');
      for (const header of ['authorization', 'content-type', 'idempotency-key', 'if-match', 'x-correlation-id'])
        expect(allowed).toContain(header);
      expect(preflight.headers['access-control-allow-methods']).toContain('POST');

      const read = await http.get('/api/catalogue').set('Origin', ALLOWED).set(bearer(current().tokens.admin));
      expect(read.status).toBe(200);
      expect(read.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(String(read.headers['access-control-expose-headers']).split(',')).toEqual(
        expect.arrayContaining(['ETag', 'Location', 'Retry-After', 'Idempotent-Replayed']),
      );

      for (const origin of ['https://evil.example.org', 'https://backoffice.example.org.evil.org', 'null']) {
        const other = await http
          .options('/api/conventions')
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'POST')
          .set('Access-Control-Request-Headers', 'authorization');
        expect(other.headers['access-control-allow-origin']).toBeUndefined();
        expect(other.headers['access-control-allow-headers']).toBeUndefined();
        const otherRead = await http.get('/api/catalogue').set('Origin', origin).set(bearer(current().tokens.admin));
        expect(otherRead.status).toBe(200);
        expect(otherRead.headers['access-control-allow-origin']).toBeUndefined();
      }
    });

    it('issues a stream token to the feed roles only, with the caller’s claims, a distinct audience and a 60 s life', async () => {
      const { http, tokens } = current();
      const before = Date.now();
      const issued = await http.post('/api/feed/stream-tokens').set(bearer(tokens.consumerOf(['laclasse'])));
      expect(issued.status).toBe(201);
      const { token, expiresAt } = issued.body as { token: string; expiresAt: string };
      const claims = decodeJwt(token);
      expect(claims).toMatchObject({
        sub: 'limited-consumer',
        role: 'consumer',
        services: ['laclasse'],
        aud: 'conventions-cadre:feed-stream',
      });
      expect(decodeProtectedHeader(token).typ).toBe('feed-stream+jwt');
      expect(Date.parse(expiresAt) - before).toBeGreaterThan(55_000);
      expect(Date.parse(expiresAt) - before).toBeLessThanOrEqual(62_000);

      expect((await http.post('/api/feed/stream-tokens').set(bearer(tokens.admin)).send({})).status).toBe(201);
      expect((await http.post('/api/feed/stream-tokens').set(bearer(tokens.commune('69123')))).status).toBe(403);
      expect((await http.post('/api/feed/stream-tokens')).status).toBe(401);
      const filtered = await http
        .post('/api/feed/stream-tokens')
        .set(bearer(tokens.consumer))
        .send({ types: ['ConventionSigned'] });
      expect(filtered.status).toBe(400);
      expect(filtered.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('opens GET /api/feed/stream from ?access_token= without an Authorization header, and receives an event', async () => {
      const { http, tokens, app } = current();
      const commune = METROPOLE_COMMUNES[1];
      const signed = await http
        .post('/api/conventions')
        .set(bearer(tokens.admin))
        .send({
          communeInsee: commune.insee,
          communeName: commune.name,
          signedOn: '2026-01-10',
          effectiveFrom: '2026-02-01',
          annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-02-01' }],
        });
      expect(signed.status).toBe(201);
      const { token } = (await http.post('/api/feed/stream-tokens').set(bearer(tokens.consumer))).body as { token: string };
      const stream = await RawSse.open(await baseUrlOf(app), `/api/feed/stream?access_token=${encodeURIComponent(token)}`, {});
      try {
        expect(stream.status).toBe(200);
        await stream.waitFor(() => stream.events.length > 0, 10_000, 'a feed event');
        expect(JSON.parse(stream.events[0].data)).toMatchObject({ type: expect.any(String), position: stream.events[0].id });
      } finally {
        stream.close();
      }
    });

    it('refuses an expired, malformed or bearer access_token, both credentials at once, and a stream token anywhere else', async () => {
      const { http, tokens, app } = current();
      const streamTokens = app.get(StreamTokens);
      const expired = (await streamTokens.issue({ id: 'toodego-sync', role: 'consumer' }, Math.floor(Date.now() / 1000) - 3600)).token;
      const { token } = (await http.post('/api/feed/stream-tokens').set(bearer(tokens.consumer))).body as { token: string };
      const refusals = [
        http.get('/api/feed/stream').query({ access_token: expired }),
        http.get('/api/feed/stream').query({ access_token: 'not.a.token' }),
        http.get('/api/feed/stream').query({ access_token: tokens.consumer }),
        http.get('/api/feed/stream').query({ access_token: tokens.admin }),
        http.get('/api/feed/stream?access_token=a&access_token=b'),
        http.get('/api/feed/stream').query({ access_token: token }).set(bearer(tokens.consumer)),
        // As a bearer token: on the stream itself, on the feed, anywhere.
        http.get('/api/feed/stream').set(bearer(token)),
        http.get('/api/feed').set(bearer(token)),
        http.post('/api/feed/stream-tokens').set(bearer(token)),
        http.get('/api/catalogue').set(bearer(token)),
        // In the query of another route: not read there.
        http.get('/api/feed').query({ access_token: token }),
      ];
      for (const refused of await Promise.all(refusals)) {
        expect(refused.status).toBe(401);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    });
  },
  { CORS_ORIGINS: `${ALLOWED}, http://localhost:5173` },
);

interface LogRecord {
  level: string;
  context?: string;
  message: unknown;
}

describe('operations: the request log of the API process', () => {
  it('writes one JSON line per request: method, route pattern, status, duration, actor, correlation id; never the token', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'request-log-'));
    const api = await spawnApi({ EVENT_STORE: 'pglite', DATA_DIR: dataDir });
    try {
      await api.waitHealthy();
      const admin = api.token('admin', { sub: 'alice-operator' });
      const unknown = await fetch(`${api.url}/api/conventions/69123-77`, {
        headers: { authorization: `Bearer ${admin}`, 'x-correlation-id': 'back-office-42' },
      });
      expect(unknown.status).toBe(404);
      expect((await fetch(`${api.url}/api/conventions/69123-78`, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);

      const lines = () =>
        api
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as LogRecord);
      const requestLines = () => lines().filter((record) => record.context === 'HTTP');
      for (
        let tries = 0;
        requestLines().filter((r) => (r.message as { route?: string }).route === '/api/conventions/:id').length < 2;
        tries++
      ) {
        if (tries > 50) throw new Error(`no request lines in:\n${api.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const conventionLines = requestLines()
        .map((record) => record.message as Record<string, unknown>)
        .filter((message) => message.route === '/api/conventions/:id');
      expect(conventionLines[0]).toEqual({
        method: 'GET',
        route: '/api/conventions/:id',
        status: 404,
        durationMs: expect.any(Number),
        actor: 'alice-operator',
        correlationId: 'back-office-42',
      });
      expect(conventionLines[1]).toMatchObject({ status: 401, actor: null, correlationId: null });
      // The pattern, never the raw URL (ids would explode the metrics and leak into logs).
      expect(JSON.stringify(requestLines())).not.toContain('69123-7');
      // Every line of the process is JSON (no colour, nothing else), the start-up lines included.
      const printed = api
        .output()
        .split('\n')
        .filter((line) => line.trim() !== '');
      for (const line of printed) expect(() => JSON.parse(line)).not.toThrow();
      expect(api.output()).not.toContain('\u001b[');
      expect(api.output()).not.toContain(admin);
      expect(api.output()).not.toContain('not-a-token');
    } finally {
      await api.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('LOG_FORMAT=text writes Nest lines, without colour when stdout is no terminal', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'request-log-text-'));
    const api = await spawnApi({ EVENT_STORE: 'pglite', DATA_DIR: dataDir, LOG_FORMAT: 'text' });
    try {
      await api.waitHealthy();
      expect((await fetch(`${api.url}/api/health/live`)).status).toBe(200);
      for (let tries = 0; !api.output().includes("route: '/api/health/live'"); tries++) {
        if (tries > 50) throw new Error(`no request line in:\n${api.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(api.output()).toMatch(/\[Nest\] \d+ .* LOG \[HTTP\]/);
      expect(api.output()).not.toContain('\u001b[');
      expect(
        api
          .output()
          .split('\n')
          .some((line) => line.startsWith('{"level"')),
      ).toBe(false);
    } finally {
      await api.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
