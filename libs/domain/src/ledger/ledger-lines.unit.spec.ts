import {
  CONVENTION_ID,
  VILLEURBANNE,
  VILLEURBANNE_CONVENTION_ID,
  annexAdded,
  catalogueOfCp2025_4074,
  conventionSigned,
  conventionTerminated,
  feeScheduleReplaced,
  fixedPlusPerInhabitant,
  legacyConventionRecorded,
  nonRenewalNotified,
  offerChanged,
  populationRecorded,
  serviceStopped,
  syntecIndexRecorded,
} from '@lib/domain/testing';
import { LedgerFact } from './ledger-fact';
import { computeLedgerLines, factBearsOn, foldLedgerFacts } from './ledger-lines';

/** Facts as the read model gives them: in global order, one position each. */
function facts(...events: { type: string; data: unknown }[]): LedgerFact[] {
  return events.map((event, i) => ({
    eventId: `e${i + 1}`,
    position: { commit: i + 1, prepare: i + 1 },
    recordedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    streamId: 'any',
    type: event.type,
    data: event.data as Record<string, unknown>,
    reason: null,
  }));
}

// R-FEE-9's figures: population 522 250 in force 2025-01-01; S(2025) = 300.0, S(2026) = S(2027) = … = 306.0.
const reference = [
  ...catalogueOfCp2025_4074,
  populationRecorded({ population: 522250, effectiveDate: '2025-01-01' }),
  syntecIndexRecorded({ period: '2024-10', value: '300.0', publishedOn: '2024-11-29' }),
  syntecIndexRecorded({ period: '2025-10', value: '306.0', publishedOn: '2025-11-28' }),
];
const signedIn2025 = conventionSigned({ signedOn: '2025-12-15', effectiveFrom: '2026-01-01', initialPeriodEnd: '2026-12-31' });
const lines = (year: number, ...events: { type: string; data: unknown }[]) =>
  computeLedgerLines(year, foldLedgerFacts(facts(...reference, ...events)));

describe('computeLedgerLines', () => {
  it('one line per annex in force in the year, with the R-FEE-9 target (R-FEE-1, R-FEE-4, R-FEE-9)', () => {
    expect(lines(2026, signedIn2025, annexAdded({ effectiveFrom: '2026-01-01' }))).toEqual([
      expect.objectContaining({
        lineId: `${CONVENTION_ID}/toodego/partenaire/2026-01-01`,
        conventionId: CONVENTION_ID,
        targetAmount: '111639.00', // (5 000 + 0.20 × 522 250) × 306.0 / 300.0
        amountDue: '111639.00',
        legacyAmount: null,
      }),
    ]);
    expect(lines(2025, signedIn2025, annexAdded({ effectiveFrom: '2026-01-01' }))).toEqual([]);
  });

  it('an open annex runs to the end of the sixth year, tacit renewals being the default (R-CONV-3, R-CONV-4)', () => {
    const events = [signedIn2025, annexAdded({ effectiveFrom: '2026-01-01' })];
    // periods 2026 … 2031; S(2031) is still 2025-10's 306.0, the population still 522 250
    expect(lines(2031, ...events)).toEqual([expect.objectContaining({ inForceUntil: '2031-12-31', amountDue: '111639.00' })]);
    expect(lines(2032, ...events)).toEqual([]);
  });

  it('an open annex ends with the period a non-renewal applies to (R-CONV-5), or with a termination (R-CONV-7)', () => {
    const notice = nonRenewalNotified({ notifiedOn: '2026-05-01', appliesToPeriod: { number: 1, start: '2026-01-01', end: '2026-12-31' } });
    expect(lines(2027, signedIn2025, annexAdded({ effectiveFrom: '2026-01-01' }), notice)).toEqual([]);
    const terminated = conventionTerminated({ effectiveOn: '2026-07-01', lastDay: '2026-06-30' });
    expect(lines(2026, signedIn2025, annexAdded({ effectiveFrom: '2026-01-01' }), terminated)).toEqual([
      expect.objectContaining({ inForceUntil: '2026-06-30', daysInForce: 181 }),
    ]);
  });

  it('applies the transition to the annex period that continues the legacy convention only; a later one is a new subscription (R-FEE-5, R-LEG-2, R-LEG-3)', () => {
    const result = lines(
      2026,
      legacyConventionRecorded({ annualContribution: '90000.00' }),
      signedIn2025,
      annexAdded({ effectiveFrom: '2026-01-01' }),
      serviceStopped({ effectiveOn: '2026-04-01' }),
      annexAdded({ effectiveFrom: '2026-09-01' }),
    );
    expect(result).toEqual([
      // A = min(111 639.00, round2(90 000 × 1.10) = 99 000.00); Jan–Mar is 90 days: round2(99 000 × 90 / 365 = 24 410.9589…)
      expect.objectContaining({ inForceFrom: '2026-01-01', legacyAmount: '90000.00', capAmount: '99000.00', amountDue: '24410.96' }),
      // no transition: A = T = 111 639.00; Sep–Dec is 122 days: round2(111 639 × 122 / 365 = 37 314.9534…)
      expect.objectContaining({ inForceFrom: '2026-09-01', legacyAmount: null, capAmount: null, amountDue: '37314.95' }),
    ]);
  });

  it('keeps the transition across an offer change of the continuing annex (R-FEE-5, R-ANX-4)', () => {
    const result = lines(
      2026,
      legacyConventionRecorded(),
      signedIn2025,
      annexAdded({ effectiveFrom: '2026-01-01' }),
      offerChanged({ offerId: 'connecte', effectiveFrom: '2026-07-01' }),
    );
    expect(result).toEqual([
      // partenaire, 181 days: round2(99 000 × 181 / 365 = 49 093.1506…)
      expect.objectContaining({ offerId: 'partenaire', legacyAmount: '90000.00', annualAmount: '99000.00', amountDue: '49093.15' }),
      // connecte: T = (5 000 + 0.02 × 522 250) × 1.02 = 15 753.90, below the cap; 184 days: round2(15 753.90 × 184 / 365 = 7 941.6920…)
      expect.objectContaining({
        offerId: 'connecte',
        legacyAmount: '90000.00',
        annualAmount: '15753.90',
        annualAmountBasis: 'target',
        amountDue: '7941.69',
      }),
    ]);
  });

  it('builds later years of the transition on the previous year (R-FEE-5)', () => {
    // A(2027) = min(111 639.00, round2(99 000 × 1.05) = 103 950.00)
    expect(lines(2027, legacyConventionRecorded(), signedIn2025, annexAdded({ effectiveFrom: '2026-01-01' }))).toEqual([
      expect.objectContaining({ capAmount: '103950.00', amountDue: '103950.00' }),
    ]);
  });

  it('without continuity (signed in 2026) a legacy convention gives no transition (R-LEG-2, R-LEG-3)', () => {
    const signedIn2026 = conventionSigned({ signedOn: '2026-01-05', effectiveFrom: '2026-01-01', initialPeriodEnd: '2026-12-31' });
    expect(lines(2026, legacyConventionRecorded(), signedIn2026, annexAdded({ effectiveFrom: '2026-01-01' }))).toEqual([
      expect.objectContaining({ legacyAmount: null, amountDue: '111639.00' }),
    ]);
  });

  it('waits for an unknown legacy contribution, showing the target; the population is named first when missing too (R-FEE-5, R-FEE-2)', () => {
    const unknown = legacyConventionRecorded({ annualContribution: null });
    expect(lines(2026, unknown, signedIn2025, annexAdded({ effectiveFrom: '2026-01-01' }))).toEqual([
      expect.objectContaining({
        status: 'pending',
        pendingReason: 'legacy_amount_missing',
        pendingYear: 2025,
        targetAmount: '111639.00',
        amountDue: null,
        annualAmount: null,
      }),
    ]);
    const elsewhere = conventionSigned({
      ...VILLEURBANNE,
      conventionId: VILLEURBANNE_CONVENTION_ID,
      signedOn: '2025-12-15',
      effectiveFrom: '2026-01-01',
      initialPeriodEnd: '2026-12-31',
    });
    expect(
      lines(
        2026,
        legacyConventionRecorded({ communeInsee: '69266', communeName: 'Villeurbanne', annualContribution: null }),
        elsewhere,
        annexAdded({ conventionId: VILLEURBANNE_CONVENTION_ID, effectiveFrom: '2026-01-01' }),
      ),
    ).toEqual([expect.objectContaining({ status: 'pending', pendingReason: 'population_missing' })]);
  });

  it('uses the schedule in force for the billing year (R-CAT-5)', () => {
    const replaced = feeScheduleReplaced({
      serviceId: 'toodego',
      offerId: 'partenaire',
      fromYear: 2027,
      feeSchedule: fixedPlusPerInhabitant({ fixed: '5000.00', perInhabitant: '0.25' }),
    });
    const events = [signedIn2025, annexAdded({ effectiveFrom: '2026-01-01' }), replaced];
    expect(lines(2026, ...events)).toEqual([expect.objectContaining({ perInhabitant: '0.20', amountDue: '111639.00' })]);
    // (5 000 + 0.25 × 522 250 = 135 562.50) × 1.02 = 138 273.75
    expect(lines(2027, ...events)).toEqual([expect.objectContaining({ perInhabitant: '0.25', amountDue: '138273.75' })]);
  });

  it('filters one commune', () => {
    const other = conventionSigned({
      ...VILLEURBANNE,
      conventionId: VILLEURBANNE_CONVENTION_ID,
      effectiveFrom: '2026-01-01',
      initialPeriodEnd: '2026-12-31',
    });
    const state = foldLedgerFacts(
      facts(...reference, signedIn2025, annexAdded(), other, annexAdded({ conventionId: VILLEURBANNE_CONVENTION_ID })),
    );
    expect(computeLedgerLines(2026, state, '69266').map((l) => l.communeInsee)).toEqual(['69266']);
    expect(computeLedgerLines(2026, state).map((l) => l.communeInsee)).toEqual(['69123', '69266']);
  });
});

describe('factBearsOn (the facts named behind a regularisation)', () => {
  const line = { year: 2026, communeInsee: '69123', conventionId: CONVENTION_ID, serviceId: 'toodego', offerId: 'partenaire' };
  const bears = (event: { type: string; data: unknown }) => factBearsOn(facts(event)[0], line);

  it('a population of the commune in force by the end of N-1 (R-FEE-2)', () => {
    expect(bears(populationRecorded({ population: 1, effectiveDate: '2025-12-31' }))).toBe(true);
    expect(bears(populationRecorded({ population: 1, effectiveDate: '2026-01-01' }))).toBe(false);
    expect(bears(populationRecorded({ communeInsee: '69266', population: 1, effectiveDate: '2025-01-01' }))).toBe(false);
  });

  it('a Syntec value published by 1 January of N, or a correction of one (R-FEE-3)', () => {
    expect(bears(syntecIndexRecorded({ period: '2025-10', value: '306.0', publishedOn: '2025-11-28' }))).toBe(true);
    expect(bears(syntecIndexRecorded({ period: '2025-12', value: '306.0', publishedOn: '2026-01-30' }))).toBe(false);
    expect(
      bears(
        syntecIndexRecorded({
          period: '2025-11',
          value: '306.0',
          publishedOn: '2026-01-30',
          corrects: { value: '306.0', publishedOn: '2025-12-30', reason: 'date' },
        }),
      ),
    ).toBe(true);
  });

  it("the line's convention, its legacy convention and its schedule decisions (R-LEG-1, R-CAT-5)", () => {
    expect(bears(serviceStopped({ effectiveOn: '2026-04-01' }))).toBe(true);
    expect(bears(serviceStopped({ conventionId: 'other', effectiveOn: '2026-04-01' }))).toBe(false);
    expect(bears(legacyConventionRecorded())).toBe(true);
    expect(bears(legacyConventionRecorded({ serviceId: 'laclasse', offerId: 'standard' }))).toBe(false);
    expect(
      bears(
        feeScheduleReplaced({
          serviceId: 'toodego',
          offerId: 'partenaire',
          fromYear: 2026,
          feeSchedule: fixedPlusPerInhabitant({ fixed: '1.00', perInhabitant: '0.01' }),
        }),
      ),
    ).toBe(true);
    expect(
      bears(
        feeScheduleReplaced({
          serviceId: 'toodego',
          offerId: 'partenaire',
          fromYear: 2027,
          feeSchedule: fixedPlusPerInhabitant({ fixed: '1.00', perInhabitant: '0.01' }),
        }),
      ),
    ).toBe(false);
  });
});
