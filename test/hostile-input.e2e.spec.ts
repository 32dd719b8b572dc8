import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo, Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STATUS_CODES, Server } from 'node:http';
import { Response } from 'supertest';
import { bearer, describeE2E } from './support/app';
import { unchanged as unchangedIn } from './conventions-support';
import { spawnApi } from './support/api-process';

/**
 * Input that used to reach a 500 — text the database cannot store (NUL, lone
 * surrogates), bodies nested thousands deep, arrays where objects belong, prototype keys, and requests
 * Node's HTTP parser refuses before the application sees them. Each is a problem+json 4xx naming what
 * is wrong, and nothing is recorded.
 */

const convention = {
  communeInsee: '69123',
  communeName: 'Lyon',
  signedOn: '2025-11-15',
  effectiveFrom: '2026-01-01',
  legalReference: 'CP-2025-4074',
};
const annex = { serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' };
const paying = { kind: 'fixed_plus_per_inhabitant', fixed: '5000.00', perInhabitant: '0.20', baseYear: 2025, indexation: 'syntec' };
const service = {
  serviceId: 'geonet',
  name: 'GéoNet',
  legalReference: 'CP-2027-0001',
  effectiveFrom: '2027-01-01',
  offers: [{ offerId: 'standard', name: 'Standard', open: true, feeSchedule: paying }],
};
const population = { communeInsee: '69123', population: 520774, effectiveDate: '2025-01-01', source: 'INSEE' };

/** `depth` arrays one inside the other, as raw JSON (JSON.stringify itself would recurse that deep). */
const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

interface FieldError {
  field: string;
  message: string;
  constraint?: string;
}

function expectProblem(response: Response, status: number): void {
  expect({ status: response.status, type: response.headers['content-type'] }).toEqual({
    status,
    type: expect.stringMatching(/^application\/problem\+json/),
  });
}

/** A 400 problem+json whose errors are exactly these fields (in any order), each with its constraint. */
function expectFields(response: Response, fields: Record<string, string>): void {
  expectProblem(response, 400);
  const errors: FieldError[] = response.body.errors ?? [];
  const named = Object.fromEntries(errors.map((e) => [e.field, e.constraint]));
  expect(named).toEqual(fields);
  for (const error of errors) expect(error.message).toEqual(expect.any(String));
}

/** Sends raw bytes, resolves with everything the server wrote until it closed the connection. */
function exchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((done, fail) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? done(answer) : fail(error)));
    socket.on('close', () => done(answer));
    socket.setTimeout(10_000, () => fail(new Error(`no answer; got ${JSON.stringify(answer)}`)));
    socket.write(bytes);
  });
}

function problemOf(answer: string, status: number): Record<string, unknown> {
  const [head, body] = answer.split('\r\n\r\n');
  const lines = head.split('\r\n');
  expect(lines[0]).toBe(`HTTP/1.1 ${status} ${STATUS_CODES[status]}`);
  const headers = Object.fromEntries(
    lines.slice(1).map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  expect(headers).toEqual(
    expect.objectContaining({
      'content-type': 'application/problem+json',
      connection: 'close',
      'content-length': String(Buffer.byteLength(body)),
    }),
  );
  expect(STATUS_CODES[status]).toBeDefined();
  const problem = JSON.parse(body) as Record<string, unknown>;
  expect(problem).toEqual(
    expect.objectContaining({ status, title: expect.any(String), detail: expect.any(String), type: expect.any(String) }),
  );
  return problem;
}

describeE2E('hostile input', (current) => {
  const admin = () => bearer(current().tokens.admin);
  const post = (path: string) => current().http.post(path).set(admin());
  const raw = (path: string, json: string) => post(path).set('Content-Type', 'application/json').send(json);
  const unchanged = (batch: () => Promise<void>) => unchangedIn(current(), batch);

  describe('text the database cannot store', () => {
    it('refuses a NUL character in a free-text field with 400 naming the field', () =>
      unchanged(async () => {
        expectFields(await post('/api/conventions').send({ ...convention, communeName: 'N\u0000me' }), { communeName: 'noNulCharacter' });
        expectFields(await post('/api/reference/populations').send({ ...population, source: 'INSEE\u0000' }), { source: 'noNulCharacter' });
        expectFields(await post('/api/lifecycle/run').send({ asOf: '2027-01-01', legalReference: '\u0000' }), {
          legalReference: 'noNulCharacter',
        });
      }));

    it('refuses a lone surrogate (high or low) with 400 naming the field; a paired one is a real character', () =>
      unchanged(async () => {
        expectFields(
          await raw('/api/conventions', JSON.stringify({ ...convention, communeName: 'Lyon' }).replace('"Lyon"', '"Ly\\ud800on"')),
          { communeName: 'wellFormedUnicode' },
        );
        expectFields(await raw('/api/lifecycle/run', '{"asOf":"2027-01-01","reason":"\\udc00 end"}'), { reason: 'wellFormedUnicode' });
        // 😀 as an escaped pair is fine text; it reaches ordinary validation (here: asOf is missing).
        expectFields(await raw('/api/lifecycle/run', '{"reason":"\\ud83d\\ude00"}'), { asOf: 'isCalendarDate' });
      }));

    it('names every bad field of a body at once, nested ones by their path, and bad keys too', () =>
      unchanged(async () => {
        const body = {
          ...convention,
          communeName: 'a\u0000',
          reason: 'b\ud800',
          annexes: [annex, { ...annex, offerId: 'x\u0000' }],
          ['k\u0000']: 1,
        };
        expectFields(await post('/api/conventions').send(body), {
          communeName: 'noNulCharacter',
          reason: 'wellFormedUnicode',
          'annexes[1].offerId': 'noNulCharacter',
          '["k\\u0000"]': 'noNulCharacter',
        });
      }));
  });

  describe('query and path parameters', () => {
    it('refuses a NUL in a query parameter with 400 naming the parameter', async () => {
      const { http, tokens } = current();
      expectFields(await http.get('/api/audit/events?actor=%00').set(bearer(tokens.auditor)), { actor: 'noNulCharacter' });
      expectFields(await http.get('/api/entitlements?on=2026-01-01&knownAt=x%00').set(bearer(tokens.admin)), { knownAt: 'noNulCharacter' });
      expectFields(await http.get('/api/feed?after=%00').set(bearer(tokens.consumer)), { after: 'noNulCharacter' });
      expectFields(await http.get('/api/audit/events?type=a&type=b%00').set(bearer(tokens.auditor)), { 'type[1]': 'noNulCharacter' });
      expectFields(await http.get('/api/audit/events?__proto__=1&constructor=2&a%00=3').set(bearer(tokens.auditor)), {
        ['__proto__']: 'reservedKey',
        constructor: 'reservedKey',
        '["a\\u0000"]': 'noNulCharacter',
      });
    });

    it('refuses a NUL in a path parameter with 400 naming the parameter, on reads and on commands', () =>
      unchanged(async () => {
        const { http, tokens } = current();
        expectFields(await http.get('/api/conventions/69123-1%00').set(bearer(tokens.admin)), { id: 'noNulCharacter' });
        expectFields(await http.get('/api/conventions/69123-1%00/history').set(bearer(tokens.auditor)), { id: 'noNulCharacter' });
        expectFields(await http.get('/api/communes/6912%00/entitlements').set(bearer(tokens.admin)), { insee: 'noNulCharacter' });
        expectFields(await http.get('/api/feed/schemas/a%00/1').set(bearer(tokens.consumer)), { type: 'noNulCharacter' });
        expectFields(await post('/api/conventions/69123-1/annexes/toodego%00/stop').send({ effectiveOn: '2026-07-01', reason: 'x' }), {
          serviceId: 'noNulCharacter',
        });
        expectFields(
          await post('/api/catalogue/services/toodego/offers/a%00/open').send({ openedOn: '2027-01-01', legalReference: 'CP-1' }),
          { offerId: 'noNulCharacter' },
        );
        expectFields(await http.get('/api/admin/projections/rebuild/x%00').set(bearer(tokens.admin)), { job: 'noNulCharacter' });
      }));
  });

  describe('deep nesting', () => {
    it.each([
      '/api/conventions/69123-1/annexes/toodego/stop',
      '/api/lifecycle/run',
      '/api/reference/populations',
      '/api/catalogue/services',
    ])('POST %s refuses a body nested 3 000 deep with 400, before it is transformed', (path) =>
      unchanged(async () => {
        for (const json of [
          `{"reason":${nestedArrays(3000)}}`,
          `{"reason":${nestedObjects(3000)}}`,
          `{"reason":${nestedArrays(40_000)}}`,
        ]) {
          const response = await raw(path, json);
          expectProblem(response, 400);
          expect(response.body.errors).toEqual([
            expect.objectContaining({ field: expect.stringMatching(/^reason(\[0\]|\.a)+$/), constraint: 'maxDepth' }),
          ]);
        }
      }),
    );

    it('accepts nesting up to the bound: a 31-deep value gets the ordinary answer', () =>
      unchanged(async () => {
        const response = await raw('/api/lifecycle/run', `{"asOf":"2027-01-01","reason":${nestedArrays(31)}}`);
        expectProblem(response, 400);
        expect(response.body.errors).toEqual(
          expect.arrayContaining([expect.objectContaining({ field: 'reason', constraint: 'isString' })]),
        );
        expect(response.body.errors.every((e: FieldError) => e.field === 'reason' && e.constraint !== 'maxDepth')).toBe(true);
      }));
  });

  describe('arrays where objects belong', () => {
    const offer = service.offers[0];
    it.each([
      ['an offer that is an empty array', '/api/catalogue/services', { ...service, offers: [[]] }, 'offers', 'offers[0]'],
      [
        'an offer wrapped in an array',
        '/api/catalogue/services',
        { ...service, offers: [offer, [offer], [offer]] },
        'offers',
        'offers[1], offers[2]',
      ],
      ['an annex that is an empty array', '/api/conventions', { ...convention, annexes: [[]] }, 'annexes', 'annexes[0]'],
      ['an annex wrapped in an array', '/api/conventions', { ...convention, annexes: [annex, [annex]] }, 'annexes', 'annexes[1]'],
    ])('refuses %s with 400 naming the field and the element', (_, path, body, field, elements) =>
      unchanged(async () => {
        const response = await post(path).send(body);
        expectFields(response, { [field]: 'noNestedArrays' });
        expect(response.body.errors[0].message).toBe(`${elements} must be an object, not an array`);
      }),
    );

    it.each([
      [
        'a fee schedule in an array',
        '/api/catalogue/services',
        { ...service, offers: [{ ...offer, feeSchedule: [paying] }] },
        'offers[0].feeSchedule',
      ],
      [
        'a fee schedule that is an empty array',
        '/api/catalogue/services',
        { ...service, offers: [{ ...offer, feeSchedule: [] }] },
        'offers[0].feeSchedule',
      ],
      [
        'a replacing fee schedule in an array',
        '/api/catalogue/services/toodego/offers/partenaire/fee-schedules',
        { fromYear: 2027, legalReference: 'CP-1', feeSchedule: [paying] },
        'feeSchedule',
      ],
      ['an annex that is null', '/api/conventions', { ...convention, annexes: [annex, null] }, 'annexes[1]'],
    ])('refuses %s with 400 naming it', (_, path, body, field) =>
      unchanged(async () => {
        const response = await post(path).send(body);
        expectProblem(response, 400);
        expect(response.body.errors.map((e: FieldError) => e.field)).toEqual([field]);
      }),
    );
  });

  describe('prototype keys', () => {
    it.each([
      [
        '/api/conventions',
        `{"communeInsee":"69123","communeName":"Lyon","signedOn":"2025-11-15","effectiveFrom":"2026-01-01","__proto__":{"x":1}}`,
        '__proto__',
      ],
      [
        '/api/conventions',
        `{"communeInsee":"69123","communeName":"Lyon","signedOn":"2025-11-15","effectiveFrom":"2026-01-01","constructor":{"name":"x"}}`,
        'constructor',
      ],
      [
        '/api/conventions',
        `{"communeInsee":"69123","communeName":"Lyon","signedOn":"2025-11-15","effectiveFrom":"2026-01-01","prototype":1}`,
        'prototype',
      ],
      [
        '/api/conventions',
        `{"communeInsee":"69123","communeName":"Lyon","signedOn":"2025-11-15","effectiveFrom":"2026-01-01","annexes":[{"serviceId":"toodego","offerId":"partenaire","effectiveFrom":"2026-01-01","__proto__":{"offerId":"x"}}]}`,
        'annexes[0].__proto__',
      ],
      [
        '/api/catalogue/services/toodego/offers/partenaire/fee-schedules',
        `{"fromYear":2027,"legalReference":"CP-1","feeSchedule":{"kind":"free","constructor":1}}`,
        'feeSchedule.constructor',
      ],
      ['/api/lifecycle/run', `{"asOf":"2027-01-01","prototype":{"__proto__":null}}`, 'prototype'],
    ])('POST %s refuses a reserved key at any depth (case %#)', (path, json, field) =>
      unchanged(async () => {
        const response = await raw(path, json);
        expectProblem(response, 400);
        expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, constraint: 'reservedKey' })]));
      }),
    );
  });

  describe('errors below the application', () => {
    let port = 0;
    beforeAll(async () => {
      const server = current().app.getHttpServer() as Server;
      if (!server.listening) await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      port = (server.address() as AddressInfo).port;
    });

    it('answers headers over 16 KB with 431 problem+json', async () => {
      const answer = await exchange(port, `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      problemOf(answer, 431);
    });

    it.each([
      ['a malformed request line', 'GARBAGE\r\n\r\n'],
      ['a Content-Length that is not a number', 'POST /api/lifecycle/run HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
      [
        'bad chunked encoding',
        'POST /api/lifecycle/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n',
      ],
      ['an invalid header character', 'GET /api/health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n'],
      ['an invalid header name', 'GET /api/health HTTP/1.1\r\nHost: x\r\nX B@d: 1\r\n\r\n'],
      [
        'both Content-Length and Transfer-Encoding',
        'POST /api/lifecycle/run HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ],
    ])('answers %s with 400 problem+json and closes', async (_, bytes) => {
      problemOf(await exchange(port, bytes), 400);
    });

    it('answers an Expect header other than 100-continue with 417 problem+json', async () => {
      problemOf(await exchange(port, 'GET /api/health HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n'), 417);
    });

    it('still serves ordinary requests on the same server afterwards', async () => {
      const answer = await exchange(port, 'GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(answer.split('\r\n')[0]).toMatch(/^HTTP\/1\.1 (200|503) /);
    });

    it('answers an unknown route with 404 problem+json and an unknown method with a problem+json', async () => {
      const { http } = current();
      expectProblem(await http.get('/api/nowhere').set(admin()), 404);
      expectProblem(await http.get('/nowhere'), 404);
      const method = await http.put('/api/conventions').set(admin()).send({});
      expect(method.status).toBeGreaterThanOrEqual(400);
      expect(method.status).toBeLessThan(500);
      expect(method.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });
});

describe('the API as shipped (main.ts, a spawned process)', () => {
  it("answers what Node's HTTP parser refuses with problem+json too", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hostile-input-'));
    const api = await spawnApi({ EVENT_STORE: 'pglite', DATA_DIR: dataDir });
    try {
      await api.waitHealthy();
      problemOf(await exchange(api.port, `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431);
      problemOf(await exchange(api.port, 'GARBAGE\r\n\r\n'), 400);
      expect((await fetch(`${api.url}/api/health`)).status).toBe(200);
    } finally {
      await api.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
