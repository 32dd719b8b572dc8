import { AddressInfo } from 'node:net';
import { walkReadme } from '../examples/api-client/readme-walkthrough';
import { TestApp, startTestApp } from './support/app';
import { readDocument, schemaValidator, templateOf } from './support/openapi-document';

/*
 * The README's curl walk-through, through the client generated from docs/openapi.json (openapi-typescript
 * types, openapi-fetch): what compiles against the contract also works against the API. One store is
 * enough here: what is under test is the document against the HTTP answers, which do not depend on it.
 */
describe('the README walk-through with the generated client [pglite]', () => {
  let testApp: TestApp;
  let baseUrl: string;
  // Every answer is checked against what docs/openapi.json says of its operation and status.
  const document = readDocument();
  const compile = schemaValidator(document);
  const answers: string[] = [];
  const mismatches: string[] = [];
  const checkedFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const request = input instanceof Request ? input : new Request(input, init);
    const path = new URL(request.url).pathname;
    const template = templateOf(document, request.method, path);
    const declared = template ? document.paths[template][request.method.toLowerCase()].responses?.[String(response.status)] : undefined;
    const type = (response.headers.get('content-type') ?? '').split(';')[0];
    const schema = declared?.content?.[type]?.schema;
    const name = `${request.method} ${template ?? path} ${response.status} ${type}`;
    answers.push(name);
    if (!schema) mismatches.push(`${name}: not documented`);
    else {
      const validate = compile(schema);
      if (!validate(await response.clone().json())) mismatches.push(`${name}: ${JSON.stringify(validate.errors)}`);
    }
    return response;
  };

  beforeAll(async () => {
    testApp = await startTestApp('pglite');
    await testApp.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(testApp.app.getHttpServer().address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(() => testApp?.close(), 60_000);

  it('signs, reads, changes an offer with If-Match, and reads the consequences, as the README says', async () => {
    answers.length = 0;
    mismatches.length = 0;
    const result = await walkReadme(baseUrl, testApp.tokens.admin, checkedFetch);
    expect(mismatches).toEqual([]);
    expect(answers).toHaveLength(8);
    expect(result).toEqual({
      conventionId: '69123-1',
      signedVersion: 3,
      etag: '"3"',
      changedVersion: 4,
      position: expect.stringMatching(/^\d+-\d+$/),
      replayedConventionId: '69123-1',
      secondConvention: { status: 422, rule: 'R-CONV-1' },
      staleIfMatch: { status: 409, type: '/problems/stale-version' },
      entitlementsOn20261001: expect.arrayContaining([
        { serviceId: 'toodego', offerId: 'connecte' },
        { serviceId: 'laclasse', offerId: 'standard' },
      ]),
      ledgerLines: expect.any(Number),
    });
    expect(result.entitlementsOn20261001).toHaveLength(2);
    // Lyon's 2026: toodego partenaire then connecte (the change makes two lines), laclasse standard.
    expect(result.ledgerLines).toBe(3);
  }, 60_000);

  it('answers every other route as the document says, problems included', async () => {
    answers.length = 0;
    mismatches.length = 0;
    const { admin, auditor, consumer, commune } = testApp.tokens;
    const call = (method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
      checkedFetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const expected: Array<[string, number]> = [];
    const statuses: Array<[string, number]> = [];
    const run = async (
      method: string,
      path: string,
      token: string | undefined,
      status: number,
      body?: unknown,
      headers?: Record<string, string>,
    ) => {
      const response = await call(method, path, token, body, headers);
      statuses.push([`${method} ${path}`, response.status]);
      expected.push([`${method} ${path}`, status]);
    };
    await run('POST', '/api/reference/populations', admin, 201, {
      communeInsee: '69123',
      population: 520774,
      effectiveDate: '2025-01-01',
      source: 'INSEE, populations légales 2022',
    });
    await run('POST', '/api/reference/syntec', admin, 201, { period: '2025-10', value: '322.2', publishedOn: '2025-11-28' });
    await run('POST', '/api/legacy-conventions', admin, 201, {
      communeInsee: '69029',
      communeName: 'Bron',
      serviceId: 'toodego',
      offerId: 'partenaire',
      annualContribution: '90000.00',
      year: 2025,
    });
    await run('POST', '/api/lifecycle/run', admin, 200, { asOf: '2026-01-01' });
    await run('GET', '/api/catalogue', admin, 200);
    await run('GET', '/api/ledgers/2026', admin, 200);
    // Every 2026 line is still pending (no Syntec value for the base year): nothing to issue, 200.
    await run('POST', '/api/ledgers/2026/issue', admin, 200, {}, { 'If-Match': '"0"' });
    await run('GET', '/api/ledgers/2026/issues', admin, 200);
    await run('GET', '/api/entitlements?on=2026-03-01', consumer, 200);
    await run('GET', '/api/conventions/69123-1/history', admin, 200);
    await run('GET', '/api/audit/events?limit=5', auditor, 200);
    await run('GET', '/api/audit/verify', auditor, 200);
    await run('GET', '/api/feed?limit=5', consumer, 200);
    await run('GET', '/api/feed/schemas', undefined, 200);
    await run('GET', '/api/health', undefined, 200);
    await run('GET', '/api/health/live', undefined, 200);
    await run('GET', '/api/admin/projections', admin, 200);
    // Problems
    await run('GET', '/api/conventions/69123-9', admin, 404);
    await run('GET', '/api/ledgers/1999', admin, 400);
    await run('GET', '/api/ledgers/2026', undefined, 401);
    await run('GET', '/api/communes/69123/ledgers/2026', commune('69029'), 403);
    await run('GET', '/api/ledgers/2026', admin, 406, undefined, { Accept: 'image/png' });
    await run('POST', '/api/ledgers/2026/issue', admin, 409, {}, { 'If-Match': '"5"' });
    await run('POST', '/api/reference/syntec', admin, 400, { period: '2025-13', value: 'x', publishedOn: '2025-02-30' });
    expect(statuses).toEqual(expected);
    expect(mismatches).toEqual([]);
  }, 60_000);
});
