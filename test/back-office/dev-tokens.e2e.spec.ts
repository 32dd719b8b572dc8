import { bearer, describeE2E, startTestApp } from '../support/app';

// The back office's development sign-in (POST /api/dev/tokens): a usable token outside production, a
// problem+json for bad input, and no route at all in production.
describeE2E('development tokens', (current) => {
  it('signs a token the API then accepts, with the role and name asked', async () => {
    const answer = await current().http.post('/api/dev/tokens').send({ role: 'auditor', sub: 'claire.martin' }).expect(201);
    expect(answer.body).toMatchObject({ role: 'auditor', sub: 'claire.martin', insee: null });
    await current().http.get('/api/audit/verify').set(bearer(answer.body.token)).expect(200);
    // An auditor's token is not an admin's: the role asked is the role given.
    await current()
      .http.post('/api/reference/syntec')
      .set(bearer(answer.body.token))
      .send({ period: '2025-10', value: '1', publishedOn: '2025-11-28' })
      .expect(403);
  });

  it('gives a commune token its INSEE code', async () => {
    const answer = await current().http.post('/api/dev/tokens').send({ role: 'commune', sub: 'mairie-lyon', insee: '69123' }).expect(201);
    expect(answer.body.insee).toBe('69123');
    await current().http.get('/api/communes/69123/entitlements').set(bearer(answer.body.token)).expect(200);
    await current().http.get('/api/communes/69266/entitlements').set(bearer(answer.body.token)).expect(403);
  });

  it.each([
    [{ role: 'root', sub: 'x' }, 'role'],
    [{ role: 'admin' }, 'sub'],
    [{ role: 'admin', sub: 'a b' }, 'sub'],
    [{ role: 'commune', sub: 'mairie' }, 'insee'],
    [{ role: 'commune', sub: 'mairie', insee: '6912' }, 'insee'],
    [{ role: 'admin', sub: 'x', insee: '69123' }, 'insee'],
    [{ role: 'admin', sub: 'x', exp: 9999999999 }, 'exp'],
  ])('refuses %j naming %s (problem+json)', async (body, field) => {
    const answer = await current().http.post('/api/dev/tokens').send(body).expect(400);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });
});

describe('development tokens in production', () => {
  it('do not exist (404)', async () => {
    const app = await startTestApp('pglite', { NODE_ENV: 'production' });
    try {
      const answer = await app.http.post('/api/dev/tokens').send({ role: 'admin', sub: 'intrus' });
      expect(answer.status).toBe(404);
      expect(answer.body.token).toBeUndefined();
    } finally {
      await app.close();
    }
  }, 60_000);
});
