import { given, recordSyntecIndex, syntecIndexRecorded } from '../testing';

describe('RecordSyntecIndex (R-FEE-3)', () => {
  it('records a month’s value with its publication date (R-FEE-3)', () =>
    given()
      .when(recordSyntecIndex({ period: '2025-10', value: '322.2', publishedOn: '2025-11-28' }))
      .then([syntecIndexRecorded({ period: '2025-10', value: '322.2', publishedOn: '2025-11-28' })]));

  it.each([['0'], ['-1'], ['abc'], ['3,5']])('refuses the value %s (R-FEE-3)', (value) =>
    given()
      .when(recordSyntecIndex({ period: '2025-10', value, publishedOn: '2025-11-28' }))
      .thenRefused('R-FEE-3', 'InvalidIndexValue'),
  );

  it.each([['2025-13'], ['2025-1'], ['25-10']])('refuses the period %s (R-FEE-3)', (period) =>
    given()
      .when(recordSyntecIndex({ period, value: '322.2', publishedOn: '2026-11-28' }))
      .thenRefused('R-FEE-3', 'InvalidPeriod'),
  );

  it('refuses a publication before the month is over (R-FEE-3)', () => {
    given()
      .when(recordSyntecIndex({ period: '2025-10', value: '322.2', publishedOn: '2025-10-31' }))
      .thenRefused('R-FEE-3', 'PublishedBeforePeriodEnd');
    given()
      .when(recordSyntecIndex({ period: '2025-12', value: '323.0', publishedOn: '2025-12-31' }))
      .thenRefused('R-FEE-3', 'PublishedBeforePeriodEnd');
    given()
      .when(recordSyntecIndex({ period: '2025-12', value: '323.0', publishedOn: '2026-01-01' }))
      .then([syntecIndexRecorded({ period: '2025-12', value: '323.0', publishedOn: '2026-01-01' })]);
  });

  it('the same value again records nothing new (R-TIME-2)', () =>
    given(syntecIndexRecorded({ period: '2025-10', value: '322.2', publishedOn: '2025-11-28' }))
      .when(recordSyntecIndex({ period: '2025-10', value: '322.20', publishedOn: '2025-11-28' }))
      .thenNothing());

  it('another value for the period is a correction with its reason (R-TIME-2)', () => {
    const recorded = syntecIndexRecorded({ period: '2025-10', value: '332.2', publishedOn: '2025-11-28' });
    given(recorded)
      .when(recordSyntecIndex({ period: '2025-10', value: '322.2', publishedOn: '2025-11-28' }))
      .thenRefused('R-TIME-2', 'CorrectionReasonMissing');
    given(recorded)
      .when(recordSyntecIndex({ period: '2025-10', value: '322.2', publishedOn: '2025-11-28', reason: 'Faute de frappe' }))
      .then([
        syntecIndexRecorded({
          period: '2025-10',
          value: '322.2',
          publishedOn: '2025-11-28',
          corrects: { value: '332.2', publishedOn: '2025-11-28', reason: 'Faute de frappe' },
        }),
      ]);
  });
});
