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

  it('LOG_FORMAT: json unless stdout is a terminal; json or text when given; anything else is refused', () => {
    expect(loadConfig({}, false).operations.logFormat).toBe('json');
    expect(loadConfig({}, true).operations.logFormat).toBe('text');
    expect(loadConfig({ LOG_FORMAT: 'json' }, true).operations.logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'text' }, false).operations.logFormat).toBe('text');
    expect(() => loadConfig({ LOG_FORMAT: 'pretty' })).toThrow(/LOG_FORMAT must be json or text/);
  });

  it('METRICS_TOKEN: unset is none (GET /metrics is 404); short or not a bearer token is refused', () => {
    expect(loadConfig({}).operations.metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'scrape-token-0123456789' }).operations.metricsToken).toBe('scrape-token-0123456789');
    for (const bad of ['short', 'has spaces in it, sixteen+', 'quote"quote"quote"quote'])
      expect(() => loadConfig({ METRICS_TOKEN: bad })).toThrow(/METRICS_TOKEN/);
  });

  it('CORS_ORIGINS: exact origins, trimmed; unset is none; a path, a bare host or * in production is refused', () => {
    expect(loadConfig({}).operations.corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://backoffice.example.org, http://localhost:5173' }).operations.corsOrigins).toEqual([
      'https://backoffice.example.org',
      'http://localhost:5173',
    ]);
    expect(loadConfig({ CORS_ORIGINS: '*' }).operations.corsOrigins).toEqual(['*']);
    for (const bad of [
      'backoffice.example.org',
      'https://example.org/',
      'https://example.org/app',
      'ftp://example.org',
      'https://*.example.org',
    ])
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS must be comma-separated origins/);
    expect(() => loadConfig({ CORS_ORIGINS: '*,https://example.org' })).toThrow(/cannot be combined/);
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), AUDIT_SIGNING_KEY: 'key' };
    expect(() => loadConfig({ ...production, CORS_ORIGINS: '*' })).toThrow(/refused when NODE_ENV=production/);
    expect(loadConfig({ ...production, CORS_ORIGINS: 'https://example.org' }).operations.corsOrigins).toEqual(['https://example.org']);
  });

  it('FEED_STREAM_TOKEN_TTL_SECONDS: 60 by default, 1 to 3600', () => {
    expect(loadConfig({}).feed.streamTokenTtlSeconds).toBe(60);
    expect(loadConfig({ FEED_STREAM_TOKEN_TTL_SECONDS: '5' }).feed.streamTokenTtlSeconds).toBe(5);
    for (const bad of ['0', '3601', 'a minute'])
      expect(() => loadConfig({ FEED_STREAM_TOKEN_TTL_SECONDS: bad })).toThrow(/FEED_STREAM_TOKEN_TTL_SECONDS/);
  });
});
