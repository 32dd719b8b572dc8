import { conventionExpired, conventionRenewed, conventionSigned, given, runLifecycle, signConvention } from '../testing';
import { periodStartingOn, sameDateAYearLater } from './period';

const signed = conventionSigned(); // in force from 2026-01-01

describe('Periods (R-CONV-3)', () => {
  it('a period from 2026-01-01 ends on 2026-12-31 (R-CONV-3)', () =>
    expect(periodStartingOn('2026-01-01' as never, 1).end).toBe('2026-12-31'));
  it('a period from 2026-03-15 ends on 2027-03-14 (R-CONV-3)', () =>
    expect(periodStartingOn('2026-03-15' as never, 1).end).toBe('2027-03-14'));
  it('a period from 2023-03-01 ends on 2024-02-29, a leap day (R-CONV-3)', () =>
    expect(periodStartingOn('2023-03-01' as never, 1).end).toBe('2024-02-29'));
  it('a 29 February start ends on 28 February next year (R-CONV-3)', () => {
    expect(sameDateAYearLater('2024-02-29' as never)).toBe('2025-03-01');
    expect(periodStartingOn('2024-02-29' as never, 1).end).toBe('2025-02-28');
  });

  it('signing on a 29 February records a first period to 28 February (R-CONV-3)', () =>
    given()
      .when(signConvention({ signedOn: '2024-02-29', effectiveFrom: '2024-02-29' }))
      .then([conventionSigned({ signedOn: '2024-02-29', effectiveFrom: '2024-02-29', initialPeriodEnd: '2025-02-28' })]));

  it('renewals of a 29 February convention run from 1 March (R-CONV-3, R-CONV-4)', () =>
    given(conventionSigned({ signedOn: '2024-02-29', effectiveFrom: '2024-02-29', initialPeriodEnd: '2025-02-28' }))
      .when(runLifecycle({ asOf: '2030-03-01' }))
      .then([
        conventionRenewed({ renewalNumber: 1, start: '2025-03-01', end: '2026-02-28' }),
        conventionRenewed({ renewalNumber: 2, start: '2026-03-01', end: '2027-02-28' }),
        conventionRenewed({ renewalNumber: 3, start: '2027-03-01', end: '2028-02-29' }),
        conventionRenewed({ renewalNumber: 4, start: '2028-03-01', end: '2029-02-28' }),
        conventionRenewed({ renewalNumber: 5, start: '2029-03-01', end: '2030-02-28' }),
        conventionExpired({ lastDay: '2030-02-28', reason: 'max_duration' }),
      ]));
});

describe('Tacit renewal (R-CONV-4)', () => {
  it('nothing is due while the period runs, its last day included (R-CONV-4)', () =>
    given(signed)
      .when(runLifecycle({ asOf: '2026-12-31' }))
      .thenNothing());

  it('the day after a period’s end, it is renewed for one year, renewal number 1 (R-CONV-4)', () =>
    given(signed)
      .when(runLifecycle({ asOf: '2027-01-01' }))
      .then([conventionRenewed({ renewalNumber: 1, start: '2027-01-01', end: '2027-12-31' })]));

  it('records every renewal due at once, in order, then the expiry after the sixth year (R-CONV-4)', () =>
    given(signed)
      .when(runLifecycle({ asOf: '2032-06-30' }))
      .then([
        conventionRenewed({ renewalNumber: 1, start: '2027-01-01', end: '2027-12-31' }),
        conventionRenewed({ renewalNumber: 2, start: '2028-01-01', end: '2028-12-31' }),
        conventionRenewed({ renewalNumber: 3, start: '2029-01-01', end: '2029-12-31' }),
        conventionRenewed({ renewalNumber: 4, start: '2030-01-01', end: '2030-12-31' }),
        conventionRenewed({ renewalNumber: 5, start: '2031-01-01', end: '2031-12-31' }),
        conventionExpired({ lastDay: '2031-12-31', reason: 'max_duration' }),
      ]));

  it('on the last day of the sixth year the convention is still in force (R-CONV-4)', () =>
    given(
      signed,
      conventionRenewed({ renewalNumber: 1, start: '2027-01-01', end: '2027-12-31' }),
      conventionRenewed({ renewalNumber: 2, start: '2028-01-01', end: '2028-12-31' }),
      conventionRenewed({ renewalNumber: 3, start: '2029-01-01', end: '2029-12-31' }),
      conventionRenewed({ renewalNumber: 4, start: '2030-01-01', end: '2030-12-31' }),
      conventionRenewed({ renewalNumber: 5, start: '2031-01-01', end: '2031-12-31' }),
    )
      .when(runLifecycle({ asOf: '2031-12-31' }))
      .thenNothing());

  it('is idempotent: running again, or for an earlier date, records nothing new (R-CONV-4)', () => {
    const renewed = conventionRenewed({ renewalNumber: 1, start: '2027-01-01', end: '2027-12-31' });
    given(signed, renewed)
      .when(runLifecycle({ asOf: '2027-01-01' }))
      .thenNothing();
    given(signed, renewed)
      .when(runLifecycle({ asOf: '2026-06-01' }))
      .thenNothing();
    given(signed, renewed)
      .when(runLifecycle({ asOf: '2027-12-31' }))
      .thenNothing();
  });
});
