import { communeName } from './support/communes';
import { Response } from 'supertest';
import { bearer, describeE2E } from './support/app';
import { refused, storedEvents, unchanged } from './conventions-support';

interface Recorded {
  streamId: string;
  type: string;
  position: string;
  data: Record<string, unknown>;
}

/**
 * The time-driven process over HTTP (POST /api/lifecycle/run): tacit renewals and expiries (R-CONV-3..5),
 * legacy access ends (R-LEG-2, R-LEG-3); idempotent. The run covers every convention of the store, so
 * each test looks at the streams of its own communes.
 */
describeE2E('the lifecycle over HTTP', (current) => {
  const admin = () => bearer(current().tokens.admin);
  const sign = (insee: string, fields: Record<string, unknown>) =>
    current()
      .http.post('/api/conventions')
      .set(admin())
      .send({ communeInsee: insee, communeName: communeName(insee), ...fields })
      .expect(201);
  const run = async (asOf: string): Promise<Recorded[]> => {
    // The run finds conventions in the global order, which on PostgreSQL may lag a commit by a moment.
    await storedEvents(current());
    const response = await current().http.post('/api/lifecycle/run').set(admin()).send({ asOf }).expect(200);
    expect(response.body.asOf).toBe(asOf);
    expect(response.body.position).toBe(response.body.recorded.at(-1)?.position ?? null);
    return response.body.recorded;
  };
  const of = (streamId: string, recorded: Recorded[]) =>
    recorded.filter((event) => event.streamId === streamId).map(({ type, data }) => ({ type, data }));
  const renewed = (conventionId: string, renewalNumber: number, start: string, end: string) => ({
    type: 'ConventionRenewed',
    data: { conventionId, renewalNumber, period: { start, end } },
  });
  const expired = (conventionId: string, lastDay: string, reason: string) => ({
    type: 'ConventionExpired',
    data: { conventionId, lastDay, reason },
  });

  it('renews tacitly at the end of each period, renewals 1..5, then expires after six years (R-CONV-3, R-CONV-4)', async () => {
    await sign('69003', { signedOn: '2025-11-15', effectiveFrom: '2026-01-01' });
    const id = 'convention-69003-1';
    expect(of(id, await run('2026-12-31'))).toEqual([]); // the period's last day: not over yet
    expect(of(id, await run('2027-01-01'))).toEqual([renewed('69003-1', 1, '2027-01-01', '2027-12-31')]);
    expect(of(id, await run('2029-06-30'))).toEqual([
      renewed('69003-1', 2, '2028-01-01', '2028-12-31'),
      renewed('69003-1', 3, '2029-01-01', '2029-12-31'),
    ]);
    expect(of(id, await run('2032-01-01'))).toEqual([
      renewed('69003-1', 4, '2030-01-01', '2030-12-31'),
      renewed('69003-1', 5, '2031-01-01', '2031-12-31'),
      expired('69003-1', '2031-12-31', 'max_duration'),
    ]);
    const { body } = await current().http.get('/api/conventions/69003-1').set(admin()).expect(200);
    expect(body.periods).toEqual([
      { number: 1, start: '2026-01-01', end: '2026-12-31' },
      { number: 2, start: '2027-01-01', end: '2027-12-31' },
      { number: 3, start: '2028-01-01', end: '2028-12-31' },
      { number: 4, start: '2029-01-01', end: '2029-12-31' },
      { number: 5, start: '2030-01-01', end: '2030-12-31' },
      { number: 6, start: '2031-01-01', end: '2031-12-31' },
    ]);
    expect(body).toMatchObject({ status: 'ended', end: { lastDay: '2031-12-31', reason: 'max_duration', termination: null } });
    // R-CONV-7: the expiry ends the access to every service; R-CONV-8: no command afterwards.
    await refused(current(), 422, 'R-CONV-8', 'ConventionEnded', () =>
      current()
        .http.post('/api/conventions/69003-1/annexes')
        .set(admin())
        .send({ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2031-06-01' }),
    );
  });

  it('records nothing when run again, for the same date or an earlier one (R-CONV-4)', async () => {
    for (const asOf of ['2032-01-01', '2027-01-01', '2026-06-01', '2040-01-01']) {
      const recorded = await unchanged(current(), () => run(asOf));
      expect({ asOf, recorded }).toEqual({ asOf, recorded: [] });
    }
  });

  it('renews a convention that starts on 29 February: its periods end on 28 February (R-CONV-3)', async () => {
    await sign('69029', { signedOn: '2028-02-01', effectiveFrom: '2028-02-29' });
    expect(of('convention-69029-1', await run('2029-02-28'))).toEqual([]);
    expect(of('convention-69029-1', await run('2029-03-01'))).toEqual([renewed('69029-1', 1, '2029-03-01', '2030-02-28')]);
  });

  it('expires at the end of the period a non-renewal was notified in, reason not_renewed (R-CONV-5)', async () => {
    await sign('69033', { signedOn: '2025-11-15', effectiveFrom: '2026-01-01' });
    await current()
      .http.post('/api/conventions/69033-1/non-renewal')
      .set(admin())
      .send({ notifiedOn: '2026-10-15', by: 'commune', reason: 'Budget' })
      .expect(200);
    expect(of('convention-69033-1', await run('2026-12-31'))).toEqual([]);
    expect(of('convention-69033-1', await run('2027-01-01'))).toEqual([expired('69033-1', '2026-12-31', 'not_renewed')]);
    expect((await current().http.get('/api/conventions/69033-1').set(admin()).expect(200)).body.status).toBe('ended');
  });

  it('applies a notice given after a period ended, before the run recorded its renewal, to the next period (R-CONV-5)', async () => {
    await sign('69034', { signedOn: '2025-11-15', effectiveFrom: '2026-01-01' });
    const notice = await current()
      .http.post('/api/conventions/69034-1/non-renewal')
      .set(admin())
      .send({ notifiedOn: '2027-03-01', by: 'metropole', reason: 'Fin du partenariat' })
      .expect(200);
    expect(notice.body.events[0].data.appliesToPeriod).toEqual({ number: 2, start: '2027-01-01', end: '2027-12-31' });
    expect(of('convention-69034-1', await run('2028-01-01'))).toEqual([
      renewed('69034-1', 1, '2027-01-01', '2027-12-31'),
      expired('69034-1', '2027-12-31', 'not_renewed'),
    ]);
  });

  it('refuses a notice dated in a period already renewed: it came too late (R-CONV-5)', async () => {
    await sign('69040', { signedOn: '2025-11-15', effectiveFrom: '2026-01-01' });
    await run('2027-01-01');
    await refused(current(), 422, 'R-CONV-5', 'NoticeBeforeCurrentPeriod', () =>
      current()
        .http.post('/api/conventions/69040-1/non-renewal')
        .set(admin())
        .send({ notifiedOn: '2026-12-01', by: 'commune', reason: 'late' }),
    );
  });

  describe('legacy conventions (R-LEG-2, R-LEG-3)', () => {
    const legacy = (communeInsee: string, serviceId: string, offerId: string) =>
      current()
        .http.post('/api/legacy-conventions')
        .set(admin())
        .send({ communeInsee, communeName: communeName(communeInsee), serviceId, offerId, year: 2025 })
        .expect(201);
    const ends = (recorded: Recorded[]) =>
      recorded
        .filter((event) => event.type === 'LegacyAccessEnded')
        .map((event) => event.data)
        .sort((a, b) => `${a.communeInsee}/${a.serviceId}`.localeCompare(`${b.communeInsee}/${b.serviceId}`));
    const ended = (communeInsee: string, serviceId: string, lastDay: string, conventionId: string | null, annexFrom: string | null) => ({
      communeInsee,
      serviceId,
      lastDay,
      reason: conventionId ? 'continued_by_convention' : 'no_continuity',
      conventionId,
      annexFrom,
    });

    beforeAll(async () => {
      await legacy('69046', 'toodego', 'partenaire');
      await legacy('69046', 'laclasse', 'standard');
      await legacy('69063', 'laclasse', 'standard');
      await legacy('69068', 'toodego', 'partenaire');
      // Signed in 2025, toodego from 2025-12-01: continuity, legacy toodego until 2025-11-30; laclasse not annexed.
      await sign('69046', {
        signedOn: '2025-11-15',
        effectiveFrom: '2025-12-01',
        annexes: [{ serviceId: 'toodego', offerId: 'connecte', effectiveFrom: '2025-12-01' }],
      });
      // Signed on 2025-12-20, laclasse from 2026-01-01: continuity until 2025-12-31.
      await sign('69063', {
        signedOn: '2025-12-20',
        effectiveFrom: '2026-01-01',
        annexes: [{ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-01-01' }],
      });
      // Signed in 2026: no continuity, even with an annex from 2026-01-01 (R-LEG-3).
      await sign('69068', {
        signedOn: '2026-01-05',
        effectiveFrom: '2026-01-01',
        annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }],
      });
    });

    it('ends a legacy access the day before the annex that continues it, once that day is past (R-LEG-2)', async () => {
      expect(ends(await run('2025-11-30'))).toEqual([]);
      expect(ends(await run('2025-12-01'))).toEqual([ended('69046', 'toodego', '2025-11-30', '69046-1', '2025-12-01')]);
    });

    it('ends every other legacy access on 2025-12-31, with or without continuity (R-LEG-2, R-LEG-3)', async () => {
      expect(ends(await run('2025-12-31'))).toEqual([]);
      expect(ends(await run('2026-01-01'))).toEqual([
        ended('69046', 'laclasse', '2025-12-31', null, null),
        ended('69063', 'laclasse', '2025-12-31', '69063-1', '2026-01-01'),
        ended('69068', 'toodego', '2025-12-31', null, null),
      ]);
    });

    it('records nothing when run again (R-LEG-3)', async () => {
      expect(await unchanged(current(), () => run('2026-01-01'))).toEqual([]);
      expect(await unchanged(current(), () => run('2025-06-01'))).toEqual([]);
    });

    it('corrects a recorded end when a convention signed in 2025 is recorded late (R-LEG-2, R-TIME-2)', async () => {
      await legacy('69069', 'toodego', 'partenaire');
      expect(ends(await run('2026-01-02'))).toEqual([ended('69069', 'toodego', '2025-12-31', null, null)]);
      await sign('69069', {
        signedOn: '2025-12-10',
        effectiveFrom: '2026-01-01',
        annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }],
      });
      expect(ends(await run('2026-01-02'))).toEqual([
        {
          ...ended('69069', 'toodego', '2025-12-31', '69069-1', '2026-01-01'),
          corrects: { lastDay: '2025-12-31', reason: 'no_continuity', conventionId: null },
        },
      ]);
      const stream = (await storedEvents(current())).filter((event) => event.streamId === 'commune-69069').map((event) => event.type);
      expect(stream).toEqual(['LegacyConventionRecorded', 'LegacyAccessEnded', 'LegacyAccessEnded']);
    });
  });

  it('records the actor and the reason given on each event (R-AUD-1)', async () => {
    await sign('69044', { signedOn: '2025-11-15', effectiveFrom: '2026-01-01' });
    const response: Response = await current()
      .http.post('/api/lifecycle/run')
      .set(admin())
      .send({ asOf: '2027-01-01', reason: 'Rattrapage après incident', legalReference: 'CP-2025-4074' })
      .expect(200);
    expect(of('convention-69044-1', response.body.recorded)).toEqual([renewed('69044-1', 1, '2027-01-01', '2027-12-31')]);
    const event = (await storedEvents(current())).filter((e) => e.streamId === 'convention-69044-1').at(-1)!;
    expect(event.metadata).toMatchObject({
      actor: { id: 'admin-alice', role: 'admin' },
      reason: 'Rattrapage après incident',
      legalReference: 'CP-2025-4074',
    });
  });
});
