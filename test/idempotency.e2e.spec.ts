import { communeName } from './support/communes';
import { bearer, describeE2E } from './support/app';
import { expectProblem, storedEvents, unchanged } from './conventions-support';

/**
 * API.md: every command accepts Idempotency-Key; the same key with the same body returns the first answer
 * (same status and body) and records nothing new; with another body, 422.
 */
describeE2E('Idempotency-Key over HTTP', (current) => {
  const admin = () => bearer(current().tokens.admin);
  const post = (path: string, key: string, body: Record<string, unknown>) =>
    current().http.post(path).set(admin()).set('Idempotency-Key', key).send(body);
  const signing = (insee: string) => ({
    communeInsee: insee,
    communeName: communeName(insee),
    signedOn: '2025-11-15',
    effectiveFrom: '2026-01-01',
    annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }],
  });

  it('a retried signature records nothing new and returns the first answer, headers included', async () => {
    const first = await post('/api/conventions', 'sign-69003', signing('69003')).expect(201);
    expect(first.body.conventionId).toBe('69003-1');
    for (const body of [
      signing('69003'),
      {
        annexes: signing('69003').annexes,
        effectiveFrom: '2026-01-01',
        signedOn: '2025-11-15',
        communeName: 'Albigny-sur-Saône',
        communeInsee: '69003',
      },
    ]) {
      const retry = await unchanged(current(), () => post('/api/conventions', 'sign-69003', body));
      expect({ status: retry.status, body: retry.body, etag: retry.headers.etag, location: retry.headers.location }).toEqual({
        status: 201,
        body: first.body,
        etag: first.headers.etag,
        location: first.headers.location,
      });
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.text).toBe(first.text); // the very bytes
    }
  });

  it('answers 422 to the same key with another body, or on another route, and records nothing', async () => {
    const other = await unchanged(current(), () =>
      post('/api/conventions', 'sign-69003', { ...signing('69003'), communeName: 'Autre nom' }),
    );
    expectProblem(other, 422);
    expect(other.body.type).toBe('/problems/idempotency-key-reused');
    expectProblem(
      await unchanged(current(), () =>
        post('/api/reference/syntec', 'sign-69003', { period: '2025-10', value: '322.2', publishedOn: '2025-11-28' }),
      ),
      422,
    );
  });

  it('replays a command on a convention, a reference fact and a lifecycle run', async () => {
    const requests: Array<[string, Record<string, unknown>, number]> = [
      ['/api/conventions/69003-1/annexes', { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-02-01' }, 201],
      ['/api/conventions/69003-1/annexes/laclasse/stop', { effectiveOn: '2026-06-01', reason: 'Arrêt' }, 200],
      ['/api/reference/populations', { communeInsee: '69003', population: 1234, effectiveDate: '2025-01-01', source: 'INSEE' }, 201],
      ['/api/reference/syntec', { period: '2025-10', value: '322.2', publishedOn: '2025-11-28' }, 201],
      [
        '/api/legacy-conventions',
        { communeInsee: '69003', communeName: 'Albigny-sur-Saône', serviceId: 'laclasse', offerId: 'standard', year: 2025 },
        201,
      ],
      ['/api/catalogue/services/toodego/offers/abonne/open', { openedOn: '2026-09-01', legalReference: 'CP-2026-0500' }, 200],
      ['/api/lifecycle/run', { asOf: '2027-01-01' }, 200],
    ];
    for (const [path, body, status] of requests) {
      if (path === '/api/lifecycle/run') await storedEvents(current()); // see the lifecycle suite
      const first = await post(path, `key ${path}`.replace(/\s/g, '-'), body);
      expect({ path, status: first.status }).toEqual({ path, status });
      expect(first.body.events?.length ?? first.body.recorded.length).toBeGreaterThan(0);
      const retry = await unchanged(current(), () => post(path, `key ${path}`.replace(/\s/g, '-'), body));
      expect({ path, status: retry.status, body: retry.body }).toEqual({ path, status, body: first.body });
    }
  });

  it('returns the first answer even when it was lost before being kept: the events carry the command', async () => {
    const first = await post('/api/conventions', 'sign-69029', signing('69029')).expect(201);
    const annex = await post('/api/conventions/69029-1/annexes', 'annex-69029', {
      serviceId: 'laclasse',
      offerId: 'standard',
      effectiveFrom: '2026-03-01',
    }).expect(201);
    // As if the API had stopped between storing the events and keeping the answer.
    await current().db.query('DELETE FROM idempotency_keys');
    const retried = await unchanged(current(), () => post('/api/conventions', 'sign-69029', signing('69029')));
    expect({ status: retried.status, body: retried.body }).toEqual({ status: 201, body: first.body });
    const retriedAnnex = await unchanged(current(), () =>
      post('/api/conventions/69029-1/annexes', 'annex-69029', { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' }),
    );
    expect({ status: retriedAnnex.status, body: retriedAnnex.body }).toEqual({ status: 201, body: annex.body });
    // Answered from the events, it is still a replay, and says so.
    expect(retriedAnnex.headers['idempotent-replayed']).toBe('true');
    // Another request under the same key is refused from the events too: not answered as if it were the first.
    await current().db.query('DELETE FROM idempotency_keys');
    const reused = await unchanged(current(), () =>
      post('/api/conventions/69029-1/annexes', 'annex-69029', { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-04-01' }),
    );
    expectProblem(reused, 422);
    expect(reused.body.type).toBe('/problems/idempotency-key-reused');
    const reusedSignature = await unchanged(current(), () =>
      post('/api/conventions', 'sign-69029', { ...signing('69029'), signedOn: '2025-11-16' }),
    );
    expectProblem(reusedSignature, 422);
    expect(reusedSignature.body.type).toBe('/problems/idempotency-key-reused');
  });

  it('gives concurrent retries of one signature the same answer, and makes one convention', async () => {
    const answers = await Promise.all([1, 2, 3].map(() => post('/api/conventions', 'sign-69033', signing('69033'))));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    expect(answers[1].body).toEqual(answers[0].body);
    expect(answers[2].body).toEqual(answers[0].body);
    const signed = (await storedEvents(current())).filter(
      (e) => e.type === 'ConventionSigned' && (e.data as { communeInsee: string }).communeInsee === '69033',
    );
    expect(signed).toHaveLength(1);
  });

  it('keeps only successful answers: a refused command may be retried with its key once the state allows it (R-ANX-1)', async () => {
    await post('/api/conventions', 'sign-69034', { ...signing('69034'), annexes: [] }).expect(201);
    const body = { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2027-02-01' };
    expect((await unchanged(current(), () => post('/api/conventions/69034-1/annexes', 'annex-69034', body))).body.rule).toBe('R-ANX-1');
    await storedEvents(current()); // the run finds conventions in the global order, which may lag a commit
    await current().http.post('/api/lifecycle/run').set(admin()).send({ asOf: '2027-01-01' }).expect(200); // renews 69034-1: 2027 is in its life
    await post('/api/conventions/69034-1/annexes', 'annex-69034', body).expect(201);
  });

  it('replays nothing to a caller without a token: 401', async () => {
    expectProblem(await current().http.post('/api/conventions').set('Idempotency-Key', 'sign-69003').send(signing('69003')), 401);
  });
});
