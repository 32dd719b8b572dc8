import fc from 'fast-check';
import { addDays, daysInYear } from '../shared/calendar-date';
import { MoneyString, dec } from '../shared/money';
import { date, indexValue, laclasseStandard, populationFigure, toodegoConnecte, toodegoPartenaire } from './fee-facts.test-helpers';
import { FeeSchedule } from './fee-schedule';
import { AnnexPeriod, LedgerLine, LedgerLineInput, computeLedgerLine } from './ledger-line';
import { ledgerTotals } from './ledger-totals';
import { CP_2025_4074_TRANSITION } from './transition';

const commune = { insee: '69999', name: 'Sainte-Exemple' };
// S(Y) = the value of period (Y-1)-10, published in November of Y-1 (R-FEE-3).
const syntec = [
  indexValue('2024-10', '300.0', '2024-11-28'), // S(2025) = S(base)
  indexValue('2025-10', '306.0', '2025-11-28'), // S(2026): coefficient 306/300 = 1.02
  indexValue('2026-10', '309.0', '2026-11-27'), // S(2027): 1.03
  indexValue('2027-10', '312.0', '2027-11-30'), // S(2028): 1.04
  indexValue('2028-10', '315.0', '2028-11-30'), // S(2029): 1.05
  indexValue('2029-10', '318.0', '2029-11-30'), // S(2030): 1.06
];
const allYear: AnnexPeriod = { serviceId: 'toodego', offerId: 'partenaire', from: date('2025-06-01'), until: null };

function line(overrides: Partial<LedgerLineInput> = {}): LedgerLine {
  return computeLedgerLine({
    year: 2026,
    commune,
    annex: allYear,
    schedule: toodegoPartenaire,
    populations: [populationFigure(522_250, '2025-01-01')],
    indexValues: syntec,
    legacy: null,
    ...overrides,
  });
}
const annex = (serviceId: string, offerId: string, from: string, until: string | null = null): AnnexPeriod => ({
  serviceId,
  offerId,
  from: date(from),
  until: until === null ? null : date(until),
});
const legacy = (annualContribution: string, schedule: FeeSchedule = toodegoPartenaire) => ({
  annualContribution: annualContribution as MoneyString,
  transition: CP_2025_4074_TRANSITION,
  scheduleForYear: () => schedule,
});

describe('computeLedgerLine: the worked example of R-FEE-9', () => {
  const population = populationFigure(522_250, '2025-01-01', { eventId: 'pop-lyon-2025', source: 'INSEE PMUN 2022' });

  it('without transition: base 109 450.00, coefficient 1.02, T = A = due = 111 639.00', () => {
    // base = 5000 + 0.20 × 522 250 = 109 450.00; × 306.0/300.0 = 111 639.00; all of 2026 → 111 639.00
    expect(line({ populations: [population] })).toEqual({
      year: 2026,
      communeInsee: '69999',
      communeName: 'Sainte-Exemple',
      serviceId: 'toodego',
      offerId: 'partenaire',
      feeScheduleKind: 'fixed_plus_per_inhabitant',
      inForceFrom: '2026-01-01',
      inForceUntil: '2026-12-31',
      population: 522_250,
      populationEffectiveDate: '2025-01-01',
      populationSource: 'INSEE PMUN 2022',
      populationEventId: 'pop-lyon-2025',
      fixed: '5000.00',
      perInhabitant: '0.20',
      baseAmount: '109450.00',
      indexValue: '306.0',
      indexPeriod: '2025-10',
      baseIndexValue: '300.0',
      baseIndexPeriod: '2024-10',
      coefficient: '1.02',
      targetAmount: '111639.00',
      legacyAmount: null,
      capAmount: null,
      annualAmount: '111639.00',
      annualAmountBasis: 'target',
      daysInForce: 365,
      daysInYear: 365,
      amountDue: '111639.00',
      status: 'final',
      pendingReason: null,
      pendingYear: null,
    });
  });

  it('with a legacy contribution L = 90 000.00 (R-FEE-5): cap 99 000.00, so A(2026) = 99 000.00', () => {
    // cap = round2(90 000.00 × 1.10) = 99 000.00 < T = 111 639.00
    expect(line({ populations: [population], legacy: legacy('90000.00') })).toMatchObject({
      targetAmount: '111639.00',
      legacyAmount: '90000.00',
      capAmount: '99000.00',
      annualAmount: '99000.00',
      annualAmountBasis: 'cap',
      amountDue: '99000.00',
      status: 'final',
    });
  });
});

describe('computeLedgerLine: amounts worked out by hand (R-FEE-1..7)', () => {
  const pop10k = [populationFigure(10_000, '2025-01-01')];
  it.each<[string, Partial<LedgerLineInput>, Record<string, unknown>]>([
    [
      'laclasse, part year from 1 July (R-FEE-6)',
      // base = 300 + 0.06 × 10 000 = 900.00; T = 900 × 1.02 = 918.00; d = 365 − 181 = 184;
      // due = round2(918 × 184 / 365) = round2(168 912 / 365 = 462.7726…) = 462.77
      { schedule: laclasseStandard, annex: annex('laclasse', 'standard', '2026-07-01'), populations: pop10k },
      { baseAmount: '900.00', targetAmount: '918.00', annualAmount: '918.00', daysInForce: 184, daysInYear: 365, amountDue: '462.77' },
    ],
    [
      'laclasse, all of leap year 2028: D = 366, due = A',
      // T = 900 × 312/300 = 900 × 1.04 = 936.00
      { year: 2028, schedule: laclasseStandard, annex: annex('laclasse', 'standard', '2026-07-01'), populations: pop10k },
      { coefficient: '1.04', targetAmount: '936.00', daysInForce: 366, daysInYear: 366, amountDue: '936.00' },
    ],
    [
      'laclasse, leap year 2028 from 1 March',
      // d = 366 − (31 + 29) = 306; due = round2(936 × 306 / 366) = round2(286 416 / 366 = 782.5573…) = 782.56
      { year: 2028, schedule: laclasseStandard, annex: annex('laclasse', 'standard', '2028-03-01'), populations: pop10k },
      { daysInForce: 306, daysInYear: 366, amountDue: '782.56', inForceFrom: '2028-03-01', inForceUntil: '2028-12-31' },
    ],
    [
      'laclasse, leap year 2028 until 29 February (stopped on 1 March)',
      // d = 31 + 29 = 60; due = round2(936 × 60 / 366) = round2(56 160 / 366 = 153.4426…) = 153.44; with 782.56: 936.00
      { year: 2028, schedule: laclasseStandard, annex: annex('laclasse', 'standard', '2027-05-01', '2028-02-29'), populations: pop10k },
      { daysInForce: 60, amountDue: '153.44', inForceFrom: '2028-01-01', inForceUntil: '2028-02-29' },
    ],
    [
      'toodego connecte with the real Syntec values of 2025 and 2026',
      // base = 5000 + 0.02 × 42 982 = 5 859.64; coefficient 322.2/315.0 = 1.0228571428…;
      // 5 859.64 × 322.2 = 1 887 976.008; / 315 = 5 993.5746… → T = 5 993.57
      {
        schedule: toodegoConnecte,
        annex: annex('toodego', 'connecte', '2026-01-01'),
        populations: [populationFigure(42_982, '2025-01-01')],
        indexValues: [indexValue('2024-10', '315.0', '2024-11-29'), indexValue('2025-10', '322.2', '2025-11-28')],
      },
      { baseAmount: '5859.64', indexValue: '322.2', baseIndexValue: '315.0', targetAmount: '5993.57', amountDue: '5993.57' },
    ],
    [
      'T rounds half a cent away from zero (R-FEE-7)',
      // base = 300 + 0.06 × 30 = 301.80; × 307.5/300 = 301.80 × 1.025 = 309.345 exactly → 309.35
      {
        schedule: laclasseStandard,
        annex: annex('laclasse', 'standard', '2026-01-01'),
        populations: [populationFigure(30, '2025-01-01')],
        indexValues: [indexValue('2024-10', '300.0', '2024-11-28'), indexValue('2025-10', '307.5', '2025-11-28')],
      },
      { baseAmount: '301.80', coefficient: '1.025', targetAmount: '309.35' },
    ],
    [
      'the population tie on one effective date: the correction recorded last wins (R-FEE-2)',
      // 12 000 wins over 10 000 (same date, recorded before) and over 11 000 (recorded later, older date);
      // 13 000 takes effect in 2026, for 2027. base = 300 + 0.06 × 12 000 = 1 020.00; T = 1 020 × 1.02 = 1 040.40
      {
        schedule: laclasseStandard,
        annex: annex('laclasse', 'standard', '2026-01-01'),
        populations: [
          populationFigure(10_000, '2025-01-01', { sequence: 101 }),
          populationFigure(12_000, '2025-01-01', { sequence: 105, eventId: 'correction' }),
          populationFigure(11_000, '2024-01-01', { sequence: 109 }),
          populationFigure(13_000, '2026-01-01', { sequence: 110 }),
        ],
      },
      { population: 12_000, populationEventId: 'correction', baseAmount: '1020.00', targetAmount: '1040.40', amountDue: '1040.40' },
    ],
    [
      'an index published after 1 January is not used (R-FEE-3)',
      // 2025-11 = 330.0 published 2026-01-05 is ignored: S(2026) stays 306.0, T = 918.00
      {
        schedule: laclasseStandard,
        annex: annex('laclasse', 'standard', '2026-01-01'),
        populations: pop10k,
        indexValues: [...syntec, indexValue('2025-11', '330.0', '2026-01-05')],
      },
      { indexPeriod: '2025-10', indexValue: '306.0', coefficient: '1.02', targetAmount: '918.00' },
    ],
    [
      'a schedule with proration `none` owes the full year for one day (R-FEE-6)',
      { schedule: { ...toodegoPartenaire, proration: 'none' }, annex: annex('toodego', 'partenaire', '2026-12-31') },
      { daysInForce: 1, daysInYear: 365, annualAmount: '111639.00', amountDue: '111639.00' },
    ],
  ])('%s', (_, input, expected) => {
    expect(line(input)).toMatchObject({ status: 'final', pendingReason: null, ...expected });
  });

  it('shows a coefficient that does not terminate unrounded, to the working precision (R-FEE-3)', () => {
    const { coefficient } = line({
      indexValues: [indexValue('2024-10', '315.0', '2024-11-29'), indexValue('2025-10', '322.2', '2025-11-28')],
    });
    // 322.2 / 315 = 1.0228571428571428…: 60 significant digits, far more than any rounding to a few decimals
    expect(coefficient).toMatch(/^1\.0228571428571428571428571428/);
    expect(coefficient!.replace('.', '').length).toBe(60);
  });

  it('an offer change mid-year makes two lines whose days make the year (R-ANX-4, R-FEE-6)', () => {
    // partenaire [1 Jan, 31 Mar]: base 5 000 + 0.20 × 10 000 = 7 000.00, T = 7 140.00, d = 90,
    //   due = round2(7 140 × 90 / 365 = 642 600 / 365 = 1 760.5479…) = 1 760.55
    // connecte [1 Apr, …]: base 5 000 + 0.02 × 10 000 = 5 200.00, T = 5 304.00, d = 275,
    //   due = round2(5 304 × 275 / 365 = 1 458 600 / 365 = 3 996.1643…) = 3 996.16
    // total 5 756.71, between a full year of connecte (5 304.00) and of partenaire (7 140.00)
    const before = line({ populations: pop10k, annex: annex('toodego', 'partenaire', '2025-06-01', '2026-03-31') });
    const after = line({ populations: pop10k, schedule: toodegoConnecte, annex: annex('toodego', 'connecte', '2026-04-01') });
    expect([before.offerId, before.daysInForce, before.targetAmount, before.amountDue]).toEqual(['partenaire', 90, '7140.00', '1760.55']);
    expect([after.offerId, after.daysInForce, after.targetAmount, after.amountDue]).toEqual(['connecte', 275, '5304.00', '3996.16']);
    expect(ledgerTotals([before, after]).grandTotal).toBe('5756.71');

    // the same offer cut at the same day: 1 760.55 + round2(7 140 × 275 / 365 = 5 379.4520…) = 1 760.55 + 5 379.45 = 7 140.00
    const samePartenaire = line({ populations: pop10k, annex: annex('toodego', 'partenaire', '2026-04-01') });
    expect(samePartenaire.amountDue).toBe('5379.45');
    expect(ledgerTotals([before, samePartenaire]).grandTotal).toBe(line({ populations: pop10k }).amountDue);
  });

  it('a free schedule appears with 0.00, needs no population nor index, and is never pending (R-FEE-1)', () => {
    expect(
      line({ schedule: { kind: 'free' }, annex: annex('laclasse', 'standard', '2026-03-01'), populations: [], indexValues: [] }),
    ).toMatchObject({
      feeScheduleKind: 'free',
      population: null,
      fixed: null,
      perInhabitant: null,
      coefficient: null,
      targetAmount: '0.00',
      annualAmount: '0.00',
      daysInForce: 306, // 365 − (31 + 28)
      amountDue: '0.00',
      status: 'final',
      pendingReason: null,
    });
  });
});

describe('computeLedgerLine: pending lines', () => {
  it('without a population figure on or before 31 December N-1: pending `population_missing`, no amount (R-FEE-2)', () => {
    expect(line({ populations: [populationFigure(522_250, '2026-01-01')] })).toMatchObject({
      status: 'pending',
      pendingReason: 'population_missing',
      pendingYear: 2026,
      population: null,
      baseAmount: null,
      indexValue: '306.0', // what is known is still shown
      coefficient: '1.02',
      targetAmount: null,
      annualAmount: null,
      amountDue: null,
      daysInForce: 365,
    });
  });

  it('without any index published by 1 January: pending `index_missing` (R-FEE-3)', () => {
    const indexValues = [indexValue('2024-10', '300.0', '2026-01-02'), indexValue('2025-10', '306.0', '2026-01-02')];
    expect(line({ indexValues })).toMatchObject({
      status: 'pending',
      pendingReason: 'index_missing',
      baseAmount: '109450.00',
      indexValue: null,
      baseIndexValue: null,
      coefficient: null,
      amountDue: null,
    });
  });

  it('uses the latest value known on 1 January however old: with nothing newer than S(base), the coefficient is 1 (R-FEE-3)', () => {
    const indexValues = [indexValue('2024-10', '300.0', '2024-11-28'), indexValue('2025-10', '306.0', '2026-01-02')];
    expect(line({ indexValues })).toMatchObject({ status: 'final', indexPeriod: '2024-10', coefficient: '1', targetAmount: '109450.00' });
  });

  it('without S(base): pending `index_missing` (R-FEE-3)', () => {
    const indexValues = [indexValue('2025-10', '306.0', '2025-11-28')];
    expect(line({ indexValues })).toMatchObject({
      status: 'pending',
      pendingReason: 'index_missing',
      baseIndexValue: null,
      amountDue: null,
    });
  });

  it('names the population when both facts are missing', () => {
    expect(line({ populations: [], indexValues: [] })).toMatchObject({ status: 'pending', pendingReason: 'population_missing' });
  });
});

describe('computeLedgerLine over the transition years (R-FEE-5)', () => {
  // 522 250 inhabitants until a figure of 400 000 effective 2028-01-01 (used from 2029).
  const populations = [populationFigure(522_250, '2025-01-01'), populationFigure(400_000, '2028-01-01')];
  const lineOf = (year: number, indexValues = syntec) => line({ year, populations, indexValues, legacy: legacy('90000.00') });

  it.each([
    // 2025, before the transition: A = L = 90 000.00, no cap; no population before 2025-01-01, yet final as
    // A does not depend on it. In force from 2025-06-01: d = 365 − 151 = 214;
    // due = round2(90 000 × 214 / 365 = 19 260 000 / 365 = 52 767.1232…) = 52 767.12
    [
      2025,
      {
        targetAmount: null,
        capAmount: null,
        annualAmount: '90000.00',
        annualAmountBasis: 'legacy',
        daysInForce: 214,
        amountDue: '52767.12',
      },
    ],
    // T = 109 450 × 1.02 = 111 639.00; cap = round2(90 000 × 1.10) = 99 000.00
    [2026, { targetAmount: '111639.00', capAmount: '99000.00', annualAmount: '99000.00', annualAmountBasis: 'cap' }],
    // T = 109 450 × 1.03 = 112 733.50; cap = round2(99 000 × 1.05) = 103 950.00
    [2027, { targetAmount: '112733.50', capAmount: '103950.00', annualAmount: '103950.00', annualAmountBasis: 'cap' }],
    // T = 109 450 × 1.04 = 113 828.00; cap = round2(103 950 × 1.05) = 109 147.50
    [2028, { targetAmount: '113828.00', capAmount: '109147.50', annualAmount: '109147.50', annualAmountBasis: 'cap' }],
    // population 400 000: base 5 000 + 80 000 = 85 000.00; T = 85 000 × 1.05 = 89 250.00, a decrease, not capped
    // (cap = round2(109 147.50 × 1.05 = 114 604.875) = 114 604.88)
    [
      2029,
      { baseAmount: '85000.00', targetAmount: '89250.00', capAmount: '114604.88', annualAmount: '89250.00', annualAmountBasis: 'target' },
    ],
    // T = 85 000 × 1.06 = 90 100.00; cap = round2(89 250 × 1.05) = 93 712.50: the target is followed
    [2030, { targetAmount: '90100.00', capAmount: '93712.50', annualAmount: '90100.00', annualAmountBasis: 'target' }],
  ])('%i', (year, expected) => {
    expect(lineOf(year)).toMatchObject({ status: 'final', legacyAmount: '90000.00', ...expected });
  });

  it("is pending when an earlier year's target is pending, naming that year", () => {
    // The first figure takes effect 2026-01-01: none for 2026, so A(2026) and every later A are unknown.
    const late = [populationFigure(522_250, '2026-01-01')];
    expect(line({ year: 2026, populations: late, legacy: legacy('90000.00') })).toMatchObject({
      status: 'pending',
      pendingReason: 'population_missing',
      pendingYear: 2026,
    });
    expect(line({ year: 2027, populations: late, legacy: legacy('90000.00') })).toMatchObject({
      status: 'pending',
      pendingReason: 'population_missing',
      pendingYear: 2026,
      population: 522_250, // its own facts are known and shown: T(2027) = 109 450 × 1.03 = 112 733.50
      targetAmount: '112733.50',
      annualAmount: null,
      amountDue: null,
    });
  });

  it('builds earlier years on the schedule the caller says was in force then (R-CAT-5)', () => {
    // 2026 under a schedule of 5 000 + 0.10/inhabitant: base 57 225.00, T = 58 369.50 < cap 99 000.00 → A(2026) = 58 369.50;
    // 2027: cap = round2(58 369.50 × 1.05 = 61 287.975) = 61 287.98 < T = 112 733.50
    const earlier: FeeSchedule = { ...toodegoPartenaire, perInhabitant: '0.10' };
    const scheduleForYear = (year: number) => (year < 2027 ? earlier : toodegoPartenaire);
    expect(line({ year: 2027, populations, legacy: { ...legacy('90000.00'), scheduleForYear } })).toMatchObject({
      capAmount: '61287.98',
      annualAmount: '61287.98',
    });
  });
});

describe('ledgerTotals (R-FEE-8)', () => {
  it('sums final lines per commune and for the year; pending lines are counted, not summed', () => {
    const other = { insee: '2A004', name: 'Ajaccio' };
    const lines = [
      line(), // 111 639.00
      line({
        schedule: laclasseStandard,
        annex: annex('laclasse', 'standard', '2026-07-01'),
        populations: [populationFigure(10_000, '2025-01-01')],
      }), // 462.77
      line({ commune: other, populations: [populationFigure(10_000, '2025-01-01', { communeInsee: '2A004' })] }), // 5 000 + 2 000 = 7 000 × 1.02 = 7 140.00
      line({ commune: other, schedule: laclasseStandard, annex: annex('laclasse', 'standard', '2026-01-01'), populations: [] }), // pending
      line({ commune: { insee: '69001', name: 'Affoux' }, populations: [] }), // pending
    ];
    expect(ledgerTotals(lines)).toEqual({
      byCommune: [
        { communeInsee: '2A004', communeName: 'Ajaccio', total: '7140.00', pendingLines: 1 },
        { communeInsee: '69001', communeName: 'Affoux', total: '0.00', pendingLines: 1 },
        { communeInsee: '69999', communeName: 'Sainte-Exemple', total: '112101.77', pendingLines: 0 }, // 111 639.00 + 462.77
      ],
      grandTotal: '119241.77', // 112 101.77 + 7 140.00
      pendingLines: 2,
    });
  });

  it('of no line is zero', () => {
    expect(ledgerTotals([])).toEqual({ byCommune: [], grandTotal: '0.00', pendingLines: 0 });
  });
});

describe('computeLedgerLine properties', () => {
  it('refuses an annex period that does not touch the year', () => {
    expect(() => line({ annex: annex('toodego', 'partenaire', '2027-01-01') })).toThrow(RangeError);
  });

  it('splitting an annex period into k periods changes the total by at most a cent per period (R-FEE-6, R-FEE-7)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2000, max: 2040 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.integer({ min: 2000, max: 4000 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 365 }), { minLength: 2, maxLength: 9 }),
        (year, population, tenthsOfIndex, offsets) => {
          const yearDays = daysInYear(year);
          const [first, ...cuts] = [...new Set(offsets.map((o) => o % yearDays))].sort((a, b) => a - b);
          if (cuts.length === 0) return;
          const last = cuts.pop()!; // the period [first, last]; the remaining cuts start new pieces
          const start = date(`${year}-01-01`);
          const inputs = {
            year,
            populations: [populationFigure(population, `${year - 1}-01-01`)],
            indexValues: [
              indexValue('1990-01', '300.0', '1990-02-01'),
              indexValue(`${year - 1}-10`, dec(tenthsOfIndex).dividedBy(10).toFixed(1), `${year - 1}-11-30`),
            ],
          };
          const period = (from: number, until: number) => annex('toodego', 'partenaire', addDays(start, from), addDays(start, until));
          const whole = line({ ...inputs, annex: period(first, last) });
          const bounds = [first, ...cuts, last + 1];
          const pieces = bounds.slice(0, -1).map((from, i) => line({ ...inputs, annex: period(from, bounds[i + 1] - 1) }));

          expect(pieces.reduce((days, piece) => days + piece.daysInForce, 0)).toBe(whole.daysInForce);
          const difference = dec(ledgerTotals(pieces).grandTotal).minus(whole.amountDue!).abs();
          expect(difference.lessThanOrEqualTo(dec('0.01').times(pieces.length))).toBe(true);
          pieces.forEach((piece) => expect(dec(piece.amountDue!).lessThanOrEqualTo(piece.annualAmount!)).toBe(true));
        },
      ),
    );
  });
});
