import fc from 'fast-check';
import { addDays, daysInYear, toDayNumber } from '../shared/calendar-date';
import { dec } from '../shared/money';
import { date } from './fee-facts.test-helpers';
import { amountDue, daysInForceIn } from './proration';

describe('daysInForceIn (R-FEE-6, R-TIME-3)', () => {
  it.each([
    // [year, from, until, days]
    [2026, '2024-05-01', null, 365], // running since before the year: all of it
    [2028, '2024-05-01', null, 366], // leap year
    [2026, '2026-07-01', null, 184], // 365 − (31+28+31+30+31+30 = 181)
    [2028, '2028-03-01', null, 306], // 366 − (31+29)
    [2026, '2026-01-01', '2026-03-31', 90], // 31+28+31, both ends included
    [2026, '2025-06-01', '2026-01-01', 1], // a period ending on 1 January still touches the year
    [2026, '2026-12-31', '2027-06-30', 1],
    [2028, '2027-05-01', '2028-02-29', 60], // 31+29
  ])('in %i, [%s, %s] is in force %i days', (year, from, until, days) => {
    expect(daysInForceIn(year, { from: date(from), until: until === null ? null : date(until) })?.days).toBe(days);
  });

  it('clips the period to the year and gives D', () => {
    expect(daysInForceIn(2028, { from: date('2027-05-01'), until: null })).toEqual({
      from: '2028-01-01',
      until: '2028-12-31',
      days: 366,
      daysInYear: 366,
    });
  });

  it('finds no day when the period does not touch the year', () => {
    expect(daysInForceIn(2026, { from: date('2027-01-01'), until: null })).toBeUndefined();
    expect(daysInForceIn(2026, { from: date('2024-01-01'), until: date('2025-12-31') })).toBeUndefined();
  });
});

describe('amountDue (R-FEE-6)', () => {
  it.each([
    // [A, d, D, expected]
    ['918.00', 184, 365, '462.77'], // 918 × 184 / 365 = 168 912 / 365 = 462.7726…
    ['936.00', 306, 366, '782.56'], // 936 × 306 / 366 = 286 416 / 366 = 782.5573…
    ['936.00', 366, 366, '936.00'], // all year: exactly A
    ['1.83', 1, 366, '0.01'], // 1.83 / 366 = 0.005 exactly: half a cent goes up (R-FEE-7)
    ['0.00', 200, 365, '0.00'],
  ])('prorata: A = %s, %i / %i days → %s', (annual, days, yearDays, expected) => {
    expect(amountDue(dec(annual), days, yearDays, 'prorata_days').toFixed(2)).toBe(expected);
  });

  it('with proration `none`, owes the full annual amount for any year touched', () => {
    expect(amountDue(dec('111639.00'), 1, 365, 'none').toFixed(2)).toBe('111639.00');
  });

  it('never exceeds the annual amount, and is exactly it for a whole year', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 1990, max: 2100 }),
        fc.nat(),
        fc.nat(),
        (annualCents, year, a, b) => {
          const annual = dec(annualCents).dividedBy(100);
          const yearDays = daysInYear(year);
          const first = date(`${year}-01-01`);
          const [from, until] = [addDays(first, a % yearDays), addDays(first, b % yearDays)].sort();
          const inForce = daysInForceIn(year, { from, until })!;
          expect(inForce.days).toBe(toDayNumber(until) - toDayNumber(from) + 1);
          for (const proration of ['prorata_days', 'none'] as const) {
            const due = amountDue(annual, inForce.days, inForce.daysInYear, proration);
            expect(due.lessThanOrEqualTo(annual) && due.greaterThanOrEqualTo(0)).toBe(true);
          }
          expect(amountDue(annual, yearDays, yearDays, 'prorata_days').equals(annual)).toBe(true);
        },
      ),
    );
  });
});
