import { Response } from 'supertest';
import { bearer, describeE2E } from './support/app';
import { refused as refusedIn } from './conventions-support';

/** The catalogue commands over HTTP (R-CAT-1..5): success, each refusal, the store unchanged after one. */
describeE2E('catalogue over HTTP', (current) => {
  const admin = () => bearer(current().tokens.admin);
  const post = (path: string, body: Record<string, unknown>) => current().http.post(`/api/catalogue/${path}`).set(admin()).send(body);
  const free = { kind: 'free' };
  const paying = { kind: 'fixed_plus_per_inhabitant', fixed: '1000.00', perInhabitant: '0.05', baseYear: 2027, indexation: 'syntec' };
  const geonet = {
    serviceId: 'geonet',
    name: 'GéoNet',
    legalReference: 'CP-2026-0815',
    effectiveFrom: '2027-01-01',
    offers: [
      { offerId: 'decouverte', name: 'Découverte', open: true, feeSchedule: free },
      { offerId: 'standard', name: 'Standard', open: false, feeSchedule: paying },
    ],
  };

  const refused = (status: number, rule: string, code: string, act: () => PromiseLike<Response>) =>
    refusedIn(current(), status, rule, code, act);

  const catalogueService = async (serviceId: string) =>
    (await current().http.get('/api/catalogue').set(admin()).expect(200)).body.services.find(
      (s: { serviceId: string }) => s.serviceId === serviceId,
    );

  describe('POST /api/catalogue/services', () => {
    it('enters a service by amendment with its offers and fee schedules, citing its legal reference (R-CAT-1, R-CAT-4)', async () => {
      const response = await post('services', geonet).expect(201);
      expect(response.body.events).toEqual([
        {
          type: 'ServiceEnteredCatalogue',
          position: response.body.position,
          data: {
            serviceId: 'geonet',
            name: 'GéoNet',
            legalReference: 'CP-2026-0815',
            effectiveFrom: '2027-01-01',
            offers: [
              { offerId: 'decouverte', name: 'Découverte', open: true, feeSchedule: { kind: 'free' } },
              { offerId: 'standard', name: 'Standard', open: false, feeSchedule: paying },
            ],
          },
        },
      ]);
      const service = await catalogueService('geonet');
      expect(service.offers.map((o: { offerId: string; openedOn: string | null }) => [o.offerId, o.openedOn])).toEqual([
        ['decouverte', '2027-01-01'],
        ['standard', null],
      ]);
    });

    it('answers 409 to a service already in the catalogue (R-CAT-1)', async () => {
      await refused(409, 'R-CAT-1', 'ServiceAlreadyInCatalogue', () => post('services', { ...geonet, name: 'GéoNet 2' }));
      await refused(409, 'R-CAT-1', 'ServiceAlreadyInCatalogue', () => post('services', { ...geonet, serviceId: 'toodego' }));
    });

    it('refuses an offer listed twice, and a blank legal reference (R-CAT-1)', async () => {
      await refused(422, 'R-CAT-1', 'DuplicateOffer', () =>
        post('services', { ...geonet, serviceId: 'cartes', offers: [geonet.offers[0], geonet.offers[0]] }),
      );
      await refused(422, 'R-CAT-1', 'LegalReferenceMissing', () =>
        post('services', { ...geonet, serviceId: 'cartes', legalReference: '   ' }),
      );
    });
  });

  describe('POST /api/catalogue/services/{serviceId}/offers/{offerId}/open', () => {
    it('refuses an opening before the service entered the catalogue (R-CAT-3)', async () => {
      await refused(422, 'R-CAT-3', 'OfferOpenedBeforeServiceEntered', () =>
        post('services/geonet/offers/standard/open', { openedOn: '2026-12-31', legalReference: 'CP-2027-0001' }),
      );
    });

    it('refuses an opening with a blank legal reference (R-CAT-3)', async () => {
      await refused(422, 'R-CAT-3', 'LegalReferenceMissing', () =>
        post('services/geonet/offers/standard/open', { openedOn: '2027-03-01', legalReference: ' ' }),
      );
    });

    it('opens an offer from a date: annexes with it are refused before, accepted from then (R-CAT-3)', async () => {
      const response = await post('services/geonet/offers/standard/open', {
        openedOn: '2027-03-01',
        legalReference: 'CP-2027-0001',
      }).expect(200);
      expect(response.body.events[0]).toMatchObject({
        type: 'OfferOpened',
        data: { serviceId: 'geonet', offerId: 'standard', openedOn: '2027-03-01', legalReference: 'CP-2027-0001' },
      });
      expect((await catalogueService('geonet')).offers[1].openedOn).toBe('2027-03-01');

      await current()
        .http.post('/api/conventions')
        .set(admin())
        .send({ communeInsee: '69003', communeName: 'Albigny-sur-Saône', signedOn: '2027-01-10', effectiveFrom: '2027-02-01' })
        .expect(201);
      await refused(422, 'R-CAT-3', 'OfferNotOpen', () =>
        current()
          .http.post('/api/conventions/69003-1/annexes')
          .set(admin())
          .send({ serviceId: 'geonet', offerId: 'standard', effectiveFrom: '2027-02-28' }),
      );
      await current()
        .http.post('/api/conventions/69003-1/annexes')
        .set(admin())
        .send({ serviceId: 'geonet', offerId: 'standard', effectiveFrom: '2027-03-01' })
        .expect(201);
    });

    it('answers 409 to an offer already open (R-CAT-3)', async () => {
      await refused(409, 'R-CAT-3', 'OfferAlreadyOpen', () =>
        post('services/geonet/offers/standard/open', { openedOn: '2027-04-01', legalReference: 'CP-2027-0002' }),
      );
      await refused(409, 'R-CAT-3', 'OfferAlreadyOpen', () =>
        post('services/toodego/offers/partenaire/open', { openedOn: '2027-04-01', legalReference: 'CP-2027-0002' }),
      );
    });

    it('answers 404 to an unknown service or offer (R-CAT-1)', async () => {
      await refused(404, 'R-CAT-1', 'UnknownService', () =>
        post('services/cartes/offers/standard/open', { openedOn: '2027-04-01', legalReference: 'x' }),
      );
      await refused(404, 'R-CAT-1', 'UnknownOffer', () =>
        post('services/toodego/offers/premium/open', { openedOn: '2027-04-01', legalReference: 'x' }),
      );
    });

    it('opens abonne, closed at start by CP-2025-4074 §III.1.a (R-CAT-2, R-CAT-3)', async () => {
      await post('services/toodego/offers/abonne/open', { openedOn: '2026-09-01', legalReference: 'CP-2026-0500' }).expect(200);
      expect((await catalogueService('toodego')).offers.find((o: { offerId: string }) => o.offerId === 'abonne').openedOn).toBe(
        '2026-09-01',
      );
    });
  });

  describe('POST /api/catalogue/services/{serviceId}/offers/{offerId}/fee-schedules', () => {
    it('replaces a fee schedule for billing years from fromYear (R-CAT-5)', async () => {
      const schedule = {
        kind: 'fixed_plus_per_inhabitant',
        fixed: '5500.00',
        perInhabitant: '0.25',
        baseYear: 2028,
        indexation: 'syntec',
        proration: 'none',
      };
      const response = await post('services/toodego/offers/partenaire/fee-schedules', {
        fromYear: 2028,
        feeSchedule: schedule,
        legalReference: 'CP-2027-0300',
      }).expect(201);
      expect(response.body.events[0]).toMatchObject({
        type: 'FeeScheduleReplaced',
        data: { serviceId: 'toodego', offerId: 'partenaire', fromYear: 2028, feeSchedule: schedule, legalReference: 'CP-2027-0300' },
      });
      const partenaire = (await catalogueService('toodego')).offers.find((o: { offerId: string }) => o.offerId === 'partenaire');
      expect(partenaire.schedules.map((s: { fromYear: number; legalReference: string }) => [s.fromYear, s.legalReference])).toEqual([
        [2025, 'CP-2025-4074'],
        [2028, 'CP-2027-0300'],
      ]);
    });

    it('makes an offer free from a year (R-CAT-4)', async () => {
      await post('services/geonet/offers/standard/fee-schedules', {
        fromYear: 2029,
        feeSchedule: { kind: 'free' },
        legalReference: 'CP-2028-0001',
      }).expect(201);
    });

    it('refuses a year before the service entered the catalogue, and a blank legal reference (R-CAT-5)', async () => {
      await refused(422, 'R-CAT-5', 'ReplacementBeforeServiceEntered', () =>
        post('services/geonet/offers/standard/fee-schedules', { fromYear: 2026, feeSchedule: free, legalReference: 'x' }),
      );
      await refused(422, 'R-CAT-5', 'LegalReferenceMissing', () =>
        post('services/geonet/offers/standard/fee-schedules', { fromYear: 2028, feeSchedule: free, legalReference: '  ' }),
      );
    });

    it('answers 404 to an unknown service or offer (R-CAT-1)', async () => {
      await refused(404, 'R-CAT-1', 'UnknownService', () =>
        post('services/cartes/offers/standard/fee-schedules', { fromYear: 2028, feeSchedule: free, legalReference: 'x' }),
      );
      await refused(404, 'R-CAT-1', 'UnknownOffer', () =>
        post('services/laclasse/offers/premium/fee-schedules', { fromYear: 2028, feeSchedule: free, legalReference: 'x' }),
      );
    });
  });
});
