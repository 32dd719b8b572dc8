import { bearer, describeE2E } from './support/app';

describeE2E('health, authentication and errors', (current) => {
  it('answers 200 on /api/health without a token once the store is reachable', async () => {
    const response = await current().http.get('/api/health').expect(200);
    expect(response.body.status).toBe('ok');
  });

  it('refuses a route without a token (401) and with a bad token (401), as problem+json', async () => {
    const none = await current().http.get('/api/catalogue').expect(401);
    expect(none.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(none.body).toMatchObject({ status: 401, title: 'Unauthorized' });
    await current().http.get('/api/catalogue').set(bearer('not.a.token')).expect(401);
  });

  it('refuses a command to a role that may not write (403)', async () => {
    const { http, tokens } = current();
    await http
      .post('/api/reference/syntec')
      .set(bearer(tokens.auditor))
      .send({ period: '2025-10', value: '322.2', publishedOn: '2025-11-28' })
      .expect(403);
  });

  it('records the catalogue of CP-2025-4074 at first start (R-CAT-2)', async () => {
    const { http, tokens } = current();
    const response = await http.get('/api/catalogue').set(bearer(tokens.auditor)).expect(200);
    const services = response.body.services.map((s: { serviceId: string }) => s.serviceId);
    expect(services.sort()).toEqual(['laclasse', 'toodego']);
  });
});
