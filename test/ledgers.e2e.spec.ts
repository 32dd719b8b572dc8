import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerCommand } from '../apps/cli/src/ledger.command';
import { bearer, describeE2E, TestApp } from './support/app';

/**
 * The fee ledger over HTTP (R-FEE-1..9, R-TIME-1), issues and regularisations. Every expected amount is
 * worked out by hand beside it. Syntec: S(2025) = 300.0 (2024-10, published 2024-11-29), S(2026) = 306.0
 * (2025-10, published 2025-11-28), so the 2026 coefficient is 306.0 / 300.0 = 1.02 (R-FEE-9). Every
 * population below takes effect on 2025-01-01, the latest date on or before 2025-12-31 (R-FEE-2).
 *
 * | commune (insee)          | facts                                                   | 2026 lines |
 * | Lyon (69123)             | 522 250 inh.; legacy toodego L = 90 000.00; signed 2025-12-15, toodego partenaire + laclasse from 2026-01-01 | 2 |
 * | Villeurbanne (69266)     | 150 000 inh.; signed 2026-01-10, toodego partenaire from 2026-03-01 (part year) | 1 |
 * | Bron (69029)             | 40 000 inh.; toodego partenaire from 2026-01-01, connecte from 2026-07-01; free "annuaire" | 3 |
 * | Caluire-et-Cuire (69034) | no population; toodego partenaire from 2026-01-01        | 1 pending |
 * | Saint-Priest (69290)     | 49 000 inh.; legacy toodego, contribution unknown; signed 2025-12-10 | 1 pending |
 */
describeE2E('fee ledgers', (current) => {
  let lastPosition = '0';
  let beforeSyntec = '';

  const admin = () => bearer(current().tokens.admin);
  async function command(path: string, body: object, status = 201): Promise<Record<string, unknown>> {
    const response = await current().http.post(path).set(admin()).send(body);
    expect({ path, status: response.status, body: response.body }).toMatchObject({ status });
    if (response.body.position) lastPosition = response.body.position;
    return response.body;
  }
  const ledger = (year = 2026, query: Record<string, string> = {}, token = current().tokens.auditor) =>
    current()
      .http.get(`/api/ledgers/${year}`)
      .query({ minPosition: lastPosition, ...query })
      .set(bearer(token));
  const lineOf = (body: { lines: Line[] }, insee: string, serviceId: string, offerId?: string) =>
    body.lines.find((l) => l.communeInsee === insee && l.serviceId === serviceId && (!offerId || l.offerId === offerId))!;
  /** When the first event that matches was recorded (set by the store). */
  async function recordedAtOf(predicate: (e: { type: string; data: unknown }) => boolean, app: TestApp): Promise<string> {
    return (await app.allEvents()).find(predicate)!.recordedAt;
  }
  const justBefore = (instant: string) => new Date(Date.parse(instant) - 1).toISOString();

  beforeAll(async () => {
    // A free service (R-CAT-4 `free`, §II.3), entered by amendment.
    await command('/api/catalogue/services', {
      serviceId: 'annuaire',
      name: 'Annuaire des services',
      legalReference: 'CP-2025-9999',
      effectiveFrom: '2025-06-01',
      offers: [{ offerId: 'standard', name: 'Standard', open: true, feeSchedule: { kind: 'free' } }],
    });
    for (const [communeInsee, population] of [
      ['69123', 522250],
      ['69266', 150000],
      ['69029', 40000],
      ['69290', 49000],
    ] as const) {
      await command('/api/reference/populations', {
        communeInsee,
        population,
        effectiveDate: '2025-01-01',
        source: 'INSEE, populations légales (test)',
      });
    }
    await command('/api/legacy-conventions', {
      communeInsee: '69123',
      communeName: 'Lyon',
      serviceId: 'toodego',
      offerId: 'partenaire',
      annualContribution: '90000.00',
      year: 2025,
    });
    await command('/api/legacy-conventions', {
      communeInsee: '69290',
      communeName: 'Saint-Priest',
      serviceId: 'toodego',
      offerId: 'partenaire',
      year: 2025,
    });
    const sign = (
      communeInsee: string,
      communeName: string,
      signedOn: string,
      effectiveFrom: string,
      annexes: [string, string, string][],
    ) =>
      command('/api/conventions', {
        communeInsee,
        communeName,
        signedOn,
        effectiveFrom,
        annexes: annexes.map(([serviceId, offerId, from]) => ({ serviceId, offerId, effectiveFrom: from })),
      });
    await sign('69123', 'Lyon', '2025-12-15', '2026-01-01', [
      ['toodego', 'partenaire', '2026-01-01'],
      ['laclasse', 'standard', '2026-01-01'],
    ]);
    await sign('69266', 'Villeurbanne', '2026-01-10', '2026-03-01', [['toodego', 'partenaire', '2026-03-01']]);
    await sign('69029', 'Bron', '2026-01-05', '2026-01-01', [
      ['toodego', 'partenaire', '2026-01-01'],
      ['annuaire', 'standard', '2026-01-01'],
    ]);
    await command('/api/conventions/69029-1/annexes/toodego/offer-change', { offerId: 'connecte', effectiveFrom: '2026-07-01' }, 200);
    await sign('69034', 'Caluire-et-Cuire', '2026-01-05', '2026-01-01', [['toodego', 'partenaire', '2026-01-01']]);
    await sign('69290', 'Saint-Priest', '2025-12-10', '2026-01-01', [['toodego', 'partenaire', '2026-01-01']]);
    await command('/api/reference/syntec', { period: '2024-10', value: '300.0', publishedOn: '2024-11-29' });
    await command('/api/reference/syntec', { period: '2025-10', value: '306.0', publishedOn: '2025-11-28' });
    beforeSyntec = justBefore(await recordedAtOf((e) => e.type === 'SyntecIndexRecorded', current()));
  }, 120_000);

  describe('the 2026 ledger', () => {
    it('has one line per annex period and offer, with every field of R-FEE-8 (R-FEE-1, R-FEE-8)', async () => {
      const { body } = await ledger().expect(200);
      expect(body.year).toBe(2026);
      // Lyon 2, Villeurbanne 1, Bron 3 (partenaire, connecte, annuaire), Caluire 1, Saint-Priest 1
      expect(body.lines).toHaveLength(8);
      for (const field of [
        'year',
        'communeInsee',
        'communeName',
        'serviceId',
        'offerId',
        'population',
        'populationEffectiveDate',
        'populationSource',
        'fixed',
        'perInhabitant',
        'baseAmount',
        'indexValue',
        'baseIndexValue',
        'coefficient',
        'targetAmount',
        'legacyAmount',
        'capAmount',
        'annualAmount',
        'daysInForce',
        'daysInYear',
        'amountDue',
        'status',
        'pendingReason',
      ])
        expect(body.lines[0]).toHaveProperty(field);
    });

    it('caps a service that continues a legacy convention: the worked example (R-FEE-9, R-FEE-5, R-LEG-2)', async () => {
      const { body } = await ledger().expect(200);
      expect(lineOf(body, '69123', 'toodego')).toMatchObject({
        communeName: 'Lyon',
        offerId: 'partenaire',
        population: 522250,
        populationEffectiveDate: '2025-01-01',
        populationSource: 'INSEE, populations légales (test)',
        fixed: '5000.00',
        perInhabitant: '0.20',
        baseAmount: '109450.00', // 5 000 + 0.20 × 522 250
        indexValue: '306.0',
        baseIndexValue: '300.0',
        coefficient: '1.02', // 306.0 / 300.0
        targetAmount: '111639.00', // 109 450 × 1.02
        legacyAmount: '90000.00',
        capAmount: '99000.00', // round2(90 000 × 1.10)
        annualAmount: '99000.00', // min(111 639.00, 99 000.00)
        daysInForce: 365,
        daysInYear: 365,
        amountDue: '99000.00',
        status: 'final',
        pendingReason: null,
      });
    });

    it('computes a service without legacy convention at its target (R-FEE-4)', async () => {
      const { body } = await ledger().expect(200);
      // (300 + 0.06 × 522 250 = 31 635.00) × 1.02 = 32 267.70
      expect(lineOf(body, '69123', 'laclasse')).toMatchObject({
        baseAmount: '31635.00',
        targetAmount: '32267.70',
        legacyAmount: null,
        capAmount: null,
        amountDue: '32267.70',
      });
    });

    it('prorates a part-year annex by days in force (R-FEE-6)', async () => {
      const { body } = await ledger().expect(200);
      // T = (5 000 + 0.20 × 150 000) × 1.02 = 35 700.00; from 2026-03-01: d = 365 − 59 = 306;
      // due = round2(35 700 × 306 / 365 = 29 929.3150…) = 29 929.32
      expect(lineOf(body, '69266', 'toodego')).toMatchObject({
        inForceFrom: '2026-03-01',
        inForceUntil: '2026-12-31',
        targetAmount: '35700.00',
        daysInForce: 306,
        amountDue: '29929.32',
      });
    });

    it('makes two lines of an offer change (R-ANX-4, R-FEE-8)', async () => {
      const { body } = await ledger().expect(200);
      // partenaire: T = (5 000 + 8 000) × 1.02 = 13 260.00, 181 days (Jan..Jun): round2(13 260 × 181 / 365 = 6 575.5068…) = 6 575.51
      expect(lineOf(body, '69029', 'toodego', 'partenaire')).toMatchObject({
        inForceFrom: '2026-01-01',
        inForceUntil: '2026-06-30',
        targetAmount: '13260.00',
        daysInForce: 181,
        amountDue: '6575.51',
      });
      // connecte: T = (5 000 + 0.02 × 40 000) × 1.02 = 5 916.00, 184 days (Jul..Dec): round2(5 916 × 184 / 365 = 2 982.3123…) = 2 982.31
      expect(lineOf(body, '69029', 'toodego', 'connecte')).toMatchObject({
        inForceFrom: '2026-07-01',
        inForceUntil: '2026-12-31',
        targetAmount: '5916.00',
        daysInForce: 184,
        amountDue: '2982.31',
      });
    });

    it('shows a free service at 0.00 (R-FEE-1, R-CAT-4)', async () => {
      const { body } = await ledger().expect(200);
      expect(lineOf(body, '69029', 'annuaire')).toMatchObject({
        feeScheduleKind: 'free',
        amountDue: '0.00',
        status: 'final',
        population: null,
      });
    });

    it('leaves pending lines out of the totals and says why (R-FEE-2, R-FEE-5, R-FEE-8)', async () => {
      const { body } = await ledger().expect(200);
      expect(lineOf(body, '69034', 'toodego')).toMatchObject({ status: 'pending', pendingReason: 'population_missing', amountDue: null });
      // L unknown: the target is shown, (5 000 + 9 800) × 1.02 = 15 096.00, but no amount (no cap can be worked out).
      expect(lineOf(body, '69290', 'toodego')).toMatchObject({
        status: 'pending',
        pendingReason: 'legacy_amount_missing',
        targetAmount: '15096.00',
        amountDue: null,
      });
      expect(body.totals).toMatchObject({
        // 131 267.70 (Lyon: 99 000.00 + 32 267.70) + 29 929.32 (Villeurbanne) + 9 557.82 (Bron: 6 575.51 + 2 982.31 + 0.00)
        grandTotal: '170754.84',
        pendingLines: 2,
        issued: null,
        difference: null,
      });
      expect(body.totals.byCommune).toEqual([
        { communeInsee: '69029', communeName: 'Bron', total: '9557.82', pendingLines: 0, issued: null, difference: null },
        { communeInsee: '69034', communeName: 'Caluire-et-Cuire', total: '0.00', pendingLines: 1, issued: null, difference: null },
        { communeInsee: '69123', communeName: 'Lyon', total: '131267.70', pendingLines: 0, issued: null, difference: null },
        { communeInsee: '69266', communeName: 'Villeurbanne', total: '29929.32', pendingLines: 0, issued: null, difference: null },
        { communeInsee: '69290', communeName: 'Saint-Priest', total: '0.00', pendingLines: 1, issued: null, difference: null },
      ]);
    });

    it('as known before the Syntec values were recorded, the paying lines wait for the index (R-TIME-1, R-FEE-3)', async () => {
      const { body } = await ledger(2026, { knownAt: beforeSyntec }).expect(200);
      expect(body.knownAt).toBe(beforeSyntec);
      expect(lineOf(body, '69123', 'toodego')).toMatchObject({
        status: 'pending',
        pendingReason: 'index_missing',
        baseAmount: '109450.00',
        indexValue: null,
      });
      expect(lineOf(body, '69034', 'toodego')).toMatchObject({ pendingReason: 'population_missing' }); // the earlier rule's fact is named first
      expect(lineOf(body, '69029', 'annuaire')).toMatchObject({ status: 'final', amountDue: '0.00' });
      expect(body.totals).toMatchObject({ grandTotal: '0.00', pendingLines: 7 });
    });

    it('gives a commune its own lines and total, and refuses it another commune’s (403)', async () => {
      const { http, tokens } = current();
      const own = await http
        .get('/api/communes/69123/ledgers/2026')
        .query({ minPosition: lastPosition })
        .set(bearer(tokens.commune('69123')))
        .expect(200);
      expect(own.body).toMatchObject({ year: 2026, communeInsee: '69123', communeName: 'Lyon', total: '131267.70', pendingLines: 0 });
      expect(own.body.lines.map((l: Line) => l.serviceId).sort()).toEqual(['laclasse', 'toodego']);
      await http
        .get('/api/communes/69266/ledgers/2026')
        .set(bearer(tokens.commune('69123')))
        .expect(403);
      await http
        .get('/api/ledgers/2026')
        .set(bearer(tokens.commune('69123')))
        .expect(403);
      await http.get('/api/ledgers/2026').set(bearer(tokens.consumer)).expect(403);
      await http.get('/api/communes/69266/ledgers/2026').set(bearer(tokens.admin)).expect(200);
    });

    it('gives CSV for a spreadsheet: BOM, semicolons, decimal comma, French headers, totals', async () => {
      const response = await ledger().set('Accept', 'text/csv').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
      const text: string = response.text;
      expect(text.startsWith('\uFEFFType;Année;Code INSEE;Commune;Service;Offre')).toBe(true);
      const rows = text
        .split('\r\n')
        .filter(Boolean)
        .map((row) => row.split(';'));
      const header = rows[0].map((h) => h.replace('\uFEFF', ''));
      const col = (name: string) => header.indexOf(name);
      const lyon = rows.find((r) => r[0] === 'ligne' && r[col('Code INSEE')] === '"=""69123"""' && r[col('Service')] === 'toodego')!;
      expect([
        lyon[col('Contribution cible (€)')],
        lyon[col('Plafond de transition (€)')],
        lyon[col('Montant dû (€)')],
        lyon[col('Coefficient')],
      ]).toEqual(['111639,00', '99000,00', '99000,00', '1,02']);
      const caluire = rows.find((r) => r[0] === 'ligne' && r[col('Code INSEE')] === '"=""69034"""')!;
      expect([caluire[col('Statut')], caluire[col("Motif d'attente")], caluire[col('Montant dû (€)')]]).toEqual([
        'en attente',
        'population manquante',
        '',
      ]);
      expect(rows.filter((r) => r[0] === 'ligne')).toHaveLength(8);
      expect(rows.filter((r) => r[0] === 'total commune')).toHaveLength(5);
      const year = rows.find((r) => r[0] === 'total année')!;
      expect([year[col('Montant dû (€)')], year[col('Lignes en attente')]]).toEqual(['170754,84', '2']);
    });

    it('refuses a malformed year, knownAt or query parameter (400) and an Accept it cannot give (406)', async () => {
      const { http, tokens } = current();
      for (const year of ['abcd', '1999', '2101', '20260']) {
        const { body } = await http.get(`/api/ledgers/${year}`).set(bearer(tokens.auditor)).expect(400);
        expect(body.errors).toEqual([expect.objectContaining({ field: 'year' })]);
      }
      const knownAt = await http.get('/api/ledgers/2026').query({ knownAt: 'yesterday' }).set(bearer(tokens.auditor)).expect(400);
      expect(knownAt.body.errors).toEqual([expect.objectContaining({ field: 'knownAt', rule: 'R-TIME-1' })]);
      await http.get('/api/ledgers/2026').query({ on: '2026-01-01' }).set(bearer(tokens.auditor)).expect(400);
      await http.get('/api/communes/6912/ledgers/2026').set(bearer(tokens.admin)).expect(400);
      await http.get('/api/ledgers/2026').set(bearer(tokens.auditor)).set('Accept', 'application/xml').expect(406);
    });
  });

  describe('issuing the year', () => {
    let issuedAt = '';

    it('records the final lines as issued, lists the pending ones, and an idempotent retry records nothing new', async () => {
      const { http, tokens } = current();
      const before = (await current().allEvents()).length;
      const first = await http
        .post('/api/ledgers/2026/issue')
        .set(bearer(tokens.admin))
        .set('Idempotency-Key', 'issue-2026-1')
        .send({ reason: 'Titres 2026' })
        .expect(201);
      expect(first.body).toMatchObject({ year: 2026, recorded: true, issueNumber: 1, version: 1, totals: { grandTotal: '170754.84' } });
      expect(first.body.lines).toHaveLength(6);
      expect(first.body.pendingLines.map((l: Line) => [l.communeInsee, l.pendingReason])).toEqual([
        ['69034', 'population_missing'],
        ['69290', 'legacy_amount_missing'],
      ]);
      lastPosition = first.body.position;
      const again = await http
        .post('/api/ledgers/2026/issue')
        .set(bearer(tokens.admin))
        .set('Idempotency-Key', 'issue-2026-1')
        .send({ reason: 'Titres 2026' })
        .expect(201);
      expect(again.body).toEqual(first.body);
      const events = await current().allEvents();
      expect(events).toHaveLength(before + 1);
      expect(events.at(-1)).toMatchObject({
        type: 'LedgerIssued',
        streamId: 'ledger-2026',
        metadata: { reason: 'Titres 2026', actor: { role: 'admin' } },
      });
      issuedAt = events.at(-1)!.recordedAt;
    });

    it('issuing again with nothing changed records nothing', async () => {
      const { http, tokens } = current();
      const response = await http.post('/api/ledgers/2026/issue').set(bearer(tokens.admin)).send({}).expect(200);
      expect(response.body).toMatchObject({ recorded: false, version: 1, position: null, regularisations: [] });
    });

    it('shows issued, current and difference side by side', async () => {
      const { body, headers } = await ledger().expect(200);
      expect(headers.etag).toBe('"1"');
      expect(lineOf(body, '69123', 'toodego')).toMatchObject({ amountDue: '99000.00', issuedAmount: '99000.00', difference: '0.00' });
      expect(lineOf(body, '69034', 'toodego')).toMatchObject({ amountDue: null, issuedAmount: '0.00', difference: null });
      expect(body.totals).toMatchObject({ grandTotal: '170754.84', issued: '170754.84', difference: '0.00' });
      expect(body.issues).toEqual([
        expect.objectContaining({ issueNumber: 1, lineCount: 6, pendingLineCount: 2, grandTotal: '170754.84' }),
      ]);
    });

    describe('after a population correction and a termination recorded late', () => {
      let correctionId = '';
      let terminationId = '';

      beforeAll(async () => {
        const correction = await command('/api/reference/populations', {
          communeInsee: '69266',
          population: 160000,
          effectiveDate: '2025-01-01',
          source: 'INSEE, populations légales (test)',
          reason: 'Chiffre mal saisi',
        });
        const termination = await command(
          '/api/conventions/69029-1/termination',
          { effectiveOn: '2026-10-01', by: 'commune', reason: 'Fusion de services' },
          200,
        );
        const events = await current().allEvents();
        const positionOf = (answer: Record<string, unknown>) =>
          events.find((e) => `${e.position.commit}-${e.position.prepare}` === answer.position)!;
        correctionId = positionOf(correction).id;
        terminationId = positionOf(termination).id;
      });

      it('a ledger known before the correction keeps the issued amounts; known after, it differs (R-TIME-1, R-FEE-2)', async () => {
        const correctedAt = await recordedAtOf(
          (e) => e.type === 'PopulationRecorded' && (e.data as { corrects?: unknown }).corrects !== undefined,
          current(),
        );
        const before = await ledger(2026, { knownAt: justBefore(correctedAt) }).expect(200);
        expect(lineOf(before.body, '69266', 'toodego')).toMatchObject({
          population: 150000,
          amountDue: '29929.32',
          issuedAmount: '29929.32',
          difference: '0.00',
        });
        const after = await ledger(2026, { knownAt: correctedAt }).expect(200);
        // T = (5 000 + 0.20 × 160 000) × 1.02 = 37 740.00; due = round2(37 740 × 306 / 365 = 31 639.5616…) = 31 639.56;
        // difference = 31 639.56 − 29 929.32 = 1 710.24
        expect(lineOf(after.body, '69266', 'toodego')).toMatchObject({
          population: 160000,
          amountDue: '31639.56',
          issuedAmount: '29929.32',
          difference: '1710.24',
        });
        const atIssue = await ledger(2026, { knownAt: issuedAt }).expect(200);
        expect(atIssue.body.totals).toMatchObject({ grandTotal: '170754.84', issued: '170754.84', difference: '0.00' });
        const beforeIssue = await ledger(2026, { knownAt: justBefore(issuedAt) }).expect(200);
        expect(beforeIssue.body).toMatchObject({ issues: [], version: 0, totals: { grandTotal: '170754.84', issued: null } });
      });

      it('the ledger shows the year issued with its differences', async () => {
        const { body } = await ledger().expect(200);
        // Bron connecte now ends 2026-09-30: 92 days, round2(5 916 × 92 / 365 = 1 491.1561…) = 1 491.16; difference 1 491.16 − 2 982.31 = −1 491.15
        expect(lineOf(body, '69029', 'toodego', 'connecte')).toMatchObject({
          inForceUntil: '2026-09-30',
          daysInForce: 92,
          amountDue: '1491.16',
          issuedAmount: '2982.31',
          difference: '-1491.15',
        });
        // 170 754.84 + 1 710.24 − 1 491.15 = 170 973.93
        expect(body.totals).toMatchObject({ grandTotal: '170973.93', issued: '170754.84', difference: '219.09' });
      });

      it('the next issue records only regularisations, with the difference, the reason and the facts that caused it', async () => {
        const { http, tokens } = current();
        await http.post('/api/ledgers/2026/issue').set(bearer(tokens.admin)).set('If-Match', '"0"').send({}).expect(409);
        const second = await http
          .post('/api/ledgers/2026/issue')
          .set(bearer(tokens.admin))
          .set('If-Match', '"1"')
          .send({ reason: 'Régularisation' })
          .expect(201);
        expect(second.body).toMatchObject({ recorded: true, issueNumber: 2, version: 2, lines: [] });
        const byLine = (insee: string) => second.body.regularisations.find((r: { communeInsee: string }) => r.communeInsee === insee);
        expect(second.body.regularisations).toHaveLength(2); // the free line's end moved too, but its amount stays 0.00
        expect(byLine('69266')).toMatchObject({
          serviceId: 'toodego',
          issuedAmount: '29929.32',
          currentAmount: '31639.56',
          difference: '1710.24',
          reason: 'amount_changed',
          causes: [expect.objectContaining({ eventId: correctionId, type: 'PopulationRecorded', reason: 'Chiffre mal saisi' })],
        });
        expect(byLine('69029')).toMatchObject({
          offerId: 'connecte',
          issuedAmount: '2982.31',
          currentAmount: '1491.16',
          difference: '-1491.15',
          reason: 'amount_changed',
          causes: [expect.objectContaining({ eventId: terminationId, type: 'ConventionTerminated' })],
        });
        expect(second.body.totals.grandTotal).toBe('219.09'); // 1 710.24 − 1 491.15
        lastPosition = second.body.position;

        const { body } = await ledger().expect(200);
        expect(body.totals).toMatchObject({ grandTotal: '170973.93', issued: '170973.93', difference: '0.00' });
        const issues = await http.get('/api/ledgers/2026/issues').set(bearer(tokens.auditor)).expect(200);
        expect(
          issues.body.issues.map((i: { issueNumber: number; regularisations: unknown[] }) => [i.issueNumber, i.regularisations.length]),
        ).toEqual([
          [1, 0],
          [2, 2],
        ]);
      });

      it('only an admin issues (403)', async () => {
        await current().http.post('/api/ledgers/2026/issue').set(bearer(current().tokens.auditor)).send({}).expect(403);
      });
    });
  });

  describe('the operator CLI `ledger` (through the API)', () => {
    const saved = { API_URL: process.env.API_URL, API_TOKEN: process.env.API_TOKEN };
    let dir = '';

    beforeAll(async () => {
      const { app, tokens } = current();
      await app.listen(0, '127.0.0.1');
      process.env.API_URL = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/api`;
      process.env.API_TOKEN = tokens.auditor;
      dir = mkdtempSync(join(tmpdir(), 'ledger-cli-'));
    });
    afterAll(() => {
      for (const [name, value] of Object.entries(saved))
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      rmSync(dir, { recursive: true, force: true });
    });

    it('prints the year as a table with the totals', async () => {
      const printed: string[] = [];
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => printed.push(String(chunk)) > 0);
      try {
        await new LedgerCommand().run(['2026'], {});
      } finally {
        spy.mockRestore();
      }
      const text = printed.join('');
      expect(text).toMatch(/^Fee ledger 2026, as known at .*, issued 2 time\(s\)/);
      expect(text).toMatch(
        /69123 +Lyon +toodego +partenaire +2026-01-01 +2026-12-31 +522250 +111639\.00 +99000\.00 +99000\.00 +365\/365 +99000\.00/,
      );
      expect(text).toMatch(/69034 .* pending: population_missing/);
      expect(text).toContain('Total 2026: 170973.93 (2 pending line(s) not counted)');
    });

    it("writes one commune's CSV to a file", async () => {
      const out = join(dir, 'lyon.csv');
      const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        await new LedgerCommand().run(['2026'], { csv: true, commune: '69123', out });
      } finally {
        spy.mockRestore();
      }
      const csv = readFileSync(out, 'utf8');
      expect(csv.startsWith('\uFEFFType;Année;')).toBe(true);
      expect(csv.split('\r\n').filter((row) => row.startsWith('ligne;'))).toHaveLength(2);
      expect(csv).toMatch(/^total année;2026;.*;131267,70;/m); // 99 000.00 + 32 267.70
    });

    it('reports a refused request as an error', async () => {
      await expect(new LedgerCommand().run(['1999'], {})).rejects.toThrow(/HTTP 400/);
    });
  });
});

interface Line {
  communeInsee: string;
  serviceId: string;
  offerId: string;
  pendingReason: string | null;
}
