import { Response } from 'supertest';
import { bearer, describeE2E } from './support/app';
import { refused as refusedIn, storedEvents, unchanged as unchangedIn } from './conventions-support';

/** The reference facts over HTTP: populations (R-FEE-2), Syntec (R-FEE-3), legacy conventions (R-LEG-1), corrections (R-TIME-2). */
describeE2E('reference facts over HTTP', (current) => {
  const post = (path: string, body: Record<string, unknown>) =>
    current().http.post(`/api/${path}`).set(bearer(current().tokens.admin)).send(body);

  const unchanged = (act: () => PromiseLike<Response>) => unchangedIn(current(), act);
  const refused = (status: number, rule: string, code: string, act: () => PromiseLike<Response>) =>
    refusedIn(current(), status, rule, code, act);

  describe('POST /api/reference/populations', () => {
    const lyon = {
      communeInsee: '69123',
      population: 520774,
      effectiveDate: '2025-01-01',
      source: 'INSEE, populations légales 2022 (population municipale)',
    };

    it('records a population figure with the date it came into force (R-FEE-2)', async () => {
      const response = await post('reference/populations', lyon).expect(201);
      expect(response.body).toMatchObject({ version: 1, events: [{ type: 'PopulationRecorded', data: lyon }] });
      const [event] = (await storedEvents(current())).filter((e) => e.streamId === 'commune-69123');
      expect(event.data).toEqual(lyon);
    });

    it('records nothing for the same figure again', async () => {
      const response = await unchanged(() => post('reference/populations', lyon));
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ position: null, events: [] });
    });

    it('refuses a correction without a reason, records one with its reason (R-TIME-2)', async () => {
      await refused(422, 'R-TIME-2', 'CorrectionReasonMissing', () => post('reference/populations', { ...lyon, population: 520775 }));
      const response = await post('reference/populations', { ...lyon, population: 520775, reason: 'Erratum INSEE' }).expect(201);
      expect(response.body.events[0].data).toEqual({
        ...lyon,
        population: 520775,
        corrects: { population: 520774, source: lyon.source, reason: 'Erratum INSEE' },
      });
    });

    it('refuses a population of 0 and a blank source (R-FEE-2)', async () => {
      await refused(422, 'R-FEE-2', 'InvalidPopulation', () =>
        post('reference/populations', { ...lyon, communeInsee: '69029', population: 0 }),
      );
      await refused(422, 'R-FEE-2', 'SourceMissing', () =>
        post('reference/populations', { ...lyon, communeInsee: '69029', source: '   ' }),
      );
    });

    it('reads a Corsican INSEE code as a code, and refuses Ajaccio as no commune of the Métropole (R-COM-2)', async () => {
      await refused(422, 'R-COM-2', 'not_a_member', () =>
        post('reference/populations', { ...lyon, communeInsee: '2A004', population: 69000 }),
      );
    });
  });

  describe('POST /api/reference/syntec', () => {
    const october = { period: '2025-10', value: '322.2', publishedOn: '2025-11-28' };

    it('records an index value with its publication date (R-FEE-3)', async () => {
      const response = await post('reference/syntec', october).expect(201);
      expect(response.body.events).toEqual([{ type: 'SyntecIndexRecorded', position: response.body.position, data: october }]);
    });

    it('records nothing for the same value again, even written "322.20"', async () => {
      expect((await unchanged(() => post('reference/syntec', { ...october, value: '322.20' }))).status).toBe(201);
    });

    it('refuses a value of 0 and a publication before the month is over (R-FEE-3)', async () => {
      await refused(422, 'R-FEE-3', 'InvalidIndexValue', () => post('reference/syntec', { ...october, period: '2025-09', value: '0' }));
      await refused(422, 'R-FEE-3', 'PublishedBeforePeriodEnd', () =>
        post('reference/syntec', { period: '2025-11', value: '322.9', publishedOn: '2025-11-30' }),
      );
    });

    it('refuses a correction without a reason, records one with its reason (R-TIME-2)', async () => {
      await refused(422, 'R-TIME-2', 'CorrectionReasonMissing', () => post('reference/syntec', { ...october, value: '322.3' }));
      const response = await post('reference/syntec', { ...october, value: '322.3', reason: 'Valeur révisée' }).expect(201);
      expect(response.body.events[0].data).toEqual({
        ...october,
        value: '322.3',
        corrects: { value: '322.2', publishedOn: '2025-11-28', reason: 'Valeur révisée' },
      });
    });
  });

  describe('POST /api/legacy-conventions', () => {
    const bron = { communeInsee: '69029', communeName: 'Bron', serviceId: 'toodego', offerId: 'partenaire', year: 2025 };

    it('records a legacy convention without its amount, unknown (R-LEG-1)', async () => {
      const response = await post('legacy-conventions', bron).expect(201);
      expect(response.body.events[0]).toMatchObject({
        type: 'LegacyConventionRecorded',
        data: { ...bron, annualContribution: null, startDate: null },
      });
    });

    it('records one with its amount, normalised to two decimals, and its start date (R-LEG-1)', async () => {
      const response = await post('legacy-conventions', {
        ...bron,
        serviceId: 'laclasse',
        offerId: 'standard',
        annualContribution: '12000.5',
        startDate: '2019-09-01',
      }).expect(201);
      expect(response.body.events[0].data).toMatchObject({
        serviceId: 'laclasse',
        annualContribution: '12000.50',
        startDate: '2019-09-01',
      });
    });

    it.each([
      ['a service not in the catalogue', { serviceId: 'geonet' }, 'UnknownService'],
      ['an offer the service does not have', { offerId: 'premium' }, 'UnknownOffer'],
      ['a contribution for another year than 2025', { year: 2024 }, 'WrongContributionYear'],
      ['a start after the transition', { startDate: '2026-01-01' }, 'LegacyStartAfterTransition'],
    ])('refuses %s (R-LEG-1)', async (_, change, code) => {
      await refused(422, 'R-LEG-1', code, () =>
        post('legacy-conventions', { ...bron, communeInsee: '69034', communeName: 'Caluire-et-Cuire', ...change }),
      );
    });

    it('records nothing for the same again; a correction needs a reason (R-TIME-2)', async () => {
      expect((await unchanged(() => post('legacy-conventions', bron))).status).toBe(201);
      await refused(422, 'R-TIME-2', 'CorrectionReasonMissing', () =>
        post('legacy-conventions', { ...bron, annualContribution: '90000.00' }),
      );
      const response = await post('legacy-conventions', { ...bron, annualContribution: '90000.00', reason: 'Montant retrouvé' }).expect(
        201,
      );
      expect(response.body.events[0].data.corrects).toEqual({
        offerId: 'partenaire',
        annualContribution: null,
        startDate: null,
        reason: 'Montant retrouvé',
      });
    });
  });
});
