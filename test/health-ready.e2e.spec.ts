import { comparePositions, parsePosition } from '@lib/event-store/event-store.port';
import { ProjectionHost } from '../apps/api/src/projections/projection-host';
import { bearer, describeE2E } from './support/app';

/** Readiness (GET /api/health/ready) beside liveness (GET /api/health): docs/failures.md. */
describeE2E('readiness', (current) => {
  it('is 200 once every projection runs at the head, naming each with its position', async () => {
    const { http, tokens } = current();
    const signed = await http
      .post('/api/conventions')
      .set(bearer(tokens.admin))
      .send({ communeInsee: '69003', communeName: 'Albigny-sur-Saône', signedOn: '2025-11-15', effectiveFrom: '2026-01-01' })
      .expect(201);
    let ready = await http.get('/api/health/ready');
    for (let tries = 0; ready.status !== 200 && tries < 50; tries++) ready = await http.get('/api/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    const names = ready.body.projections.map((projection: { name: string }) => projection.name);
    expect(names.length).toBeGreaterThan(0);
    for (const projection of ready.body.projections) expect(projection).toMatchObject({ state: 'running', position: expect.any(String) });
    expect(comparePositions(parsePosition(ready.body.head)!, parsePosition(signed.body.position)!)).toBeGreaterThanOrEqual(0);
  });

  it('is 503 problem+json with each projection state while they do not run, and liveness stays 200', async () => {
    const { http, app } = current();
    const host = app.get(ProjectionHost);
    await host.runner.stop();
    try {
      const ready = await http.get('/api/health/ready').expect(503);
      expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(ready.headers['retry-after']).toBe('1');
      expect(ready.body).toMatchObject({ status: 503, type: '/problems/not-ready' });
      expect(ready.body.projections.length).toBeGreaterThan(0);
      for (const projection of ready.body.projections)
        expect(projection).toMatchObject({ state: 'stopped', position: expect.any(String), lagEvents: expect.any(Number) });
      await http.get('/api/health').expect(200); // liveness does not depend on the projections
    } finally {
      await host.runner.start();
    }
    let again = await http.get('/api/health/ready');
    for (let tries = 0; again.status !== 200 && tries < 50; tries++) again = await http.get('/api/health/ready');
    expect(again.status).toBe(200);
  });
});
