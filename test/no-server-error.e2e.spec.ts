import { bearer, describeE2E } from './support/app';

/**
 * API.md: "Never a 500 for anything a client sent". Every route of the OpenAPI document, with junk in
 * each path parameter, junk query parameters and junk bodies, as admin and as auditor: any answer but a
 * 5xx. (The stream route is left out: it answers 200 and stays open.)
 */
const JUNK = [
  '',
  ' ',
  'x',
  '-1',
  '0',
  '99999999999999999999',
  '2026-02-30',
  '1e309',
  'null',
  '%00',
  "' OR 1=1 --",
  'é',
  '../..',
  'a'.repeat(2000),
  '\u0000',
  'a\u0000b',
  '69123-1\u0000',
];
/** Put in path and query as they are: a lone surrogate cannot be percent-encoded as UTF-8 (encodeURIComponent throws), so its CESU-8 bytes, and an overlong NUL. */
const ENCODED_JUNK = ['%ED%A0%80', 'x%ED%B0%80', '%C0%80', '%00%00'];
const deep = (depth: number) => `{"reason":${'['.repeat(depth)}${']'.repeat(depth)},"asOf":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
const paying = { kind: 'fixed_plus_per_inhabitant', fixed: '5000.00', perInhabitant: '0.20', baseYear: 2025, indexation: 'syntec' };
const service = { serviceId: 'fuzz', name: 'Fuzz', legalReference: 'CP-1', effectiveFrom: '2027-01-01' };
const convention = { communeInsee: '69123', communeName: 'Lyon', signedOn: '2025-11-15', effectiveFrom: '2026-01-01' };
/** Objects are sent as JSON; strings as they are (raw JSON text, or not JSON at all). */
const JUNK_BODIES: unknown[] = [
  {},
  [],
  'text',
  42,
  null,
  { communeInsee: {}, year: 'x', effectiveFrom: [], annexes: [{}] },
  { reason: 'a'.repeat(100_000) },
  // Text the database cannot store (NUL, lone surrogates), in values and in keys, at the top and nested.
  {
    ...convention,
    communeName: 'N\u0000me',
    reason: '\ud800',
    legalReference: 'x\udc00',
    source: '\u0000',
    annexes: [{ offerId: '\u0000' }],
    ['k\u0000']: 1,
  },
  '{"reason":"\\ud800","asOf":"2027-01-01","effectiveOn":"2026-07-01","source":"\\udfff x"}',
  deep(3000),
  deep(33),
  { ...service, offers: [[]] },
  { ...service, offers: [[{ offerId: 'x', name: 'x', open: true, feeSchedule: paying }]], feeSchedule: [paying], fromYear: 2027 },
  { ...convention, annexes: [[]] },
  '{"__proto__":{"asOf":"2027-01-01"},"constructor":{"prototype":{}},"prototype":1}',
  '{"asOf":"2027-01-01","annexes":[{"__proto__":{"x":1}}],"feeSchedule":{"constructor":{"name":"x"}}}',
];

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
        .map(([method, operation]) => ({
          method,
          path,
          query: (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        })),
    );
  });

  it('finds the routes in the OpenAPI document', () => {
    expect(routes.length).toBeGreaterThan(20);
  });

  it('answers junk path parameters, query parameters and bodies with 4xx, never 5xx', async () => {
    const { http, tokens } = current();
    const failures: string[] = [];
    for (const route of routes.filter((r) => !r.path.endsWith('/feed/stream'))) {
      for (const [index, junk] of [...JUNK.map(encodeURIComponent), ...ENCODED_JUNK].entries()) {
        const path = route.path.replace(/\{[^}]+\}/g, junk || '%20');
        const query = route.query.map((name) => `${name}=${junk}`).join('&');
        for (const token of [tokens.admin, tokens.auditor]) {
          const url = query ? `${path}?${query}` : path;
          const send = (http as unknown as Record<string, (url: string) => import('supertest').Test>)[route.method].bind(http);
          let request = send(url).set(bearer(token));
          if (route.method !== 'get' && route.method !== 'delete') {
            // Every route gets every body once over the junk values (there are more of them than bodies).
            const body = JUNK_BODIES[(index + routes.indexOf(route)) % JUNK_BODIES.length];
            request = request.set('Content-Type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));
          }
          const response = await request;
          if (response.status >= 500)
            failures.push(
              `${route.method.toUpperCase()} ${url.slice(0, 120)} → ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`,
            );
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  /** Path parameters a route can resolve, so that its query parameters are what gets read. */
  const PLAUSIBLE: Record<string, string> = {
    id: '69123-1',
    insee: '69123',
    year: '2026',
    serviceId: 'toodego',
    offerId: 'partenaire',
    type: 'ConventionSigned',
    version: '1',
  };

  it('answers junk in each query parameter alone, and hostile parameter names, with 4xx, never 5xx', async () => {
    const { http, tokens } = current();
    const failures: string[] = [];
    const junkValues = [...JUNK.map(encodeURIComponent), ...ENCODED_JUNK];
    for (const route of routes.filter((r) => !r.path.endsWith('/feed/stream'))) {
      const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => PLAUSIBLE[name] ?? 'x');
      // One parameter at a time: a route stops at its first bad parameter, so all at once tests only that one.
      const queries = [
        ...route.query.flatMap((name) => junkValues.map((junk) => `${name}=${junk}`)),
        ...route.query.map((name) => `${name}=1&${name}=%00`),
        '__proto__=1',
        'constructor=x&prototype=y',
        '%00=1',
        'a%00b=%00',
        '__proto__[x]=1&a[b][c]=%00',
      ];
      for (const query of queries)
        for (const token of [tokens.admin, tokens.auditor]) {
          const send = (http as unknown as Record<string, (url: string) => import('supertest').Test>)[route.method].bind(http);
          const response = await send(`${path}?${query}`).set(bearer(token));
          if (response.status >= 500)
            failures.push(
              `${route.method.toUpperCase()} ${path}?${query.slice(0, 120)} → ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`,
            );
        }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
