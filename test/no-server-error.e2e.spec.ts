import { bearer, describeE2E } from './support/app';

/**
 * API.md: "Never a 500 for anything a client sent". Every route of the OpenAPI document, with junk in
 * each path parameter, junk query parameters and junk bodies, as admin and as auditor: any answer but a
 * 5xx. (The stream route is left out: it answers 200 and stays open.)
 */
const JUNK = ['', ' ', 'x', '-1', '0', '99999999999999999999', '2026-02-30', '1e309', 'null', '%00', "' OR 1=1 --", 'é', '../..', 'a'.repeat(2000)];
const JUNK_BODIES: unknown[] = [{}, [], 'text', 42, null, { communeInsee: {}, year: 'x', effectiveFrom: [], annexes: [{}] }, { reason: 'a'.repeat(100_000) }];

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
}

describeE2E('no client input answers a server error (API.md)', (current) => {
  let routes: { method: string; path: string; query: string[] }[] = [];

  beforeAll(async () => {
    const { body } = await current().http.get('/api/docs-json').expect(200);
    routes = Object.entries((body as OpenApi).paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, operation]) => ({ method, path, query: (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name) })),
    );
  });

  it('finds the routes in the OpenAPI document', () => {
    expect(routes.length).toBeGreaterThan(20);
  });

  it('answers junk path parameters, query parameters and bodies with 4xx, never 5xx', async () => {
    const { http, tokens } = current();
    const failures: string[] = [];
    for (const route of routes.filter((r) => !r.path.endsWith('/feed/stream'))) {
      for (const junk of JUNK) {
        const path = route.path.replace(/\{[^}]+\}/g, encodeURIComponent(junk) || '%20');
        const query = route.query.map((name) => `${name}=${encodeURIComponent(junk)}`).join('&');
        for (const token of [tokens.admin, tokens.auditor]) {
          const url = query ? `${path}?${query}` : path;
          let request = (http as unknown as Record<string, (url: string) => import('supertest').Test>)[route.method](url).set(bearer(token));
          if (route.method !== 'get' && route.method !== 'delete') {
            const body = JUNK_BODIES[(JUNK.indexOf(junk) + routes.indexOf(route)) % JUNK_BODIES.length];
            // Raw text, so that a body that is not JSON at all (`text`) goes out as it is.
            request = request.set('Content-Type', 'application/json').send(body === 'text' ? body : JSON.stringify(body));
          }
          const response = await request;
          if (response.status >= 500) failures.push(`${route.method.toUpperCase()} ${url.slice(0, 120)} → ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
