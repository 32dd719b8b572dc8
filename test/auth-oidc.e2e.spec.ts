import { AddressInfo } from 'node:net';
import { Server, createServer } from 'node:http';
import { CryptoKey, JWK, SignJWT, exportJWK, generateKeyPair } from 'jose';
import { TestApp, bearer, startTestApp } from './support/app';

type Mode = 'ok' | 'down' | 'hang';

/** A key of the provider: its key id, private key (to sign) and public JWK (published while it is in the JWKS). */
interface ProviderKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(kid: string): Promise<ProviderKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'conventions-cadre';

/**
 * RS256 tokens checked against a JWKS served over real HTTP by a provider whose keys rotate, that can
 * go down or hang. The cache max age and fetch timeout are short so that the bounds are observable.
 */
describe('RS256 tokens from an OIDC provider (JWT_JWKS_URL)', () => {
  let server: Server;
  let testApp: TestApp;
  let mode: Mode = 'ok';
  let published: ProviderKey[] = [];
  let fetches = 0;
  const hanging = new Set<() => void>();

  const token = (key: ProviderKey, claims: Record<string, unknown> = {}, now = Math.floor(Date.now() / 1000)) =>
    new SignJWT({ role: 'admin', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setSubject('admin-oidc')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(key.privateKey);
  const call = (jwt: string) => testApp.http.get('/api/catalogue').set(bearer(jwt));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    published = [await newKey('key-1')];
    server = createServer((request, response) => {
      fetches++;
      if (mode === 'hang') return void hanging.add(() => response.destroy());
      if (mode === 'down') return void response.writeHead(502).end('bad gateway');
      // Slow enough that simultaneous first requests all arrive while the first fetch is under way.
      setTimeout(
        () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published.map((k) => k.jwk) })),
        50,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    testApp = await startTestApp('pglite', {
      JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks`,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      JWT_JWKS_CACHE_MAX_AGE_SECONDS: '1',
      JWT_JWKS_TIMEOUT_MS: '300',
      JWT_CLOCK_TOLERANCE_SECONDS: '5',
    });
  }, 60_000);

  afterAll(async () => {
    for (const end of hanging) end();
    await testApp?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('accepts every one of 8 simultaneous first requests (no cold-start race), with one JWKS fetch', async () => {
    const jwt = await token(published[0]);
    const answers = await Promise.all(Array.from({ length: 8 }, () => call(jwt)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    expect(fetches).toBe(1);
  });

  it('trusts a new key as soon as tokens carry it, and a second rotation seconds later too', async () => {
    // An unknown key id fetches the JWKS again at most once a second (a flood of made-up ids costs little).
    await sleep(1_100);
    const second = await newKey('key-2');
    published = [published[0], second];
    await call(await token(second)).expect(200);
    await sleep(1_100);
    const third = await newKey('key-3');
    published = [second, third];
    await call(await token(third)).expect(200);
  });

  it('stops trusting a key removed from the JWKS once the cache max age has passed (JWT_JWKS_CACHE_MAX_AGE_SECONDS)', async () => {
    await sleep(1_100);
    const removed = await newKey('key-removed');
    const kept = published[published.length - 1];
    published = [kept, removed];
    await call(await token(removed)).expect(200);
    published = [kept];
    await sleep(1_200);
    const refused = await call(await token(removed)).expect(401);
    expect(refused.body.detail).toMatch(/key/);
    await call(await token(kept)).expect(200);
  });

  it('refuses a token signed with a key the provider never published (401), and one without the right issuer', async () => {
    const stranger = await newKey(published[0].kid);
    await call(await token(stranger)).expect(401);
    const wrongIssuer = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'RS256', kid: published[0].kid })
      .setSubject('x')
      .setIssuer('https://elsewhere.test')
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(published[0].privateKey);
    await call(wrongIssuer).expect(401);
  });

  it('allows nbf within the clock tolerance (JWT_CLOCK_TOLERANCE_SECONDS), not beyond', async () => {
    const now = Math.floor(Date.now() / 1000);
    const early = await call(await token(published[0], { nbf: now + 3 }));
    expect({ status: early.status, detail: early.body.detail }).toEqual({ status: 200, detail: undefined });
    await call(await token(published[0], { nbf: now + 60 })).expect(401);
  });

  it('answers 503 identity-provider-unavailable with Retry-After when the provider is down and no cached key is fresh', async () => {
    const jwt = await token(published[0]);
    mode = 'down';
    await sleep(1_200);
    const answer = await call(jwt).expect(503);
    expect(answer.headers['retry-after']).toBeDefined();
    expect(answer.body).toMatchObject({ type: '/problems/identity-provider-unavailable', status: 503 });
    // Readiness says so too, so that a load balancer routes elsewhere.
    const readiness = await testApp.http.get('/api/health/ready').expect(503);
    expect(readiness.body).toMatchObject({ type: '/problems/not-ready', identityProvider: 'unreachable' });
    mode = 'ok';
    await sleep(1_100);
    await call(jwt).expect(200);
    expect((await testApp.http.get('/api/health/ready').expect(200)).body).toMatchObject({ identityProvider: 'reachable' });
  });

  it('answers 503 within the fetch timeout (JWT_JWKS_TIMEOUT_MS) when the provider hangs, instead of hanging', async () => {
    const jwt = await token(published[0]);
    mode = 'hang';
    await sleep(1_200);
    const started = Date.now();
    await call(jwt).expect(503);
    expect(Date.now() - started).toBeLessThan(2_000);
    mode = 'ok';
  });
});
