import { bearer, describeE2E } from './support/app';

/** Seconds since the epoch, as tokens count time. */
const now = () => Math.floor(Date.now() / 1000);
const HOUR = 3600;

describeE2E('token claims: present but malformed is refused, never read as absent', (current) => {
  const consumerWith = (services: unknown) =>
    current().tokens.withClaims({ sub: 'limited-consumer', role: 'consumer', services, iat: now(), exp: now() + HOUR });
  const READS = ['/api/feed', '/api/entitlements?on=2026-03-01'];

  describe('a consumer token`s services claim', () => {
    it.each([
      ['a string', 'laclasse'],
      ['a space-separated string', 'laclasse toodego'],
      ['an array with a number', ['laclasse', 5]],
      ['an object', { laclasse: true }],
      ['an empty array', []],
      ['null', null],
      ['an array with a duplicate', ['laclasse', 'laclasse']],
      ['an id the catalogue does not hold', ['laclasse', 'cantine']],
    ])('%s is refused (401) on the feed, its stream and the entitlements', async (_, services) => {
      const { http } = current();
      const token = consumerWith(services);
      for (const route of READS) {
        const answer = await http.get(route).set(bearer(token)).expect(401);
        expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(answer.body.detail).toMatch(/services claim/);
      }
      const stream = await http.get('/api/feed/stream').set(bearer(token)).expect(401);
      expect(stream.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it('an array of catalogue service ids is accepted', async () => {
      const { http } = current();
      for (const route of READS)
        await http
          .get(route)
          .set(bearer(consumerWith(['laclasse'])))
          .expect(200);
    });
  });

  describe('lifetime and clocks (JWT_MAX_LIFETIME_SECONDS 24 h, JWT_CLOCK_TOLERANCE_SECONDS 30 s by default)', () => {
    const admin = (times: Record<string, number | string>) => current().tokens.withClaims({ sub: 'admin-alice', role: 'admin', ...times });
    const status = async (token: string) => (await current().http.get('/api/catalogue').set(bearer(token))).status;

    it('refuses a token with no expiry', async () => {
      expect(await status(admin({ iat: now() }))).toBe(401);
      expect(await status(admin({}))).toBe(401);
    });

    it('refuses a token that lives longer than the bound, with or without iat', async () => {
      expect(await status(admin({ iat: now(), exp: now() + 25 * HOUR }))).toBe(401);
      expect(await status(admin({ exp: now() + 25 * HOUR }))).toBe(401);
      expect(await status(admin({ iat: now(), exp: now() + 23 * HOUR }))).toBe(200);
    });

    it('refuses an iat in the future beyond the tolerance, accepts one within it', async () => {
      expect(await status(admin({ iat: now() + 365 * 24 * HOUR, exp: now() + 365 * 24 * HOUR + HOUR }))).toBe(401);
      expect(await status(admin({ iat: now() + 120, exp: now() + HOUR }))).toBe(401);
      expect(await status(admin({ iat: now() + 10, exp: now() + HOUR }))).toBe(200);
    });

    it('allows the clock tolerance on exp and nbf, not more', async () => {
      expect(await status(admin({ iat: now() - HOUR, exp: now() - 10 }))).toBe(200);
      expect(await status(admin({ iat: now() - HOUR, exp: now() - 120 }))).toBe(401);
      expect(await status(admin({ iat: now(), nbf: now() + 10, exp: now() + HOUR }))).toBe(200);
      expect(await status(admin({ iat: now(), nbf: now() + 120, exp: now() + HOUR }))).toBe(401);
    });

    it('refuses time claims that are not numbers', async () => {
      expect(await status(admin({ iat: now(), exp: String(now() + HOUR) }))).toBe(401);
      expect(await status(current().tokens.withClaims({ sub: 'admin-alice', role: 'admin', iat: 'yesterday', exp: now() + HOUR }))).toBe(
        401,
      );
    });
  });
});

describeE2E(
  'token lifetime from configuration',
  (current) => {
    it('JWT_MAX_LIFETIME_SECONDS bounds how long a token may live', async () => {
      const { http, tokens } = current();
      const token = (seconds: number) => tokens.withClaims({ sub: 'admin-alice', role: 'admin', iat: now(), exp: now() + seconds });
      await http
        .get('/api/catalogue')
        .set(bearer(token(600)))
        .expect(200);
      await http
        .get('/api/catalogue')
        .set(bearer(token(900)))
        .expect(401);
    });
  },
  { JWT_MAX_LIFETIME_SECONDS: '600' },
);

describeE2E('security headers', (current) => {
  it('sends the usual security headers and no X-Powered-By', async () => {
    const answer = await current().http.get('/api/health').expect(200);
    expect(answer.headers['x-powered-by']).toBeUndefined();
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(answer.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(answer.headers['strict-transport-security']).toBeDefined();
  });

  it('keeps /api/docs working under its content security policy: every script is a file of this origin', async () => {
    const { http } = current();
    const page = await http.get('/api/docs/').expect(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self'/);
    // The page's files are asked for at the page's own scheme, plain HTTP included.
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
    const html = page.text;
    // No inline script: the policy would block it.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const assets = [...html.matchAll(/(?:src|href)=['"]\.\/([^'"]+)['"]/g)].map((m) => m[1]);
    expect(assets).toEqual(expect.arrayContaining(['swagger-ui-bundle.js', 'swagger-ui-init.js', 'swagger-ui.css']));
    for (const asset of assets) await http.get(`/api/docs/${asset}`).expect(200);
  });
});
