import { bearer, describeE2E } from './support/app';

/** An entitlement as one line, to compare with lines written by hand. */
interface EntitlementBody {
  serviceId: string;
  offerId: string;
  from: string | null;
  until: string | null;
  source: { kind: string; id: string; annexFrom?: string };
}
const line = (e: EntitlementBody) =>
  `${e.serviceId}/${e.offerId} ${e.from ?? '…'}..${e.until ?? '…'} ${e.source.kind} ${e.source.id}${e.source.annexFrom ? ` annex ${e.source.annexFrom}` : ''}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describeE2E('entitlements across a convention’s whole life (R-TIME-1, R-TIME-3)', (current) => {
  const INSEE = '69266'; // Villeurbanne
  const ID = `${INSEE}-1`;
  let last = '0';
  /** Recording instants worked out from the store: the last event known before each late fact. */
  const knownAt: Record<string, string> = {};
  /** Positions of the commands, for reads "as known right after" them. */
  const positionAfter: Record<string, string> = {};

  async function command(path: string, body: object, expected = 200): Promise<string> {
    const { http, tokens } = current();
    const response = await http.post(path).set(bearer(tokens.admin)).send(body);
    expect({ status: response.status, body: response.body }).toMatchObject({ status: expected });
    if (response.body.position) last = response.body.position;
    return response.body.position;
  }

  /** The last recording instant of the convention's stream (read from the stream: no wait for the global order's horizon). */
  async function lastRecordedAt(): Promise<string> {
    const [latest] = await collect(current().store.readStream(`convention-${ID}`, { direction: 'backwards', maxCount: 1 }));
    await sleep(5); // the next fact is recorded at a later millisecond
    return latest.recordedAt;
  }

  async function entitlements(query: Record<string, string>, token = current().tokens.auditor, insee = INSEE): Promise<string[]> {
    const response = await current()
      .http.get(`/api/communes/${insee}/entitlements`)
      .query({ minPosition: last, ...query })
      .set(bearer(token));
    expect(response.status).toBe(200);
    return (response.body as EntitlementBody[]).map(line);
  }

  beforeAll(async () => {
    // Signed with two annexes; first period 2026-02-01..2027-01-31 (R-CONV-3).
    positionAfter.signed = await command(
      '/api/conventions',
      {
        communeInsee: INSEE,
        communeName: 'Villeurbanne',
        signedOn: '2026-01-15',
        effectiveFrom: '2026-02-01',
        annexes: [
          { serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-02-01' },
          { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' },
        ],
      },
      201,
    );
    knownAt.beforeOfferChange = await lastRecordedAt();
    positionAfter.offerChange = await command(`/api/conventions/${ID}/annexes/toodego/offer-change`, {
      offerId: 'connecte',
      effectiveFrom: '2026-06-01',
    });
    knownAt.beforeStop = await lastRecordedAt();
    await command(`/api/conventions/${ID}/annexes/laclasse/stop`, {
      effectiveOn: '2026-09-01',
      reason: 'Les écoles passent à un autre ENT',
    });
    await command(`/api/conventions/${ID}/annexes`, { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-11-01' }, 201);
    // Two tacit renewals: 2027-02-01..2028-01-31, 2028-02-01..2029-01-31 (R-CONV-4).
    await command('/api/lifecycle/run', { asOf: '2027-02-01' });
    await command('/api/lifecycle/run', { asOf: '2028-02-01' });
    knownAt.beforeTermination = await lastRecordedAt();
    positionAfter.renewals = last;
    await command(`/api/conventions/${ID}/termination`, {
      effectiveOn: '2028-06-01',
      by: 'commune',
      reason: 'Délibération du conseil municipal',
    });
  }, 60_000);

  it('gives nothing before the convention starts', async () => {
    expect(await entitlements({ on: '2026-01-31' })).toEqual([]);
  });

  it('starts each annex on its effective date (R-ANX-1)', async () => {
    expect(await entitlements({ on: '2026-02-01' })).toEqual([
      `toodego/partenaire 2026-02-01..2026-05-31 convention ${ID} annex 2026-02-01`,
    ]);
    expect(await entitlements({ on: '2026-03-01' })).toEqual([
      `laclasse/standard 2026-03-01..2026-08-31 convention ${ID} annex 2026-03-01`,
      `toodego/partenaire 2026-02-01..2026-05-31 convention ${ID} annex 2026-02-01`,
    ]);
  });

  it('ends the old offer the day before an offer change and starts the new one on it (R-ANX-4)', async () => {
    expect(await entitlements({ on: '2026-05-31' })).toContain(
      `toodego/partenaire 2026-02-01..2026-05-31 convention ${ID} annex 2026-02-01`,
    );
    expect(await entitlements({ on: '2026-06-01' })).toEqual([
      `laclasse/standard 2026-03-01..2026-08-31 convention ${ID} annex 2026-03-01`,
      `toodego/connecte 2026-06-01..2028-05-31 convention ${ID} annex 2026-02-01`,
    ]);
  });

  it('stops one service on effectiveOn − 1, the other continues, and a new annex starts a new period (R-ANX-2, R-ANX-3)', async () => {
    expect(await entitlements({ on: '2026-08-31' })).toHaveLength(2);
    expect(await entitlements({ on: '2026-09-01' })).toEqual([`toodego/connecte 2026-06-01..2028-05-31 convention ${ID} annex 2026-02-01`]);
    expect(await entitlements({ on: '2026-10-31' })).toHaveLength(1);
    expect(await entitlements({ on: '2026-11-01' })).toEqual([
      `laclasse/standard 2026-11-01..2028-05-31 convention ${ID} annex 2026-11-01`,
      `toodego/connecte 2026-06-01..2028-05-31 convention ${ID} annex 2026-02-01`,
    ]);
  });

  it('keeps access through the renewals, and termination ends every service on its last day (R-CONV-4, R-CONV-6, R-CONV-7)', async () => {
    expect(await entitlements({ on: '2027-06-15' })).toHaveLength(2);
    expect(await entitlements({ on: '2028-05-31' })).toEqual([
      `laclasse/standard 2026-11-01..2028-05-31 convention ${ID} annex 2026-11-01`,
      `toodego/connecte 2026-06-01..2028-05-31 convention ${ID} annex 2026-02-01`,
    ]);
    expect(await entitlements({ on: '2028-06-01' })).toEqual([]);
    expect(await entitlements({ on: '2030-01-01' })).toEqual([]);
  });

  it('answers as known at an instant: before the termination was recorded, access ran on (R-TIME-1)', async () => {
    expect(await entitlements({ on: '2028-06-01', knownAt: knownAt.beforeTermination })).toEqual([
      `laclasse/standard 2026-11-01..… convention ${ID} annex 2026-11-01`,
      `toodego/connecte 2026-06-01..… convention ${ID} annex 2026-02-01`,
    ]);
    expect(await entitlements({ on: '2028-06-01', knownAt: new Date().toISOString() })).toEqual([]);
  });

  it('answers as known before the stop and before the offer change, for the same day (R-TIME-1)', async () => {
    expect(await entitlements({ on: '2026-10-01', knownAt: knownAt.beforeStop })).toEqual([
      `laclasse/standard 2026-03-01..… convention ${ID} annex 2026-03-01`,
      `toodego/connecte 2026-06-01..… convention ${ID} annex 2026-02-01`,
    ]);
    expect(await entitlements({ on: '2026-10-01', knownAt: knownAt.beforeOfferChange })).toEqual([
      `laclasse/standard 2026-03-01..… convention ${ID} annex 2026-03-01`,
      `toodego/partenaire 2026-02-01..… convention ${ID} annex 2026-02-01`,
    ]);
    // Before anything was recorded, nothing was known.
    expect(await entitlements({ on: '2026-10-01', knownAt: '2020-01-01T00:00:00Z' })).toEqual([]);
  });

  it('replays up to a position: the state right after a command (asOfPosition)', async () => {
    expect(await entitlements({ on: '2026-10-01', asOfPosition: positionAfter.signed })).toEqual(
      await entitlements({ on: '2026-10-01', knownAt: knownAt.beforeOfferChange }),
    );
    expect(await entitlements({ on: '2026-06-01', asOfPosition: positionAfter.offerChange })).toEqual([
      `laclasse/standard 2026-03-01..… convention ${ID} annex 2026-03-01`,
      `toodego/connecte 2026-06-01..… convention ${ID} annex 2026-02-01`,
    ]);
    expect(await entitlements({ on: '2028-06-01', asOfPosition: positionAfter.renewals })).toHaveLength(2);
  });

  it('lists every commune grouped, and the same for the commune itself and for a consumer', async () => {
    const { http, tokens } = current();
    const all = await http.get('/api/entitlements').query({ on: '2026-11-01', minPosition: last }).set(bearer(tokens.consumer)).expect(200);
    const ours = (all.body as Array<{ communeInsee: string; entitlements: EntitlementBody[] }>).find(
      (group) => group.communeInsee === INSEE,
    );
    expect(ours?.entitlements.map(line)).toEqual(await entitlements({ on: '2026-11-01' }));
    expect(await entitlements({ on: '2026-11-01' }, tokens.commune(INSEE))).toHaveLength(2);
    expect(await entitlements({ on: '2026-11-01' }, tokens.admin)).toHaveLength(2);
  });

  it('shows a consumer only the services of its token’s services claim', async () => {
    const { http, tokens } = current();
    expect(await entitlements({ on: '2026-11-01' }, tokens.consumerOf(['laclasse']))).toEqual([
      `laclasse/standard 2026-11-01..2028-05-31 convention ${ID} annex 2026-11-01`,
    ]);
    // A service the catalogue does not hold is a mistake in the token: refused, not read as "nothing" or "everything".
    await http
      .get('/api/entitlements')
      .query({ on: '2026-11-01' })
      .set(bearer(tokens.consumerOf(['geonet'])))
      .expect(401);
  });

  it('defaults `on` to today in Europe/Paris and `knownAt` to now', async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
    expect(await entitlements({})).toEqual(await entitlements({ on: today }));
  });

  it('refuses another commune (403), a commune token on the list of all (403), and a malformed code (400)', async () => {
    const { http, tokens } = current();
    await http
      .get(`/api/communes/${INSEE}/entitlements`)
      .set(bearer(tokens.commune('69123')))
      .expect(403);
    await http
      .get('/api/entitlements')
      .set(bearer(tokens.commune(INSEE)))
      .expect(403);
    await http.get(`/api/communes/${INSEE}/entitlements`).expect(401);
    const bad = await http.get('/api/communes/6926/entitlements').set(bearer(tokens.auditor)).expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'insee' })]);
  });

  it('refuses malformed or contradictory axes field by field (400, R-TIME-1)', async () => {
    const { http, tokens } = current();
    const cases: Array<[Record<string, string>, string]> = [
      [{ on: '2026-02-30' }, 'on'],
      [{ knownAt: '2026-03-01' }, 'knownAt'],
      [{ asOfPosition: 'yesterday' }, 'asOfPosition'],
      [{ knownAt: '2026-03-01T00:00:00Z', asOfPosition: '0' }, 'asOfPosition'],
      [{ at: '2026-03-01' }, 'at'],
    ];
    for (const [query, field] of cases) {
      const response = await http.get(`/api/communes/${INSEE}/entitlements`).query(query).set(bearer(tokens.auditor));
      expect({ query, status: response.status, fields: response.body.errors?.map((e: { field: string }) => e.field) }).toEqual({
        query,
        status: 400,
        fields: [field],
      });
    }
  });
});
