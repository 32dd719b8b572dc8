import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DemoRequest, conventionRequests, syntecRequests } from '../scripts/demo-ledger-2026';
import { bearer, describeE2E } from './support/app';

/**
 * The 2026 ledger of the demo data: the 43 communes of demo-data/communes.csv (a copy of ../shared/data) with their
 * populations and their current subscriptions as legacy conventions without amounts (as
 * `import-communes` records them), the Syntec values of syntec.csv, and the conventions that
 * scripts/demo-ledger-2026.ts signs (2025-12-15, in force from 2026-01-01).
 *
 * R-FEE-2: billing year 2026 uses the figure in force on or before 2025-12-31, i.e. the column
 * pop_2022_in_force_2025_01_01 (pop_2023 takes effect on 2026-01-01, too late for 2026).
 * R-FEE-3: S(2026) = 322.2 (2025-10, published 2025-11-28); S(2025) = 315.0 (2024-10, date not
 * sourced, taken as 2024-11-30; 2024-12 is taken as published 2025-01-31, after 1 January).
 */
const DATA = resolve(__dirname, '..', 'demo-data');
const csv = (name: string) => readFileSync(join(DATA, name), 'utf8');

describeE2E('the 2026 ledger of the demo data', (current) => {
  let lastPosition = '0';

  async function post({ path, idempotencyKey, body }: DemoRequest): Promise<void> {
    const response = await current()
      .http.post(`/api${path}`)
      .set(bearer(current().tokens.admin))
      .set('Idempotency-Key', idempotencyKey)
      .send(body);
    expect({ path, body, status: response.status }).toMatchObject({
      status: 201,
    });
    if (response.body.position) lastPosition = response.body.position;
  }
  // As a client must (API.md): a 503 with Retry-After while the read model is not yet at minPosition is
  // retried (its 5 s wait ran out on a loaded CI machine).
  const ledger = async () => {
    for (let attempt = 1; ; attempt++) {
      const response = await current()
        .http.get('/api/ledgers/2026')
        .query({ minPosition: lastPosition })
        .set(bearer(current().tokens.auditor));
      if (response.status !== 503 || attempt === 5) {
        expect(response.status).toBe(200);
        return response;
      }
      expect(response.headers['retry-after']).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 1000 * Number(response.headers['retry-after'])));
    }
  };
  const lineOf = (body: { lines: DemoLine[] }, insee: string, serviceId: string) =>
    body.lines.find((l) => l.communeInsee === insee && l.serviceId === serviceId)!;

  beforeAll(async () => {
    // What import-communes records: four population figures per commune, and legacy conventions without amounts.
    const [header, ...rows] = csv('communes.csv')
      .trim()
      .split(/\r?\n/)
      .map((line) => line.split(','));
    for (const row of rows) {
      const commune = Object.fromEntries(header.map((name, i) => [name, row[i]]));
      for (const column of header.filter((name) => name.startsWith('pop_'))) {
        const [, vintage, year, month, day] = /^pop_(\d{4})_in_force_(\d{4})_(\d{2})_(\d{2})$/.exec(column)!;
        await post({
          path: '/reference/populations',
          idempotencyKey: `pop-${commune.insee}-${vintage}`,
          body: {
            communeInsee: commune.insee,
            population: Number(commune[column]),
            effectiveDate: `${year}-${month}-${day}`,
            source: `INSEE, populations légales ${vintage} (population municipale)`,
          },
        });
      }
      const legacy = (serviceId: string, offerId: string) =>
        post({
          path: '/legacy-conventions',
          idempotencyKey: `legacy-${commune.insee}-${serviceId}`,
          body: {
            communeInsee: commune.insee,
            communeName: commune.name,
            serviceId,
            offerId,
            year: 2025,
          },
        });
      if (commune.toodego_offer) await legacy('toodego', commune.toodego_offer);
      if (commune.laclasse === 'yes') await legacy('laclasse', 'standard');
    }
    for (const request of [...syntecRequests(csv('syntec.csv')), ...conventionRequests(csv('communes.csv'))]) await post(request);
  }, 300_000);

  it('has a line for every annexed service of the 43 communes: 14 toodego + 42 laclasse (R-FEE-1)', async () => {
    const { body } = await ledger();
    expect(body.lines).toHaveLength(56);
    expect(body.totals.byCommune).toHaveLength(43);
    expect(body.lines.filter((l: DemoLine) => l.serviceId === 'toodego')).toHaveLength(14);
  });

  it('computes each target from the figure in force on 2025-12-31 and the index known on 1 January (R-FEE-2..4)', async () => {
    const { body } = await ledger();
    expect(lineOf(body, '69123', 'toodego')).toMatchObject({
      communeName: 'Lyon',
      offerId: 'partenaire',
      population: 520774, // pop_2022, in force 2025-01-01
      populationEffectiveDate: '2025-01-01',
      populationSource: 'INSEE, populations légales 2022 (population municipale)',
      baseAmount: '109154.80', // 5 000 + 0.20 × 520 774
      indexValue: '322.2',
      indexPeriod: '2025-10',
      baseIndexValue: '315.0',
      baseIndexPeriod: '2024-10',
      targetAmount: '111649.77', // round2(109 154.80 × 322.2 / 315.0 = 111 649.7668…)
    });
    expect(lineOf(body, '69123', 'toodego').coefficient).toMatch(/^1\.0228571428571428571428/); // 322.2 / 315.0, not rounded
    // (300 + 0.06 × 520 774 = 31 546.44) × 322.2 / 315.0 = 32 267.5014… → 32 267.50
    expect(lineOf(body, '69123', 'laclasse')).toMatchObject({
      baseAmount: '31546.44',
      targetAmount: '32267.50',
    });
    // Poleymieux-au-Mont-d'Or: (300 + 0.06 × 1 394 = 383.64) × 322.2 / 315.0 = 392.4089… → 392.41
    expect(lineOf(body, '69153', 'laclasse')).toMatchObject({
      population: 1394,
      targetAmount: '392.41',
    });
  });

  it('every line continues a legacy convention whose 2025 contribution is not public: all wait for it (R-FEE-5, R-LEG-2)', async () => {
    const { body } = await ledger();
    expect(new Set(body.lines.map((l: DemoLine) => l.pendingReason))).toEqual(new Set(['legacy_amount_missing']));
    expect(body.totals).toMatchObject({ grandTotal: '0.00', pendingLines: 56 });
  });

  it('once a contribution is recorded (here an illustrative one), the line is capped by the transition (R-FEE-5)', async () => {
    await post({
      path: '/legacy-conventions',
      idempotencyKey: 'legacy-69123-toodego-illustrative',
      body: {
        communeInsee: '69123',
        communeName: 'Lyon',
        serviceId: 'toodego',
        offerId: 'partenaire',
        year: 2025,
        annualContribution: '100000.00',
        reason: 'Illustrative amount for the demo',
      },
    });
    const { body } = await ledger();
    // cap = round2(100 000 × 1.10) = 110 000.00 < T = 111 649.77
    expect(lineOf(body, '69123', 'toodego')).toMatchObject({
      status: 'final',
      legacyAmount: '100000.00',
      capAmount: '110000.00',
      amountDue: '110000.00',
    });
    expect(body.totals).toMatchObject({
      grandTotal: '110000.00',
      pendingLines: 55,
    });
  });
});

interface DemoLine {
  communeInsee: string;
  serviceId: string;
  pendingReason: string | null;
  coefficient: string;
}
