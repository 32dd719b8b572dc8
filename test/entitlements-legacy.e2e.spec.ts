import { bearer, describeE2E } from './support/app';

interface EntitlementBody {
  serviceId: string;
  offerId: string;
  from: string | null;
  until: string | null;
  source: { kind: string; id: string; annexFrom?: string };
}
const line = (e: EntitlementBody) => `${e.serviceId}/${e.offerId} ${e.from ?? '…'}..${e.until ?? '…'} ${e.source.kind} ${e.source.id}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeE2E('entitlements of legacy conventions, with and without continuity (R-LEG-1, R-LEG-2, R-LEG-3)', (current) => {
  const BRON = '69029'; // signs in 2025: continuity for toodego; no annex for laclasse
  const CALUIRE = '69034'; // signs in 2026: no continuity
  let last = '0';
  let beforeLifecycle = '';

  async function command(path: string, body: object, expected: number): Promise<void> {
    const { http, tokens } = current();
    const response = await http.post(path).set(bearer(tokens.admin)).send(body);
    expect({ status: response.status, body: response.body }).toMatchObject({ status: expected });
    if (response.body.position) last = response.body.position;
  }

  async function entitlements(insee: string, query: Record<string, string>): Promise<string[]> {
    const response = await current()
      .http.get(`/api/communes/${insee}/entitlements`)
      .query({ minPosition: last, ...query })
      .set(bearer(current().tokens.auditor));
    expect(response.status).toBe(200);
    return (response.body as EntitlementBody[]).map(line);
  }

  beforeAll(async () => {
    const legacy = (communeInsee: string, communeName: string, serviceId: string, offerId: string, startDate: string | null) =>
      command(
        '/api/legacy-conventions',
        { communeInsee, communeName, serviceId, offerId, annualContribution: '12000.00', year: 2025, startDate },
        201,
      );
    await legacy(BRON, 'Bron', 'toodego', 'partenaire', null);
    await legacy(BRON, 'Bron', 'laclasse', 'standard', '2019-09-01');
    await legacy(CALUIRE, 'Caluire-et-Cuire', 'toodego', 'partenaire', null);
    // Bron: signed on or before 2025-12-31, toodego annexed from 2026-01-01 (R-LEG-2), on another offer.
    await command(
      '/api/conventions',
      {
        communeInsee: BRON,
        communeName: 'Bron',
        signedOn: '2025-12-10',
        effectiveFrom: '2026-01-01',
        annexes: [{ serviceId: 'toodego', offerId: 'connecte', effectiveFrom: '2026-01-01' }],
      },
      201,
    );
    // Caluire: signed too late for continuity.
    await command(
      '/api/conventions',
      {
        communeInsee: CALUIRE,
        communeName: 'Caluire-et-Cuire',
        signedOn: '2026-01-20',
        effectiveFrom: '2026-02-01',
        annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-02-01' }],
      },
      201,
    );
    // The last fact before the lifecycle run: Caluire's signature (read from its stream, not the global order,
    // whose readers wait for every older transaction of the cluster).
    for await (const event of current().store.readStream(`convention-${CALUIRE}-1`, { direction: 'backwards', maxCount: 1 }))
      beforeLifecycle = event.recordedAt;
    await sleep(5);
    // The time-driven process records the legacy ends (R-LEG-3).
    await command('/api/lifecycle/run', { asOf: '2026-02-15' }, 200);
  }, 60_000);

  it('a legacy convention gives access since before 2025 when its start is unknown, else from its start (R-LEG-1)', async () => {
    expect(await entitlements(BRON, { on: '2018-06-01' })).toEqual([`toodego/partenaire …..2025-12-31 legacy ${BRON}/toodego`]);
    expect(await entitlements(BRON, { on: '2025-06-01' })).toEqual([
      `laclasse/standard 2019-09-01..2025-12-31 legacy ${BRON}/laclasse`,
      `toodego/partenaire …..2025-12-31 legacy ${BRON}/toodego`,
    ]);
  });

  it('with continuity, hands toodego over to the annex with no gap: legacy until 2025-12-31, annex from 2026-01-01 (R-LEG-2)', async () => {
    expect(await entitlements(BRON, { on: '2025-12-31' })).toContain(`toodego/partenaire …..2025-12-31 legacy ${BRON}/toodego`);
    expect(await entitlements(BRON, { on: '2026-01-01' })).toEqual([`toodego/connecte 2026-01-01..… convention ${BRON}-1`]);
  });

  it('without an annex for the service, legacy access ends on 2025-12-31 once the lifecycle recorded it (R-LEG-3)', async () => {
    expect(await entitlements(BRON, { on: '2026-03-01' })).toEqual([`toodego/connecte 2026-01-01..… convention ${BRON}-1`]);
  });

  it('without continuity, the later annex is a new subscription after a gap (R-LEG-3)', async () => {
    expect(await entitlements(CALUIRE, { on: '2025-12-31' })).toEqual([`toodego/partenaire …..2025-12-31 legacy ${CALUIRE}/toodego`]);
    expect(await entitlements(CALUIRE, { on: '2026-01-15' })).toEqual([]);
    expect(await entitlements(CALUIRE, { on: '2026-02-01' })).toEqual([`toodego/partenaire 2026-02-01..… convention ${CALUIRE}-1`]);
  });

  it('before the lifecycle recorded the legacy ends, an access without continuity reads as still open; continuity already reads as handed over', async () => {
    // Reading (docs/audit.md): a read never anticipates a time-driven fact nobody recorded yet.
    expect(await entitlements(BRON, { on: '2026-03-01', knownAt: beforeLifecycle })).toEqual([
      `laclasse/standard 2019-09-01..… legacy ${BRON}/laclasse`,
      `toodego/connecte 2026-01-01..… convention ${BRON}-1`,
    ]);
    expect(await entitlements(CALUIRE, { on: '2026-03-01', knownAt: beforeLifecycle })).toEqual([
      `toodego/partenaire …..… legacy ${CALUIRE}/toodego`,
      `toodego/partenaire 2026-02-01..… convention ${CALUIRE}-1`,
    ]);
  });

  it('lists the legacy accesses with the others for every commune', async () => {
    const { http, tokens } = current();
    const response = await http
      .get('/api/entitlements')
      .query({ on: '2025-12-31', minPosition: last })
      .set(bearer(tokens.admin))
      .expect(200);
    const groups = response.body as Array<{ communeInsee: string; entitlements: EntitlementBody[] }>;
    expect(
      groups
        .filter((group) => [BRON, CALUIRE].includes(group.communeInsee))
        .map((group) => [group.communeInsee, group.entitlements.map(line)]),
    ).toEqual([
      [
        BRON,
        [`laclasse/standard 2019-09-01..2025-12-31 legacy ${BRON}/laclasse`, `toodego/partenaire …..2025-12-31 legacy ${BRON}/toodego`],
      ],
      [CALUIRE, [`toodego/partenaire …..2025-12-31 legacy ${CALUIRE}/toodego`]],
    ]);
  });
});
