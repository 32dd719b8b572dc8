import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('binds to loopback unless HOST says otherwise', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '::' }).host).toBe('::');
    expect(() => loadConfig({ HOST: 'not a host!' })).toThrow(ConfigError);
  });

  it('bounds token lifetimes and clock tolerance, from configuration', () => {
    expect(loadConfig({}).auth).toMatchObject({ maxLifetimeSeconds: 86_400, clockToleranceSeconds: 30 });
    expect(loadConfig({ JWT_MAX_LIFETIME_SECONDS: '600', JWT_CLOCK_TOLERANCE_SECONDS: '5' }).auth).toMatchObject({
      maxLifetimeSeconds: 600,
      clockToleranceSeconds: 5,
    });
    expect(() => loadConfig({ JWT_MAX_LIFETIME_SECONDS: 'forever' })).toThrow(/JWT_MAX_LIFETIME_SECONDS/);
    expect(() => loadConfig({ JWT_CLOCK_TOLERANCE_SECONDS: '-1' })).toThrow(/JWT_CLOCK_TOLERANCE_SECONDS/);
  });

  it('bounds the JWKS cache age and fetch timeout, and refuses a JWT_JWKS_URL that is not http(s)', () => {
    const jwks = { JWT_JWKS_URL: 'https://idp.example.test/jwks' };
    expect(loadConfig(jwks).auth).toMatchObject({ kind: 'jwks', jwksCacheMaxAgeSeconds: 300, jwksTimeoutMs: 5_000 });
    expect(loadConfig({ ...jwks, JWT_JWKS_CACHE_MAX_AGE_SECONDS: '60', JWT_JWKS_TIMEOUT_MS: '800' }).auth).toMatchObject({
      jwksCacheMaxAgeSeconds: 60,
      jwksTimeoutMs: 800,
    });
    expect(() => loadConfig({ ...jwks, JWT_JWKS_CACHE_MAX_AGE_SECONDS: '0' })).toThrow(/JWT_JWKS_CACHE_MAX_AGE_SECONDS/);
    expect(() => loadConfig({ ...jwks, JWT_JWKS_TIMEOUT_MS: '5s' })).toThrow(/JWT_JWKS_TIMEOUT_MS/);
    for (const bad of ['idp.example.test/jwks', 'file:///etc/jwks.json', 'not a url'])
      expect(() => loadConfig({ JWT_JWKS_URL: bad })).toThrow(/JWT_JWKS_URL/);
  });

  it('takes DATABASE_SCHEMA as a plain SQL identifier, or none', () => {
    expect(loadConfig({}).databaseSchema).toBeUndefined();
    expect(loadConfig({ DATABASE_SCHEMA: 'metropole_2026' }).databaseSchema).toBe('metropole_2026');
    for (const bad of ['Public', 'a-b', '1abc', 'x; DROP TABLE events', 'x'.repeat(64)])
      expect(() => loadConfig({ DATABASE_SCHEMA: bad })).toThrow(/DATABASE_SCHEMA/);
  });
});
