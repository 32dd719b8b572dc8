import { Response } from 'supertest';
import { bearer, describeE2E } from './support/app';
import { unchanged as unchangedIn } from './conventions-support';

/**
 * Bad input on every command route of API.md: each invalid field is a 400 problem+json naming it,
 * a body that is not a JSON object names `body`, other formats are 415, a huge body 413, roles 403;
 * never a 500, and the store is unchanged afterwards.
 */
interface CommandRoute {
  path: string;
  valid: Record<string, unknown>;
  required: string[];
  /** Field path (as the errors name it) → values that must be refused. */
  invalid: Record<string, unknown[]>;
  /** Convention routes take If-Match. */
  ifMatch?: boolean;
}

const DATES = [
  '2026-02-30',
  '2025-02-29',
  '2026-13-01',
  '2026-00-10',
  '2026-1-1',
  '20260101',
  20260101,
  '2026-01-01T00:00:00Z',
  '9999-06-01',
  '',
  null,
];
const INSEE = ['6912', '691234', '69 123', 'ABCDE', '2C004', 69123, null];
const MONEY = ['12,50', 'abc', '1e5', '-5.00', '1.234', '', ' 12.50', 12.5, 'NaN'];
const DECIMAL = ['12,50', 'abc', '1e5', '-1', '', 322.2, 'Infinity', 'NaN', '0x10'];
const CATALOGUE_ID = ['Toodego', '', 'a b', 5, null];
const TEXT_REQUIRED = ['', 5, null, ['x']];
const PARTY = ['mayor', '', 1, null];
const YEAR = ['2025', 2025.5, 1999, 2101, null];

const annex = { serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' };
const paying = { kind: 'fixed_plus_per_inhabitant', fixed: '5000.00', perInhabitant: '0.20', baseYear: 2025, indexation: 'syntec' };

const ROUTES: CommandRoute[] = [
  {
    path: '/api/conventions',
    valid: {
      communeInsee: '69123',
      communeName: 'Lyon',
      signedOn: '2025-11-15',
      effectiveFrom: '2026-01-01',
      legalReference: 'CP-2025-4074',
      annexes: [annex],
    },
    required: ['communeInsee', 'communeName', 'signedOn', 'effectiveFrom'],
    invalid: {
      communeInsee: INSEE,
      communeName: [...TEXT_REQUIRED, 'x'.repeat(201)],
      signedOn: DATES,
      effectiveFrom: DATES,
      legalReference: [5, 'x'.repeat(201)],
      reason: [5, { text: 'x' }],
      annexes: ['abc', {}, 5],
      'annexes[0]': [null, 'x', 5],
      'annexes[0].serviceId': CATALOGUE_ID,
      'annexes[0].offerId': CATALOGUE_ID,
      'annexes[0].effectiveFrom': DATES,
      'annexes[0].foo': ['unknown nested field'],
    },
  },
  {
    path: '/api/conventions/69123-1/annexes',
    valid: annex,
    required: ['serviceId', 'offerId', 'effectiveFrom'],
    invalid: { serviceId: CATALOGUE_ID, offerId: CATALOGUE_ID, effectiveFrom: DATES },
    ifMatch: true,
  },
  {
    path: '/api/conventions/69123-1/annexes/toodego/stop',
    valid: { effectiveOn: '2026-07-01', reason: 'Arrêt' },
    required: ['effectiveOn', 'reason'],
    invalid: { effectiveOn: DATES, reason: [...TEXT_REQUIRED, 'x'.repeat(2001)] },
    ifMatch: true,
  },
  {
    path: '/api/conventions/69123-1/annexes/toodego/offer-change',
    valid: { offerId: 'connecte', effectiveFrom: '2026-09-01' },
    required: ['offerId', 'effectiveFrom'],
    invalid: { offerId: CATALOGUE_ID, effectiveFrom: DATES },
    ifMatch: true,
  },
  {
    path: '/api/conventions/69123-1/non-renewal',
    valid: { notifiedOn: '2026-10-15', by: 'commune', reason: 'Budget' },
    required: ['notifiedOn', 'by', 'reason'],
    invalid: { notifiedOn: DATES, by: PARTY, reason: TEXT_REQUIRED },
    ifMatch: true,
  },
  {
    path: '/api/conventions/69123-1/termination',
    valid: { effectiveOn: '2026-07-01', by: 'metropole', reason: 'Résiliation' },
    required: ['effectiveOn', 'by', 'reason'],
    invalid: { effectiveOn: DATES, by: PARTY, reason: TEXT_REQUIRED },
    ifMatch: true,
  },
  {
    path: '/api/lifecycle/run',
    valid: { asOf: '2027-01-01', reason: 'Rattrapage', legalReference: 'CP-2025-4074' },
    required: ['asOf'],
    invalid: { asOf: DATES, reason: [5] },
  },
  {
    path: '/api/catalogue/services',
    valid: {
      serviceId: 'geonet',
      name: 'GéoNet',
      legalReference: 'CP-2027-0001',
      effectiveFrom: '2027-01-01',
      offers: [{ offerId: 'standard', name: 'Standard', open: true, feeSchedule: paying }],
    },
    required: ['serviceId', 'name', 'legalReference', 'offers'],
    invalid: {
      serviceId: CATALOGUE_ID,
      name: TEXT_REQUIRED,
      legalReference: TEXT_REQUIRED,
      effectiveFrom: DATES.filter((d) => d !== null), // optional: null is "not given" (today)
      offers: [[], 'x', {}],
      'offers[0].offerId': CATALOGUE_ID,
      'offers[0].name': TEXT_REQUIRED,
      'offers[0].open': ['true', 1, null],
      'offers[0].feeSchedule': [null, 'free', 5],
      'offers[0].feeSchedule.kind': ['percent', '', null],
      'offers[0].feeSchedule.fixed': MONEY,
      'offers[0].feeSchedule.perInhabitant': DECIMAL,
      'offers[0].feeSchedule.baseYear': YEAR,
      'offers[0].feeSchedule.indexation': ['insee', null],
      'offers[0].feeSchedule.proration': ['monthly'],
      'offers[0].foo': ['unknown nested field'],
      'offers[0].feeSchedule.foo': ['unknown nested field'],
    },
  },
  {
    path: '/api/catalogue/services/toodego/offers/abonne/open',
    valid: { openedOn: '2027-01-01', legalReference: 'CP-2026-0100' },
    required: ['openedOn', 'legalReference'],
    invalid: { openedOn: DATES, legalReference: TEXT_REQUIRED },
  },
  {
    path: '/api/catalogue/services/toodego/offers/partenaire/fee-schedules',
    valid: { fromYear: 2027, feeSchedule: paying, legalReference: 'CP-2026-0200' },
    required: ['fromYear', 'feeSchedule', 'legalReference'],
    invalid: {
      fromYear: YEAR,
      feeSchedule: [null, 'free'],
      'feeSchedule.kind': ['percent'],
      'feeSchedule.fixed': MONEY,
      'feeSchedule.perInhabitant': DECIMAL,
      'feeSchedule.foo': ['unknown nested field'],
      legalReference: TEXT_REQUIRED,
    },
  },
  {
    path: '/api/reference/populations',
    valid: { communeInsee: '69123', population: 520774, effectiveDate: '2025-01-01', source: 'INSEE, populations légales 2022' },
    required: ['communeInsee', 'population', 'effectiveDate', 'source'],
    invalid: { communeInsee: INSEE, population: [-1, 1.5, '1000', null, 1e9, true], effectiveDate: DATES, source: TEXT_REQUIRED },
  },
  {
    path: '/api/reference/syntec',
    valid: { period: '2025-10', value: '322.2', publishedOn: '2025-11-28' },
    required: ['period', 'value', 'publishedOn'],
    invalid: { period: ['2025-13', '2025-1', '202510', 202510, '', null], value: DECIMAL, publishedOn: DATES },
  },
  {
    path: '/api/legacy-conventions',
    valid: {
      communeInsee: '69029',
      communeName: 'Bron',
      serviceId: 'toodego',
      offerId: 'partenaire',
      annualContribution: '90000.00',
      year: 2025,
      startDate: '2019-01-01',
    },
    required: ['communeInsee', 'communeName', 'serviceId', 'offerId', 'year'],
    invalid: {
      communeInsee: INSEE,
      communeName: TEXT_REQUIRED,
      serviceId: CATALOGUE_ID,
      offerId: CATALOGUE_ID,
      annualContribution: MONEY,
      year: YEAR,
      startDate: DATES.filter((d) => d !== null),
    },
  },
];

/** A deep copy of `body` with the value at `path` (`a.b[0].c`) replaced. */
function withValue(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const keys = path.match(/[^.[\]]+/g)!;
  let target: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[keys[keys.length - 1]] = value;
  return copy;
}

function without(body: Record<string, unknown>, field: string): Record<string, unknown> {
  const { [field]: _, ...rest } = body;
  return rest;
}

describeE2E('bad input on every command route', (current) => {
  const post = (path: string, token = current().tokens.admin) => current().http.post(path).set(bearer(token));

  function fieldsOf(response: Response): string[] {
    return (response.body.errors ?? []).map((e: { field: string }) => e.field);
  }

  /** A 400 problem+json whose errors all name `field` (or a part of it), each with a message. */
  function expectInvalid(response: Response, field: string, label: string): void {
    const errors: Array<{ field: string; message: string }> = response.body.errors ?? [];
    const named =
      errors.length > 0 && errors.every((e) => e.field === field || e.field.startsWith(`${field}.`) || e.field.startsWith(`${field}[`));
    expect({
      label,
      status: response.status,
      type: response.headers['content-type'],
      named,
      messages: errors.every((e) => typeof e.message === 'string' && e.message.length > 0),
    }).toEqual({
      label,
      status: 400,
      type: expect.stringMatching(/^application\/problem\+json/),
      named: true,
      messages: true,
    });
  }

  /** Every request of a batch is refused; none of them changed the store. */
  const unchanged = (batch: () => Promise<void>) => unchangedIn(current(), batch);

  describe.each(ROUTES.map((route) => [route.path, route] as const))('POST %s', (path, route) => {
    it('answers 400 naming each invalid field (wrong type, impossible date, INSEE code, negative number, decimal that is not one)', () =>
      unchanged(async () => {
        const cases = Object.entries(route.invalid).flatMap(([field, values]) => values.map((value) => ({ field, value })));
        await Promise.all(
          cases.map(async ({ field, value }) => {
            const response = await post(path).send(withValue(route.valid, field, value));
            expectInvalid(response, field, `${field} = ${JSON.stringify(value)?.slice(0, 40)}`);
          }),
        );
      }));

    it('answers 400 naming each missing required field', () =>
      unchanged(async () => {
        for (const field of route.required) expectInvalid(await post(path).send(without(route.valid, field)), field, `without ${field}`);
        const empty = await post(path).send({}).expect(400);
        expect(fieldsOf(empty)).toEqual(expect.arrayContaining(route.required));
        const none = await post(path).expect(400);
        expect(fieldsOf(none)).toEqual(expect.arrayContaining(route.required));
      }));

    it('answers 400 naming an unknown field', () =>
      unchanged(async () => {
        const response = await post(path).send({ ...route.valid, colour: 'blue' });
        expect({ status: response.status, fields: fieldsOf(response) }).toEqual({ status: 400, fields: ['colour'] });
      }));

    it('answers 400 naming `body` for malformed JSON, an array, a string, null', () =>
      unchanged(async () => {
        for (const raw of ['{"communeInsee": ', '{bad json}', JSON.stringify([route.valid]), '"a string"', 'null', '42', '']) {
          const response = await post(path).set('Content-Type', 'application/json').send(raw);
          if (raw === '')
            expect(response.status).toBe(400); // no body: every required field is missing
          else expect({ raw, status: response.status, fields: fieldsOf(response) }).toEqual({ raw, status: 400, fields: ['body'] });
        }
      }));

    it('answers 415 to another content type, 413 to a huge body, never reading them', () =>
      unchanged(async () => {
        for (const [type, raw] of [
          ['text/plain', JSON.stringify(route.valid)],
          ['application/x-www-form-urlencoded', 'a=1&b=2'],
          ['application/xml', '<a/>'],
        ]) {
          const response = await post(path).set('Content-Type', type).send(raw);
          expect({ type, status: response.status, problem: response.headers['content-type'] }).toEqual({
            type,
            status: 415,
            problem: expect.stringMatching(/^application\/problem\+json/),
          });
        }
        const huge = await post(path).send({ ...route.valid, reason: 'x'.repeat(200_000) });
        expect(huge.status).toBe(413);
        expect(huge.headers['content-type']).toMatch(/^application\/problem\+json/);
      }));

    it('answers 401 without a token and 403 to every role but admin', () =>
      unchanged(async () => {
        await current().http.post(path).send(route.valid).expect(401);
        const { auditor, consumer, commune } = current().tokens;
        for (const token of [auditor, consumer, commune('69123')]) await post(path, token).send(route.valid).expect(403);
      }));

    it('answers 400 naming Idempotency-Key when it is not 1 to 200 visible characters', () =>
      unchanged(async () => {
        for (const key of ['x'.repeat(201), 'with space', '']) {
          const response = await post(path).set('Idempotency-Key', key).send(route.valid);
          expect({ key: key.slice(0, 20), status: response.status, fields: fieldsOf(response) }).toEqual({
            key: key.slice(0, 20),
            status: 400,
            fields: ['Idempotency-Key'],
          });
        }
      }));

    it('answers 400 naming X-Correlation-Id when it is present but not 1 to 200 characters (R-AUD-1: never dropped silently)', () =>
      unchanged(async () => {
        for (const correlation of ['x'.repeat(201), '']) {
          const response = await post(path).set('X-Correlation-Id', correlation).send(route.valid);
          expect({ length: correlation.length, status: response.status, fields: fieldsOf(response) }).toEqual({
            length: correlation.length,
            status: 400,
            fields: ['X-Correlation-Id'],
          });
        }
      }));

    if (route.ifMatch)
      it('answers 400 naming If-Match when it is not a version', () =>
        unchanged(async () => {
          for (const ifMatch of ['garbage', '"-1"', '"1.5"', '"99999999999"', '"3", "4"', '']) {
            const response = await post(path).set('If-Match', ifMatch).send(route.valid);
            expect({ ifMatch, status: response.status, fields: fieldsOf(response) }).toEqual({
              ifMatch,
              status: 400,
              fields: ['If-Match'],
            });
          }
        }));
  });

  describe('odd path parameters', () => {
    const stop = { effectiveOn: '2026-07-01', reason: 'x' };
    const notice = { notifiedOn: '2026-10-15', by: 'commune', reason: 'x' };
    const open = { openedOn: '2027-01-01', legalReference: 'CP-2026-0100' };
    it.each([
      ['/api/conventions/%ZZ/annexes', annex, 400],
      ['/api/conventions/%E0%A4%A/termination', { effectiveOn: '2026-07-01', by: 'commune', reason: 'x' }, 400],
      ['/api/conventions/69123-1/annexes/%ZZ/stop', stop, 400],
      [`/api/conventions/${'9'.repeat(5000)}/non-renewal`, notice, 404],
      ['/api/conventions/69123-0/non-renewal', notice, 404],
      ['/api/conventions/69123-1%00/non-renewal', notice, 400], // NUL in a path parameter (http/hostile-input.ts)
      ['/api/conventions/..%2F..%2Fetc/non-renewal', notice, 404],
      ['/api/conventions/69123-1/annexes/TOODEGO/stop', stop, 404],
      ['/api/conventions/69123-1/annexes/%F0%9F%98%80/stop', stop, 404],
      ['/api/catalogue/services/%ZZ/offers/x/open', open, 400],
      ['/api/catalogue/services/toodego/offers/Abonn%C3%A9/open', open, 404],
      [`/api/catalogue/services/${'a'.repeat(5000)}/offers/x/open`, open, 404],
    ])('POST %s answers %i problem+json', (path, body, status) =>
      unchanged(async () => {
        const response = await post(path).send(body);
        expect({ status: response.status, type: response.headers['content-type'] }).toEqual({
          status,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
      }),
    );

    it.each([['%ZZ'], ['69123-1%00'], ['9'.repeat(5000)], ['..%2F..'], ['69123-1;drop']])(
      'GET /api/conventions/%s answers 400 or 404, never 5xx',
      async (id) => {
        const response = await current().http.get(`/api/conventions/${id}`).set(bearer(current().tokens.admin));
        expect([400, 404]).toContain(response.status);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      },
    );
  });

  describe('OpenAPI', () => {
    it('documents every route the API serves, and every command route of API.md', async () => {
      const { body } = await current().http.get('/api/docs-json').expect(200);
      const documented = new Set(
        Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
          Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
        ),
      );
      const commandRoutes = ROUTES.map((route) =>
        `POST ${route.path}`
          .replace('69123-1', '{id}')
          .replace('/annexes/toodego/', '/annexes/{serviceId}/')
          .replace('/services/toodego/offers/abonne/', '/services/{serviceId}/offers/{offerId}/')
          .replace('/services/toodego/offers/partenaire/', '/services/{serviceId}/offers/{offerId}/'),
      );
      expect(commandRoutes).toHaveLength(13);
      for (const route of [...commandRoutes, 'GET /api/conventions/{id}', 'GET /api/health', 'GET /api/catalogue'])
        expect({ route, documented: documented.has(route) }).toEqual({ route, documented: true });

      // Every route registered with express (Nest's controllers) is in the document.
      const router = (
        current().app.getHttpAdapter().getInstance() as {
          router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
        }
      ).router;
      const served = router.stack
        .filter((layer) => layer.route && layer.route.path.startsWith('/api/') && !layer.route.path.startsWith('/api/docs'))
        .flatMap((layer) =>
          Object.keys(layer.route!.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`),
        );
      expect(served.length).toBeGreaterThanOrEqual(15);
      expect(served.filter((route) => !documented.has(route))).toEqual([]);
    });

    it('serves the documentation page as HTML without a token', async () => {
      const response = await current().http.get('/api/docs').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toContain('swagger-ui');
    });
  });
});
