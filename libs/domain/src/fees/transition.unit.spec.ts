import fc from 'fast-check';
import { Dec, dec, round2 } from '../shared/money';
import { CP_2025_4074_TRANSITION, TargetOutcome, TransitionOutcome, transitionAmount } from './transition';

const final = (amount: string): TargetOutcome => ({ status: 'final', targetAmount: dec(amount) });
/** Targets from 2026 on, in order. */
const targetsFrom2026 =
  (...amounts: (string | TargetOutcome)[]) =>
  (year: number): TargetOutcome => {
    const target = amounts[year - 2026];
    if (target === undefined) throw new Error(`no target given for ${year}`);
    return typeof target === 'string' ? final(target) : target;
  };
const A = (year: number, legacy: string, targetOf: (year: number) => TargetOutcome) =>
  transitionAmount(year, dec(legacy), targetOf, CP_2025_4074_TRANSITION);
const amountOf = (outcome: TransitionOutcome) => (outcome.status === 'final' ? outcome.annualAmount.toFixed(2) : outcome.status);

describe('transitionAmount (R-FEE-5)', () => {
  it('keeps the legacy amount before the first year, without asking for any target', () => {
    const outcome = A(2025, '90000.00', () => {
      throw new Error('no target needed before 2026');
    });
    expect(outcome).toEqual({ status: 'final', annualAmount: dec('90000.00'), capAmount: null, basis: 'legacy' });
  });

  it('caps the first year at the legacy amount + 10 % (R-FEE-9)', () => {
    // L = 90 000.00; cap = round2(90 000 × 1.10) = 99 000.00 < T = 111 639.00
    const outcome = A(2026, '90000.00', targetsFrom2026('111639.00'));
    expect(outcome).toMatchObject({ status: 'final', basis: 'cap' });
    expect(outcome.status === 'final' && [outcome.annualAmount.toFixed(2), outcome.capAmount?.toFixed(2)]).toEqual([
      '99000.00',
      '99000.00',
    ]);
  });

  it.each([
    // [year, L, targets from 2026, expected A(year), basis, cap]
    // cap(2026) = round2(1 000.00 × 1.10) = 1 100.00; T = 1 050.00 below → A = T
    [2026, '1000.00', ['1050.00'], '1050.00', 'target', '1100.00'],
    // a target below L is not capped: A(2026) = T = 800.00 (cap 1 100.00)
    [2026, '1000.00', ['800.00'], '800.00', 'target', '1100.00'],
    // target equal to the cap: the target is reached
    [2026, '1000.00', ['1100.00'], '1100.00', 'target', '1100.00'],
    // A(2026) = 1 100.00 (capped); cap(2027) = round2(1 100.00 × 1.05) = 1 155.00 < 2 000.00
    [2027, '1000.00', ['2000.00', '2000.00'], '1155.00', 'cap', '1155.00'],
    // … cap(2028) = round2(1 155.00 × 1.05) = round2(1 212.75) = 1 212.75
    [2028, '1000.00', ['2000.00', '2000.00', '2000.00'], '1212.75', 'cap', '1212.75'],
    // … cap(2029) = round2(1 212.75 × 1.05) = round2(1 273.3875) = 1 273.39 (half up at the 3rd decimal: 8)
    [2029, '1000.00', ['2000.00', '2000.00', '2000.00', '2000.00'], '1273.39', 'cap', '1273.39'],
    // L = 333.33: cap(2026) = round2(366.663) = 366.66; cap(2027) = round2(366.66 × 1.05) = round2(384.993) = 384.99
    [2027, '333.33', ['400.00', '400.00'], '384.99', 'cap', '384.99'],
    // L = 0.15: cap(2026) = round2(0.165) = 0.17: exactly half a cent, away from zero (R-FEE-7)
    [2026, '0.15', ['1.00'], '0.17', 'cap', '0.17'],
    // A(2026) = 1 100.00 (capped), then the target falls to 900.00: never capped, A(2027) = 900.00
    [2027, '1000.00', ['2000.00', '900.00'], '900.00', 'target', '1155.00'],
    // then the target rises again: cap(2028) = round2(900.00 × 1.05) = 945.00 < 2 000.00
    [2028, '1000.00', ['2000.00', '900.00', '2000.00'], '945.00', 'cap', '945.00'],
  ])('year %i, L = %s, targets %j: A = %s by %s (cap %s)', (year, legacy, targets, expected, basis, cap) => {
    const outcome = A(year, legacy, targetsFrom2026(...targets));
    expect(outcome).toMatchObject({ status: 'final', basis });
    expect(outcome.status === 'final' && [outcome.annualAmount.toFixed(2), outcome.capAmount?.toFixed(2)]).toEqual([expected, cap]);
  });

  it('is pending when the target of the year is pending, and names that year', () => {
    const outcome = A(2027, '1000.00', targetsFrom2026('1000.00', { status: 'pending', pendingReason: 'population_missing' }));
    expect(outcome).toEqual({ status: 'pending', pendingReason: 'population_missing', pendingYear: 2027 });
  });

  it('is pending when an earlier target of the chain is pending, since A(N) builds on A(N-1)', () => {
    const outcome = A(2028, '1000.00', targetsFrom2026('1000.00', { status: 'pending', pendingReason: 'index_missing' }, '1000.00'));
    expect(outcome).toEqual({ status: 'pending', pendingReason: 'index_missing', pendingYear: 2027 });
  });

  it('takes its first year and caps as parameters', () => {
    const parameters = { legalReference: 'test', firstYear: 2030, firstYearCap: '0.20', laterYearsCap: '0.01' };
    const targets = (year: number): TargetOutcome => final(year >= 2030 ? '5000.00' : 'x');
    // 2029 < first year: L; 2030: round2(1 000 × 1.20) = 1 200.00; 2031: round2(1 200 × 1.01) = 1 212.00
    expect(amountOf(transitionAmount(2029, dec('1000.00'), targets, parameters))).toBe('1000.00');
    expect(amountOf(transitionAmount(2030, dec('1000.00'), targets, parameters))).toBe('1200.00');
    expect(amountOf(transitionAmount(2031, dec('1000.00'), targets, parameters))).toBe('1212.00');
  });
});

describe('transitionAmount properties (R-FEE-5)', () => {
  const cents = (max: number) => fc.integer({ min: 0, max }).map((c) => dec(c).dividedBy(100));
  const FIRST = CP_2025_4074_TRANSITION.firstYear;

  /** A(firstYear..firstYear+n-1) for the given targets. */
  function sequence(legacy: Dec, targets: Dec[]): Dec[] {
    return targets.map((_, i) => {
      const outcome = transitionAmount(
        FIRST + i,
        legacy,
        (y) => ({ status: 'final', targetAmount: targets[y - FIRST] }),
        CP_2025_4074_TRANSITION,
      );
      if (outcome.status !== 'final') throw new Error('unexpected pending');
      return outcome.annualAmount;
    });
  }

  it('never exceeds the target, the first-year cap on L, nor the yearly cap on A(N-1)', () => {
    fc.assert(
      fc.property(cents(10_000_000), fc.array(cents(20_000_000), { minLength: 1, maxLength: 12 }), (legacy, targets) => {
        const amounts = sequence(legacy, targets);
        amounts.forEach((amount, i) => {
          expect(amount.lessThanOrEqualTo(targets[i])).toBe(true);
          const capBase = i === 0 ? legacy.times('1.10') : amounts[i - 1].times('1.05');
          expect(amount.lessThanOrEqualTo(round2(capBase))).toBe(true);
        });
      }),
    );
  });

  it('never caps a decrease: a target at or below the previous amount is the amount', () => {
    fc.assert(
      fc.property(cents(10_000_000), fc.array(cents(20_000_000), { minLength: 1, maxLength: 12 }), (legacy, targets) => {
        const amounts = sequence(legacy, targets);
        amounts.forEach((amount, i) => {
          const previous = i === 0 ? legacy : amounts[i - 1];
          if (targets[i].lessThanOrEqualTo(previous)) expect(amount.equals(targets[i])).toBe(true);
        });
      }),
    );
  });

  it('reaches a steady target above L and then stays on it', () => {
    // 1.10 × 1.05^59 ≈ 19.6 > 10: sixty years are enough for a target up to ten times L.
    fc.assert(
      fc.property(fc.integer({ min: 100_00, max: 10_000_000 }), fc.integer({ min: 100, max: 1000 }), (legacyCents, tenthsOfL) => {
        const legacy = dec(legacyCents).dividedBy(100);
        const target = round2(legacy.times(tenthsOfL).dividedBy(100));
        const amounts = sequence(
          legacy,
          Array.from({ length: 60 }, () => target),
        );
        const reached = amounts.findIndex((amount) => amount.equals(target));
        expect(reached).toBeGreaterThanOrEqual(0);
        amounts
          .slice(0, reached)
          .forEach((amount, i) => expect(amount.lessThan(target) && (i === 0 || amount.greaterThan(amounts[i - 1]))).toBe(true));
        amounts.slice(reached).forEach((amount) => expect(amount.equals(target)).toBe(true));
      }),
    );
  });

  it('once on the target, follows it while it rises by at most the yearly cap or falls', () => {
    fc.assert(
      fc.property(
        cents(10_000_000),
        fc.integer({ min: 0, max: 110 }),
        fc.array(fc.integer({ min: 50, max: 105 }), { minLength: 1, maxLength: 12 }),
        (legacy, firstPercentOfL, percents) => {
          // T(first) ≤ L × 1.10 is reached at once; then T(N) = floor to the cent of T(N-1) × p %, p ≤ 105,
          // so T(N) ≤ round2(T(N-1) × 1.05).
          const targets = [legacy.times(firstPercentOfL).dividedBy(100).toDecimalPlaces(2, Dec.ROUND_DOWN)];
          for (const p of percents) targets.push(targets[targets.length - 1].times(p).dividedBy(100).toDecimalPlaces(2, Dec.ROUND_DOWN));
          sequence(legacy, targets).forEach((amount, i) => expect(amount.equals(targets[i])).toBe(true));
        },
      ),
    );
  });
});
