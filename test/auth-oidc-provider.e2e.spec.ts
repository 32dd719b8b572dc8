import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { TestApp, bearer, startTestApp } from './support/app';

interface ProviderInfo {
  issuer: string;
  audience: string;
  client_id: string;
  client_secret: string;
  kids: string[];
}

/**
 * Issue 13 part 3 against a real OpenID Connect provider (`oidc-provider`, test/support/oidc-provider.mjs):
 * access tokens from its token endpoint (client_credentials, RFC 9068 JWTs), its JWKS found through its
 * discovery document, and its signing key rotated. test/auth-oidc.e2e.spec.ts covers the bounds (down,
 * hanging, simultaneous first requests) with a JWKS server of our own.
 */
describe('tokens from a real OIDC provider (oidc-provider), with key rotation', () => {
  let child: ChildProcessWithoutNullStreams;
  let answers: AsyncIterator<string>;
  let provider: ProviderInfo;
  let testApp: TestApp;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** The provider's next JSON line (it also writes its own notices on stdout). */
  async function answer<T>(): Promise<T> {
    for (;;) {
      const next = await answers.next();
      if (next.done) throw new Error('the provider exited');
      if (next.value.startsWith('{')) return JSON.parse(next.value) as T;
    }
  }

  async function command(line: string): Promise<{ kids: string[] }> {
    child.stdin.write(`${line}\n`);
    return answer<{ kids: string[] }>();
  }

  async function accessToken(): Promise<string> {
    const response = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${provider.client_id}:${provider.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api' }),
    });
    const body = (await response.json()) as { access_token?: string; error?: string };
    if (!body.access_token) throw new Error(`the provider gave no token: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()) as { kid: string }).kid;
  const call = (jwt: string) => testApp.http.get('/api/catalogue').set(bearer(jwt));

  beforeAll(async () => {
    // process.execPath: the Node that runs Jest (22), which the package needs.
    child = spawn(process.execPath, [join(__dirname, 'support', 'oidc-provider.mjs')], { stdio: 'pipe' });
    answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    provider = await answer<ProviderInfo>();
    const discovery = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    testApp = await startTestApp('pglite', {
      JWT_JWKS_URL: discovery.jwks_uri,
      JWT_ISSUER: provider.issuer,
      JWT_AUDIENCE: provider.audience,
      JWT_JWKS_CACHE_MAX_AGE_SECONDS: '1',
    });
  }, 60_000);

  afterAll(async () => {
    await testApp?.close();
    child?.kill();
  });

  it('accepts the provider’s access token, and refuses it with its signature changed', async () => {
    const jwt = await accessToken();
    expect(kidOf(jwt)).toBe(provider.kids[0]);
    await call(jwt).expect(200);
    const [header, payload, signature] = jwt.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    await call(forged).expect(401);
  });

  it('accepts tokens signed before and after a rotation, then refuses the removed key once the cache max age has passed', async () => {
    const before = await accessToken();
    await call(before).expect(200);
    // An unknown key id fetches the JWKS again at most once a second.
    await sleep(1_100);
    const { kids } = await command('rotate');
    expect(kids).toHaveLength(2);
    const after = await accessToken();
    expect(kidOf(after)).toBe(kids[1]);
    expect(kidOf(before)).toBe(kids[0]);
    await call(after).expect(200);
    await call(before).expect(200);

    expect((await command('drop-old')).kids).toEqual([kids[1]]);
    // JWT_JWKS_CACHE_MAX_AGE_SECONDS=1: past it the JWKS is fetched again, without the old key.
    await sleep(1_200);
    const refused = await call(before).expect(401);
    expect(refused.body.detail).toMatch(/key/);
    await call(after).expect(200);
    await call(await accessToken()).expect(200);
  });
});
