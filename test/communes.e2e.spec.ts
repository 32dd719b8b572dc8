import { Response } from 'supertest';
import { bearer, describeE2E } from './support/app';
import { refused as refusedIn, storedEvents, unchanged } from './conventions-support';

/** The official geography where facts are recorded (docs/communes.md: R-COM-1, R-COM-2, R-COM-3). */
describeE2E('communes are real', (current) => {
  const post = (path: string, body: Record<string, unknown>) =>
    current().http.post(`/api/${path}`).set(bearer(current().tokens.admin)).send(body);
  const refused = (status: number, rule: string, code: string, act: () => PromiseLike<Response>) =>
    refusedIn(current(), status, rule, code, act);
  const signing = (communeInsee: string, communeName: string) => ({
    communeInsee,
    communeName,
    signedOn: '2025-11-15',
    effectiveFrom: '2026-01-01',
    annexes: [{ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-01-01' }],
  });
  const population = (communeInsee: string) => ({ communeInsee, population: 1000, effectiveDate: '2025-01-01', source: 'INSEE' });
  const legacy = (communeInsee: string, communeName: string) => ({
    communeInsee,
    communeName,
    serviceId: 'laclasse',
    offerId: 'standard',
    year: 2025,
  });

  it('refuses a code that is no commune (R-COM-1), for conventions, populations and legacy conventions', async () => {
    await refused(422, 'R-COM-1', 'unknown_commune', () => post('conventions', signing('69998', 'Nulle-Part')));
    await refused(422, 'R-COM-1', 'unknown_commune', () => post('reference/populations', population('69998')));
    await refused(422, 'R-COM-1', 'unknown_commune', () => post('legacy-conventions', legacy('99999', 'Nulle-Part')));
  });

  it('refuses Paris, a commune outside the Métropole (R-COM-2)', async () => {
    await refused(422, 'R-COM-2', 'not_a_member', () => post('conventions', signing('75056', 'Paris')));
    await refused(422, 'R-COM-2', 'not_a_member', () => post('reference/populations', population('75056')));
  });

  it('refuses the former codes of a commune nouvelle, naming the current one; takes the new code', async () => {
    const response = await unchanged(current(), () => post('conventions', signing('69152', 'Pierre-Bénite')));
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({
      rule: 'R-COM-1',
      code: 'former_code',
      facts: { currentInsee: '69149', currentName: 'Oullins-Pierre-Bénite' },
    });
    expect(response.body.detail).toContain('69149');
    await post('conventions', signing('69149', 'Oullins-Pierre-Bénite')).expect(201);
  });

  it('refuses a municipal arrondissement, naming its commune (R-COM-1)', async () => {
    await refused(422, 'R-COM-1', 'arrondissement', () => post('legacy-conventions', legacy('69381', 'Lyon 1er Arrondissement')));
  });

  it('answers a name that is not the commune’s with a 400 giving the expected one (R-COM-3)', async () => {
    const response = await unchanged(current(), () => post('conventions', signing('69123', 'Villeurbanne')));
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      expect.objectContaining({ field: 'communeName', rule: 'R-COM-3', message: expect.stringContaining('"Lyon"') }),
    ]);
    const legacyAnswer = await unchanged(current(), () => post('legacy-conventions', legacy('69029', 'Brom')));
    expect(legacyAnswer.body.errors).toEqual([
      expect.objectContaining({ field: 'communeName', rule: 'R-COM-3', message: expect.stringContaining('"Bron"') }),
    ]);
  });

  it('takes a name up to case and accents, and records the official spelling', async () => {
    const response = await post('legacy-conventions', legacy('69127', "marcy-l'etoile")).expect(201);
    expect(response.body.events[0].data.communeName).toBe("Marcy-l'Étoile");
    const [event] = (await storedEvents(current())).filter((e) => e.streamId === 'commune-69127');
    expect(event.data).toMatchObject({ communeName: "Marcy-l'Étoile" });
  });

  it('reads a commune: 404 for a code of no member, 400 for a malformed one', async () => {
    const get = (path: string) => current().http.get(`/api/${path}`).set(bearer(current().tokens.admin));
    expect((await get('communes/75056')).status).toBe(404);
    expect((await get('communes/69998')).status).toBe(404);
    expect((await get('communes/6912')).status).toBe(400);
    const own = await current()
      .http.get('/api/communes/69149')
      .set(bearer(current().tokens.commune('69149')));
    expect(own.status).toBe(200);
    expect(
      (
        await current()
          .http.get('/api/communes/69123')
          .set(bearer(current().tokens.commune('69149')))
      ).status,
    ).toBe(403);
  });
});
