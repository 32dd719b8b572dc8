import { METROPOLE_COMMUNES } from './support/communes';
import { bearer, describeE2E, startTestApp } from './support/app';

const METRICS_TOKEN = 'metrics-scraper-token-0123456789';
const [lyon] = METROPOLE_COMMUNES;

/** GET /metrics (docs/operations.md): the Prometheus exposition, behind METRICS_TOKEN. */
describeE2E(
  'operations: Prometheus metrics at /metrics',
  (current) => {
    it('refuses a missing, malformed or wrong token with 401 problem+json', async () => {
      const { http } = current();
      for (const authorization of [
        undefined,
        'Basic bWV0cmljczp4',
        `Bearer ${METRICS_TOKEN}x`,
        `Bearer ${METRICS_TOKEN.slice(1)}`,
        'Bearer',
      ]) {
        const request = http.get('/metrics');
        const response = await (authorization ? request.set('Authorization', authorization) : request);
        expect(response.status).toBe(401);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.text).not.toContain('http_request_duration_seconds');
      }
    });

    it('counts a refused command by its rule, a request by its route pattern, and exposes every family', async () => {
      const { http, tokens } = current();
      const sign = () =>
        http
          .post('/api/conventions')
          .set(bearer(tokens.admin))
          .send({ communeInsee: lyon.insee, communeName: lyon.name, signedOn: '2026-01-10', effectiveFrom: '2026-02-01', annexes: [] });
      const signed = await sign();
      expect(signed.status).toBe(201);
      const { conventionId, position } = signed.body as { conventionId: string; position: string };
      const refused = await sign();
      expect(refused.status).toBe(422);
      expect(refused.body.rule).toBe('R-CONV-1');
      const read = await http.get(`/api/conventions/${conventionId}`).query({ minPosition: position }).set(bearer(tokens.admin));
      expect(read.status).toBe(200);
      expect((await http.get(`/api/conventions/${conventionId}`)).status).toBe(401);

      const response = await http.get('/metrics').set(bearer(METRICS_TOKEN));
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = response.text;
      for (const family of [
        'http_request_duration_seconds',
        'commands_total',
        'projection_position',
        'projection_lag_events',
        'feed_streams_open',
        'process_cpu_user_seconds_total',
        'nodejs_eventloop_lag_seconds',
      ])
        expect(text).toContain(`# TYPE ${family} `);
      expect(text).toMatch(/^commands_total\{command="conventions\.sign",outcome="accepted"\} 1$/m);
      expect(text).toMatch(/^commands_total\{command="conventions\.sign",outcome="R-CONV-1"\} 1$/m);
      expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/api\/conventions\/:id",status="200"\} 1$/m);
      expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/api\/conventions\/:id",status="401"\} 1$/m);
      expect(text).not.toContain(conventionId);
      // Every projection has a position and a lag.
      expect(text).toMatch(/^projection_position\{projection="[a-z_-]+"\} \d+$/m);
      expect(text).toMatch(/^projection_lag_events\{projection="[a-z_-]+"\} \d+$/m);
      expect(text).toMatch(/^feed_streams_open 0$/m);
    });

    it('reports the sealer tail on a store that seals after the append (PostgreSQL)', async () => {
      const { http, kind } = current();
      const text = (await http.get('/metrics').set(bearer(METRICS_TOKEN))).text;
      if (kind === 'postgres') {
        expect(text).toMatch(/^audit_unsealed_events \d+$/m);
        expect(text).toMatch(/^audit_unsealed_oldest_age_seconds [\d.e-]+$/m);
      } else expect(text).toContain('# TYPE audit_unsealed_events gauge');
    });
  },
  { METRICS_TOKEN },
);

describe('operations: /metrics without METRICS_TOKEN', () => {
  it('answers 404, with or without a token, so that nothing leaks', async () => {
    const app = await startTestApp('pglite');
    try {
      for (const response of [await app.http.get('/metrics'), await app.http.get('/metrics').set(bearer(METRICS_TOKEN))]) {
        expect(response.status).toBe(404);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.text).not.toContain('# TYPE');
      }
    } finally {
      await app.close();
    }
  }, 60_000);
});
