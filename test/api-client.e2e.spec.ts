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

  beforeAll(async () => {
    testApp = await startTestApp('pglite');
    await testApp.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(testApp.app.getHttpServer().address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(() => testApp?.close(), 60_000);

  it('signs, reads, changes an offer with If-Match, and reads the consequences, as the README says', async () => {
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
});
