import { communeName } from './support/communes';
import { Response } from 'supertest';
import { RecordedEvent, formatPosition } from '@lib/event-store/event-store.port';
import { bearer, describeE2E } from './support/app';
import { refused as refusedIn, storedEvents, unchanged as unchangedIn } from './conventions-support';

/**
 * Every convention command of API.md over HTTP: the success path, each business refusal reachable
 * through it (422 with its rule and code, 409 for a conflict, 404 for an unknown id), If-Match, two
 * admins at once, knownAt, who may read. After every refused request the store is unchanged.
 */
describeE2E('conventions over HTTP', (current) => {
  const admin = () => bearer(current().tokens.admin);
  const sign = (insee: string, fields: Record<string, unknown> = {}) =>
    current()
      .http.post('/api/conventions')
      .set(admin())
      .send({ communeInsee: insee, communeName: communeName(insee), signedOn: '2025-11-15', effectiveFrom: '2026-01-01', ...fields });
  const command = (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    current().http.post(`/api/conventions/${path}`).set(admin()).set(headers).send(body);
  const read = (id: string, token = current().tokens.admin) => current().http.get(`/api/conventions/${id}`).set(bearer(token));
  const annex = (serviceId: string, offerId: string, effectiveFrom: string) => ({ serviceId, offerId, effectiveFrom });

  const streamEvents = async (streamId: string): Promise<RecordedEvent[]> =>
    (await storedEvents(current())).filter((event) => event.streamId === streamId);
  const unchanged = (act: () => PromiseLike<Response>) => unchangedIn(current(), act);
  const refused = (status: number, rule: string, code: string, act: () => PromiseLike<Response>) =>
    refusedIn(current(), status, rule, code, act);

  describe('POST /api/conventions', () => {
    it('signs a convention with its annexes: 201 {conventionId, version, position} once stored, the actor recorded (R-CONV-2, R-CONV-3, R-ANX-1, R-AUD-1)', async () => {
      const response = await sign('69123', {
        communeName: 'Lyon',
        annexes: [annex('toodego', 'partenaire', '2026-01-01'), annex('laclasse', 'standard', '2026-01-01')],
      }).expect(201);
      expect(response.body).toMatchObject({ conventionId: '69123-1', version: 3 });
      expect(response.headers.location).toBe('/api/conventions/69123-1');
      expect(response.headers.etag).toBe('"3"');

      const events = await streamEvents('convention-69123-1');
      expect(events.map((e) => e.type)).toEqual(['ConventionSigned', 'AnnexAdded', 'AnnexAdded']);
      expect(response.body.position).toBe(formatPosition(events[2].position));
      // R-CONV-2: without a legal reference the convention cites the model's deliberation; R-CONV-3: one year.
      expect(events[0].data).toEqual({
        conventionId: '69123-1',
        communeInsee: '69123',
        communeName: 'Lyon',
        signedOn: '2025-11-15',
        effectiveFrom: '2026-01-01',
        legalReference: 'CP-2025-4074',
        initialPeriod: { start: '2026-01-01', end: '2026-12-31' },
      });
      expect(events[1].data).toEqual({ conventionId: '69123-1', serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' });
      expect(events[0].metadata.actor).toEqual({ id: 'admin-alice', role: 'admin' });
    });

    it('reads it back: status, periods, annexes with their offers, version as ETag', async () => {
      const response = await read('69123-1').expect(200);
      expect(response.headers.etag).toBe('"3"');
      expect(response.body).toEqual({
        conventionId: '69123-1',
        communeInsee: '69123',
        communeName: 'Lyon',
        status: 'active',
        signedOn: '2025-11-15',
        effectiveFrom: '2026-01-01',
        legalReference: 'CP-2025-4074',
        periods: [{ number: 1, start: '2026-01-01', end: '2026-12-31' }],
        annexes: [
          {
            serviceId: 'toodego',
            from: '2026-01-01',
            until: null,
            offers: [{ offerId: 'partenaire', from: '2026-01-01', until: null }],
            stop: null,
          },
          {
            serviceId: 'laclasse',
            from: '2026-01-01',
            until: null,
            offers: [{ offerId: 'standard', from: '2026-01-01', until: null }],
            stop: null,
          },
        ],
        nonRenewal: null,
        end: null,
        version: 3,
      });
    });

    it('refuses a second convention while the first is in force (R-CONV-1)', async () => {
      await refused(422, 'R-CONV-1', 'CommuneHasLiveConvention', () =>
        sign('69123', { signedOn: '2026-02-01', effectiveFrom: '2026-03-01' }),
      );
    });

    it('accepts an effective date one year before the signature, not one day more (R-CONV-2)', async () => {
      await refused(422, 'R-CONV-2', 'EffectiveDateTooEarly', () => sign('69029', { signedOn: '2026-03-01', effectiveFrom: '2025-02-28' }));
      const response = await sign('69029', { signedOn: '2026-03-01', effectiveFrom: '2025-03-01', legalReference: 'CM-2026-0042' }).expect(
        201,
      );
      expect(response.body.events[0].data).toMatchObject({
        legalReference: 'CM-2026-0042',
        initialPeriod: { start: '2025-03-01', end: '2026-02-28' },
      });
    });

    it.each([
      ['a service not in the catalogue', [annex('geonet', 'standard', '2026-01-01')], 'R-ANX-1', 'UnknownService'],
      ['an offer the service does not have', [annex('toodego', 'premium', '2026-01-01')], 'R-ANX-1', 'UnknownOffer'],
      ['an offer not open (abonne)', [annex('toodego', 'abonne', '2026-01-01')], 'R-CAT-3', 'OfferNotOpen'],
      ['an annex before the convention starts', [annex('toodego', 'partenaire', '2025-12-31')], 'R-ANX-1', 'AnnexOutsideConventionLife'],
      ['an annex after its known life', [annex('laclasse', 'standard', '2027-01-01')], 'R-ANX-1', 'AnnexOutsideConventionLife'],
      [
        'two annexes for one service',
        [annex('toodego', 'partenaire', '2026-01-01'), annex('toodego', 'connecte', '2026-06-01')],
        'R-ANX-2',
        'AnnexAlreadyInForce',
      ],
    ])('refuses a signature with %s, recording nothing, not even the convention', async (_, annexes, rule, code) => {
      await refused(422, rule, code, () => sign('69003', { annexes }));
    });

    it('has recorded no convention for the commune after those refusals (404)', async () => {
      await read('69003-1').expect(404);
    });
  });

  describe('POST /api/conventions/{id}/annexes', () => {
    it('adds an annex with or without If-Match: 201, the new version as ETag (R-ANX-1)', async () => {
      expect((await sign('69033').expect(201)).body.version).toBe(1);
      const first = await command('69033-1/annexes', annex('laclasse', 'standard', '2026-03-01'), { 'If-Match': '"1"' }).expect(201);
      expect(first.body).toMatchObject({
        conventionId: '69033-1',
        version: 2,
        events: [{ type: 'AnnexAdded', data: annex('laclasse', 'standard', '2026-03-01') }],
      });
      expect(first.headers.etag).toBe('"2"');
      const second = await command('69033-1/annexes', annex('toodego', 'connecte', '2026-02-01')).expect(201);
      expect(second.body.version).toBe(3);
    });

    it.each([
      ['a service that already has an annex in force', annex('laclasse', 'standard', '2026-06-01'), 'R-ANX-2', 'AnnexAlreadyInForce'],
      ['an offer not open', annex('toodego', 'abonne', '2026-06-01'), 'R-CAT-3', 'OfferNotOpen'],
      ['a service not in the catalogue', annex('geonet', 'standard', '2026-06-01'), 'R-ANX-1', 'UnknownService'],
      ['an offer the service does not have', annex('laclasse', 'premium', '2026-06-01'), 'R-ANX-1', 'UnknownOffer'],
    ])('refuses %s (422)', async (_, body, rule, code) => {
      await refused(422, rule, code, () => command('69033-1/annexes', body));
    });

    it('refuses an annex outside the convention life known so far (R-ANX-1)', async () => {
      await sign('69034').expect(201);
      await refused(422, 'R-ANX-1', 'AnnexOutsideConventionLife', () =>
        command('69034-1/annexes', annex('toodego', 'partenaire', '2025-12-31')),
      );
      await refused(422, 'R-ANX-1', 'AnnexOutsideConventionLife', () =>
        command('69034-1/annexes', annex('toodego', 'partenaire', '2027-01-01')),
      );
    });

    it('annexes a stopped service again as a new annex period, not before the stop (R-ANX-2, R-ANX-3)', async () => {
      await command('69034-1/annexes', annex('toodego', 'partenaire', '2026-01-01')).expect(201);
      await command('69034-1/annexes/toodego/stop', { effectiveOn: '2026-04-01', reason: 'Suspension' }).expect(200);
      await refused(422, 'R-ANX-2', 'AnnexAlreadyInForce', () => command('69034-1/annexes', annex('toodego', 'connecte', '2026-03-31')));
      await command('69034-1/annexes', annex('toodego', 'connecte', '2026-04-01')).expect(201);
      const { body } = await read('69034-1').expect(200);
      expect(body.annexes).toEqual([
        {
          serviceId: 'toodego',
          from: '2026-01-01',
          until: '2026-03-31',
          offers: [{ offerId: 'partenaire', from: '2026-01-01', until: '2026-03-31' }],
          stop: { effectiveOn: '2026-04-01', reason: 'Suspension' },
        },
        {
          serviceId: 'toodego',
          from: '2026-04-01',
          until: null,
          offers: [{ offerId: 'connecte', from: '2026-04-01', until: null }],
          stop: null,
        },
      ]);
    });
  });

  describe('POST /api/conventions/{id}/annexes/{serviceId}/stop', () => {
    it('stops one service from a date, the last day being the day before; the others continue (R-ANX-3, R-TIME-3, R-AUD-1)', async () => {
      const response = await command(
        '69123-1/annexes/laclasse/stop',
        { effectiveOn: '2026-07-01', reason: "Les écoles passent à l'ENT régional", legalReference: 'Décision 2026-117' },
        { 'X-Correlation-Id': 'ticket-4242' },
      ).expect(200);
      expect(response.body.events).toEqual([
        {
          type: 'ServiceStopped',
          position: response.body.position,
          data: {
            conventionId: '69123-1',
            serviceId: 'laclasse',
            offerId: 'standard',
            effectiveOn: '2026-07-01',
            reason: "Les écoles passent à l'ENT régional",
          },
        },
      ]);
      const stopped = (await streamEvents('convention-69123-1')).at(-1)!;
      expect(stopped.metadata).toMatchObject({
        actor: { id: 'admin-alice', role: 'admin' },
        reason: "Les écoles passent à l'ENT régional",
        legalReference: 'Décision 2026-117',
        correlationId: 'ticket-4242',
      });
      expect(stopped.metadata.commandId).toEqual(expect.any(String));
      const { body } = await read('69123-1').expect(200);
      expect(body.annexes[1]).toEqual({
        serviceId: 'laclasse',
        from: '2026-01-01',
        until: '2026-06-30',
        offers: [{ offerId: 'standard', from: '2026-01-01', until: '2026-06-30' }],
        stop: { effectiveOn: '2026-07-01', reason: "Les écoles passent à l'ENT régional" },
      });
      expect(body.annexes[0].until).toBeNull();
    });

    it('answers 404 (R-ANX-3) for a service without a running annex: stopped already, or never annexed', async () => {
      await refused(404, 'R-ANX-3', 'NoAnnexInForce', () =>
        command('69123-1/annexes/laclasse/stop', { effectiveOn: '2026-08-01', reason: 'again' }),
      );
      await refused(404, 'R-ANX-3', 'NoAnnexInForce', () =>
        command('69123-1/annexes/geonet/stop', { effectiveOn: '2026-08-01', reason: 'never' }),
      );
    });

    it('refuses a stop before the current offer starts, or after the known life (R-ANX-3)', async () => {
      await refused(422, 'R-ANX-3', 'StopBeforeOfferStart', () =>
        command('69033-1/annexes/laclasse/stop', { effectiveOn: '2026-02-28', reason: 'too early' }),
      );
      await refused(422, 'R-ANX-3', 'StopOutsideConventionLife', () =>
        command('69033-1/annexes/laclasse/stop', { effectiveOn: '2027-01-02', reason: 'too late' }),
      );
    });
  });

  describe('POST /api/conventions/{id}/annexes/{serviceId}/offer-change', () => {
    it('ends the old offer the day before and starts the new one (R-ANX-4)', async () => {
      const response = await command('69123-1/annexes/toodego/offer-change', { offerId: 'connecte', effectiveFrom: '2026-09-01' }).expect(
        200,
      );
      expect(response.body.events[0]).toMatchObject({
        type: 'OfferChanged',
        data: {
          conventionId: '69123-1',
          serviceId: 'toodego',
          previousOfferId: 'partenaire',
          offerId: 'connecte',
          effectiveFrom: '2026-09-01',
        },
      });
      const { body } = await read('69123-1').expect(200);
      expect(body.annexes[0].offers).toEqual([
        { offerId: 'partenaire', from: '2026-01-01', until: '2026-08-31' },
        { offerId: 'connecte', from: '2026-09-01', until: null },
      ]);
    });

    it.each([
      ['the same offer', { offerId: 'connecte', effectiveFrom: '2026-10-01' }, 'R-ANX-4', 'SameOffer'],
      [
        'a change on the current offer’s first day',
        { offerId: 'partenaire', effectiveFrom: '2026-09-01' },
        'R-ANX-4',
        'OfferChangeNotAfterCurrentStart',
      ],
      ['an offer the service does not have', { offerId: 'premium', effectiveFrom: '2026-10-01' }, 'R-ANX-1', 'UnknownOffer'],
      ['an offer not open', { offerId: 'abonne', effectiveFrom: '2026-10-01' }, 'R-CAT-3', 'OfferNotOpen'],
      ['a date after the known life', { offerId: 'partenaire', effectiveFrom: '2027-02-01' }, 'R-ANX-1', 'AnnexOutsideConventionLife'],
    ])('refuses %s (422)', async (_, body, rule, code) => {
      await refused(422, rule, code, () => command('69123-1/annexes/toodego/offer-change', body));
    });

    it('answers 404 (R-ANX-4) for a service without a running annex', async () => {
      await refused(404, 'R-ANX-4', 'NoAnnexInForce', () =>
        command('69123-1/annexes/laclasse/offer-change', { offerId: 'standard', effectiveFrom: '2026-10-01' }),
      );
    });
  });

  describe('POST /api/conventions/{id}/non-renewal', () => {
    it('records a notice that applies to the period it falls in (R-CONV-5)', async () => {
      const response = await command('69123-1/non-renewal', { notifiedOn: '2026-10-15', by: 'commune', reason: 'Budget' }).expect(200);
      expect(response.body.events[0]).toMatchObject({
        type: 'NonRenewalNotified',
        data: {
          conventionId: '69123-1',
          notifiedOn: '2026-10-15',
          by: 'commune',
          reason: 'Budget',
          appliesToPeriod: { number: 1, start: '2026-01-01', end: '2026-12-31' },
        },
      });
      const { body } = await read('69123-1').expect(200);
      expect(body.nonRenewal).toEqual({
        notifiedOn: '2026-10-15',
        by: 'commune',
        reason: 'Budget',
        appliesToPeriod: { start: '2026-01-01', end: '2026-12-31' },
      });
    });

    it('answers 409 to a second notice (R-CONV-5, a conflict with the current state)', async () => {
      await refused(409, 'R-CONV-5', 'NonRenewalAlreadyNotified', () =>
        command('69123-1/non-renewal', { notifiedOn: '2026-11-01', by: 'metropole', reason: 'again' }),
      );
    });

    it('refuses a notice before the signature, or after the sixth year (R-CONV-5, R-CONV-4)', async () => {
      await refused(422, 'R-CONV-5', 'NoticeBeforeSignature', () =>
        command('69033-1/non-renewal', { notifiedOn: '2025-11-14', by: 'commune', reason: 'early' }),
      );
      // Six periods from 2026-01-01 end on 2031-12-31.
      await refused(422, 'R-CONV-5', 'NoticeAfterLastPeriod', () =>
        command('69033-1/non-renewal', { notifiedOn: '2032-01-01', by: 'metropole', reason: 'late' }),
      );
    });
  });

  describe('POST /api/conventions/{id}/termination', () => {
    beforeAll(async () => {
      await sign('69040', { annexes: [annex('toodego', 'partenaire', '2026-01-01'), annex('laclasse', 'standard', '2026-01-01')] }).expect(
        201,
      );
      await command('69040-1/annexes/toodego/offer-change', { offerId: 'connecte', effectiveFrom: '2026-05-01' }).expect(200);
    });

    it.each([
      ['before the convention starts', '2025-12-31', 'TerminationBeforeStart'],
      ['before the latest recorded effective date', '2026-04-30', 'TerminationBeforeLatestEvent'],
      ['after the known life', '2027-01-02', 'TerminationAfterConventionLife'],
    ])('refuses a termination %s (R-CONV-6)', async (_, effectiveOn, code) => {
      await refused(422, 'R-CONV-6', code, () => command('69040-1/termination', { effectiveOn, by: 'metropole', reason: 'x' }));
    });

    it('ends the convention and every annex the day before its effective date (R-CONV-6, R-CONV-7, R-TIME-3)', async () => {
      const response = await command(
        '69040-1/termination',
        { effectiveOn: '2026-07-01', by: 'metropole', reason: 'Résiliation' },
        { 'If-Match': '"4"' },
      ).expect(200);
      expect(response.body.events[0]).toMatchObject({
        type: 'ConventionTerminated',
        data: { conventionId: '69040-1', effectiveOn: '2026-07-01', lastDay: '2026-06-30', by: 'metropole', reason: 'Résiliation' },
      });
      const { body } = await read('69040-1').expect(200);
      expect(body.status).toBe('ended');
      expect(body.end).toEqual({
        lastDay: '2026-06-30',
        reason: 'terminated',
        termination: { effectiveOn: '2026-07-01', by: 'metropole', reason: 'Résiliation' },
      });
      expect(body.annexes.map((a: { until: string }) => a.until)).toEqual(['2026-06-30', '2026-06-30']);
      expect(body.annexes[0].offers).toEqual([
        { offerId: 'partenaire', from: '2026-01-01', until: '2026-04-30' },
        { offerId: 'connecte', from: '2026-05-01', until: '2026-06-30' },
      ]);
    });

    it.each([
      ['annexes', { serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-08-01' }],
      ['annexes/laclasse/stop', { effectiveOn: '2026-08-01', reason: 'x' }],
      ['annexes/toodego/offer-change', { offerId: 'partenaire', effectiveFrom: '2026-08-01' }],
      ['non-renewal', { notifiedOn: '2026-08-01', by: 'commune', reason: 'x' }],
      ['termination', { effectiveOn: '2026-08-01', by: 'commune', reason: 'x' }],
    ])('refuses %s on an ended convention (R-CONV-8)', async (path, body) => {
      await refused(422, 'R-CONV-8', 'ConventionEnded', () => command(`69040-1/${path}`, body));
    });

    it('lets the commune sign a new convention only after the previous one ended (R-CONV-1)', async () => {
      await refused(422, 'R-CONV-1', 'ConventionOverlapsPrevious', () =>
        sign('69040', { signedOn: '2026-06-01', effectiveFrom: '2026-06-30' }),
      );
      const response = await sign('69040', { signedOn: '2026-06-01', effectiveFrom: '2026-07-01' }).expect(201);
      expect(response.body.conventionId).toBe('69040-2');
    });
  });

  describe('unknown conventions and versions', () => {
    it.each([
      ['annexes', { serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-08-01' }],
      ['annexes/toodego/stop', { effectiveOn: '2026-08-01', reason: 'x' }],
      ['annexes/toodego/offer-change', { offerId: 'connecte', effectiveFrom: '2026-08-01' }],
      ['non-renewal', { notifiedOn: '2026-08-01', by: 'commune', reason: 'x' }],
      ['termination', { effectiveOn: '2026-08-01', by: 'commune', reason: 'x' }],
    ])('answers 404 to %s on an unknown convention, If-Match or not (R-CONV-8)', async (path, body) => {
      await refused(404, 'R-CONV-8', 'ConventionNotFound', () => command(`69999-1/${path}`, body));
      await refused(404, 'R-CONV-8', 'ConventionNotFound', () => command(`69999-1/${path}`, body, { 'If-Match': '"3"' }));
      const malformed = await unchanged(() => command(`not-a-convention/${path}`, body));
      expect(malformed.status).toBe(404);
    });

    it('answers 404 to reading an unknown convention', async () => {
      await read('69999-1').expect(404);
      await read('not-a-convention').expect(404);
    });

    it('answers 409 to a stale If-Match, naming the version sent and the current one as the ETag gives them, and records nothing', async () => {
      const etag = (await read('69033-1').expect(200)).headers.etag;
      const stale = `"${Number(JSON.parse(etag)) - 1}"`;
      const response = await unchanged(() =>
        command('69033-1/non-renewal', { notifiedOn: '2026-10-01', by: 'commune', reason: 'x' }, { 'If-Match': stale }),
      );
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ type: '/problems/stale-version', status: 409, ifMatch: stale, etag });
      expect(response.body.detail).toContain(`If-Match ${stale}`);
      expect(response.body.detail).toContain(`current version ${etag}`);
      // Weak and unquoted forms name the same version; the problem answers in the ETag's own form.
      const weak = await unchanged(() =>
        command('69033-1/non-renewal', { notifiedOn: '2026-10-01', by: 'commune', reason: 'x' }, { 'If-Match': `W/${stale}` }),
      );
      expect(weak.body).toMatchObject({ ifMatch: stale, etag });
    });

    it('accepts If-Match: * (any version)', async () => {
      await command(
        '69033-1/non-renewal',
        { notifiedOn: '2025-12-01', by: 'commune', reason: 'Notice before the start' },
        { 'If-Match': '*' },
      ).expect(200);
      const { body } = await read('69033-1').expect(200);
      // A notice between signature and start applies to the first period (R-CONV-5).
      expect(body.nonRenewal.appliesToPeriod).toEqual({ start: '2026-01-01', end: '2026-12-31' });
    });
  });

  describe('GET /api/conventions/{id}?knownAt=', () => {
    it('reads the convention as known at an instant: only the facts recorded up to then (R-TIME-1)', async () => {
      const signed = (await streamEvents('convention-69033-1'))[0];
      const { body, headers } = await current()
        .http.get('/api/conventions/69033-1')
        .query({ knownAt: signed.recordedAt })
        .set(admin())
        .expect(200);
      expect(body).toMatchObject({ version: 1, annexes: [], nonRenewal: null });
      expect(headers.etag).toBe('"1"');
      await current().http.get('/api/conventions/69033-1').query({ knownAt: '2000-01-01T00:00:00Z' }).set(admin()).expect(404);
    });

    it('accepts minPosition, the position a command answered: the convention is read from its stream, never behind', async () => {
      const { body: signed } = await sign('69044').expect(201);
      const { body } = await current()
        .http.get('/api/conventions/69044-1')
        .query({ minPosition: signed.position })
        .set(admin())
        .expect(200);
      expect(body.version).toBe(1);
    });

    it('answers 400 naming the parameter for a malformed knownAt or minPosition, or an unknown parameter', async () => {
      for (const query of [
        { knownAt: 'yesterday' },
        { knownAt: '2026-02-30T00:00:00Z' },
        { knownAt: '2026-01-01T25:00:00Z' },
        { minPosition: 'last' },
        { knowAt: '2026-01-01T00:00:00Z' },
      ]) {
        const response = await current().http.get('/api/conventions/69033-1').query(query).set(admin()).expect(400);
        expect(response.body.errors.map((e: { field: string }) => e.field)).toEqual(Object.keys(query));
      }
    });
  });

  describe('two admins at once', () => {
    it('one change with a given If-Match succeeds, the other gets 409; the winner’s events are there, not the loser’s', async () => {
      await sign('69046', { annexes: [annex('toodego', 'partenaire', '2026-01-01')] }).expect(201);
      const [a, b] = await Promise.all([
        command('69046-1/annexes', annex('laclasse', 'standard', '2026-02-01'), { 'If-Match': '"2"' }),
        command('69046-1/non-renewal', { notifiedOn: '2026-03-01', by: 'commune', reason: 'x' }, { 'If-Match': '"2"' }),
      ]);
      expect([a.status, b.status].filter((status) => status === 409)).toHaveLength(1);
      const winner = a.status === 201 ? 'AnnexAdded' : b.status === 200 ? 'NonRenewalNotified' : 'none';
      // Exactly the winner's event after the signature and its annex: nothing of the loser's.
      expect((await streamEvents('convention-69046-1')).map((e) => e.type)).toEqual(['ConventionSigned', 'AnnexAdded', winner]);
      expect((await read('69046-1').expect(200)).body.version).toBe(3);
    });

    it('two signatures for one commune at once make exactly one convention (R-CONV-1)', async () => {
      const responses = await Promise.all([sign('69063'), sign('69063', { effectiveFrom: '2026-02-01' })]);
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses[0]).toBe(201);
      expect([409, 422]).toContain(statuses[1]);
      const signed = (await storedEvents(current())).filter(
        (e) => e.type === 'ConventionSigned' && (e.data as { communeInsee: string }).communeInsee === '69063',
      );
      expect(signed).toHaveLength(1);
    });
  });

  describe('who may read a convention', () => {
    it('a commune reads its own (200) but not another’s (403), known or not', async () => {
      const lyon = current().tokens.commune('69123');
      await read('69123-1', lyon).expect(200);
      const other = await read('69033-1', lyon).expect(403);
      expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
      await read('69999-1', lyon).expect(403);
    });

    it('an auditor reads it; a consumer may not (403); without a token, 401', async () => {
      await read('69123-1', current().tokens.auditor).expect(200);
      await read('69123-1', current().tokens.consumer).expect(403);
      await current().http.get('/api/conventions/69123-1').expect(401);
    });
  });
});
