// A real OpenID Connect provider (the `oidc-provider` package, ESM only, hence a child process of its own
// rather than Jest's module system) for test/auth-oidc-provider.e2e.spec.ts: one client with the
// client_credentials grant, whose access tokens are JWTs (RFC 9068) for the API's audience, signed RS256.
// Commands on stdin, one per line, each answered by one JSON line on stdout (the package also writes
// notices there, which are not JSON):
//   rotate: a new signing key, published beside the previous ones;   drop-old: only the newest key published.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import Provider from 'oidc-provider';

const AUDIENCE = process.env.OIDC_AUDIENCE ?? 'https://api.conventions-cadre.test';
const CLIENT = { client_id: 'back-office', client_secret: 'back-office-secret' };

const newKey = () => ({
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: randomUUID(),
  alg: 'RS256',
  use: 'sig',
});

let keys = [newKey()];
let handler;
const server = createServer((request, response) => handler(request, response));
// Longer than the test's pauses: a kept-alive connection closed by the server as the client reuses it fails the request.
server.keepAliveTimeout = 120_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

// A provider per key set: its JWKS is fixed at construction. The same issuer, port and client throughout.
function provide() {
  const signing = keys[keys.length - 1].kid;
  const provider = new Provider(issuer, {
    clients: [{ ...CLIENT, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }],
    jwks: { keys },
    cookies: { keys: ['test-cookie-key'] },
    ttl: { ClientCredentials: 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: AUDIENCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'RS256', kid: signing } },
        }),
      },
    },
    // The API's claims: a role (and the client's id as `sub`, which RFC 9068 gives a client's own token).
    extraTokenClaims: () => ({ role: 'admin' }),
  });
  handler = provider.callback();
}

provide();
const say = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
say({ issuer, audience: AUDIENCE, ...CLIENT, kids: keys.map((k) => k.kid) });
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'rotate') keys = [...keys, newKey()];
  else if (line === 'drop-old') keys = keys.slice(-1);
  else {
    say({ error: `unknown command ${line}` });
    continue;
  }
  provide();
  say({ kids: keys.map((k) => k.kid) });
}
server.close();
