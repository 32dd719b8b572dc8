import { calendarDate } from '@lib/domain/shared/calendar-date';
import { parisDayBound } from './audit-query';

describe('a date in the audit filters is a whole day of the Europe/Paris calendar (R-TIME-1)', () => {
  it('in winter (UTC+1)', () => {
    expect(parisDayBound(calendarDate('2026-03-01'), 'start')).toBe('2026-02-28T23:00:00.000Z');
    expect(parisDayBound(calendarDate('2026-03-01'), 'end')).toBe('2026-03-01T22:59:59.999Z');
  });

  it('in summer (UTC+2)', () => {
    expect(parisDayBound(calendarDate('2026-07-14'), 'start')).toBe('2026-07-13T22:00:00.000Z');
    expect(parisDayBound(calendarDate('2026-07-14'), 'end')).toBe('2026-07-14T21:59:59.999Z');
  });

  it('on the days the clocks change (23 and 25 hours long)', () => {
    expect(parisDayBound(calendarDate('2026-03-29'), 'start')).toBe('2026-03-28T23:00:00.000Z');
    expect(parisDayBound(calendarDate('2026-03-29'), 'end')).toBe('2026-03-29T21:59:59.999Z');
    expect(parisDayBound(calendarDate('2026-10-25'), 'start')).toBe('2026-10-24T22:00:00.000Z');
    expect(parisDayBound(calendarDate('2026-10-25'), 'end')).toBe('2026-10-25T22:59:59.999Z');
  });
});
