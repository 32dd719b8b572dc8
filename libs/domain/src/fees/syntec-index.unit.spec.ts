import { indexValue } from './fee-facts.test-helpers';
import { syntecKnownOnFirstJanuary } from './syntec-index';

describe('syntecKnownOnFirstJanuary (R-FEE-3)', () => {
  // Values of demo-data/syntec.csv (publication dates where sourced).
  const sourced = [
    indexValue('2023-11', '307.0', '2023-12-29'),
    indexValue('2024-09', '314.5', '2024-10-31'),
    indexValue('2024-10', '315.0', '2024-11-29'),
    indexValue('2025-01', '315.2', '2025-02-28'),
    indexValue('2025-10', '322.2', '2025-11-28'),
  ];

  it('is the value of the latest period published on or before 1 January', () => {
    expect(syntecKnownOnFirstJanuary(sourced, 2024)?.value).toBe('307.0');
    expect(syntecKnownOnFirstJanuary(sourced, 2025)?.value).toBe('315.0');
    expect(syntecKnownOnFirstJanuary(sourced, 2026)?.value).toBe('322.2');
  });

  it('ignores a value published after 1 January, even of a later period, and takes one published on 1 January', () => {
    const lateNovember = indexValue('2025-11', '330.0', '2026-01-05');
    expect(syntecKnownOnFirstJanuary([...sourced, lateNovember], 2026)?.value).toBe('322.2');
    const onTheDay = indexValue('2025-11', '323.0', '2026-01-01');
    expect(syntecKnownOnFirstJanuary([...sourced, onTheDay], 2026)?.value).toBe('323.0');
  });

  it('orders by period, not by publication date: a late-published older period does not displace a newer one', () => {
    const lateOldPeriod = indexValue('2025-09', '321.7', '2025-12-15');
    expect(syntecKnownOnFirstJanuary([...sourced, lateOldPeriod], 2026)?.period).toBe('2025-10');
  });

  it('is missing when nothing was published by 1 January', () => {
    expect(syntecKnownOnFirstJanuary(sourced, 2023)).toBeUndefined();
    expect(syntecKnownOnFirstJanuary([], 2026)).toBeUndefined();
  });

  it('takes the value recorded last for a period (a correction), whatever the list order', () => {
    const mistyped = indexValue('2025-10', '3222', '2025-11-28', { sequence: 1 });
    const corrected = indexValue('2025-10', '322.2', '2025-11-28', { sequence: 2 });
    expect(syntecKnownOnFirstJanuary([corrected, mistyped], 2026)).toBe(corrected);
    expect(syntecKnownOnFirstJanuary([mistyped, corrected], 2026)).toBe(corrected);
  });

  it('lets a correction of the publication date take the period out of the year it was wrongly known in', () => {
    const wrongDate = indexValue('2025-11', '323.0', '2025-12-20');
    const rightDate = indexValue('2025-11', '323.0', '2026-01-20');
    expect(syntecKnownOnFirstJanuary([...sourced, wrongDate], 2026)?.period).toBe('2025-11');
    expect(syntecKnownOnFirstJanuary([...sourced, wrongDate, rightDate], 2026)?.period).toBe('2025-10');
  });
});
