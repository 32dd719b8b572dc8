import { populationForYear } from './population';
import { populationFigure } from './fee-facts.test-helpers';

describe('populationForYear (R-FEE-2)', () => {
  it('takes the figure with the latest effective date on or before 31 December N-1', () => {
    const figures = [
      populationFigure(10_000, '2023-01-01'),
      populationFigure(11_000, '2025-12-31'), // the last day counts
      populationFigure(12_000, '2024-01-01'),
      populationFigure(13_000, '2026-01-01'), // in force only from billing year 2027
    ];
    expect(populationForYear(figures, '69999', 2026)?.population).toBe(11_000);
    expect(populationForYear(figures, '69999', 2027)?.population).toBe(13_000);
    expect(populationForYear(figures, '69999', 2025)?.population).toBe(12_000);
  });

  it('on a tie of effective dates, the figure recorded last (a correction) wins, whatever the list order', () => {
    const correction = populationFigure(12_000, '2025-01-01', { sequence: 5 });
    const first = populationFigure(10_000, '2025-01-01', { sequence: 1 });
    const olderButRecordedLater = populationFigure(11_000, '2024-01-01', { sequence: 9 });
    expect(populationForYear([correction, first, olderButRecordedLater], '69999', 2026)).toBe(correction);
    expect(populationForYear([olderButRecordedLater, first, correction], '69999', 2026)).toBe(correction);
  });

  it('finds nothing when every figure takes effect after 31 December N-1 (the line will be pending)', () => {
    expect(populationForYear([populationFigure(10_000, '2026-01-01')], '69999', 2026)).toBeUndefined();
  });

  it("never takes another commune's figure", () => {
    const figures = [populationFigure(10_000, '2025-01-01', { communeInsee: '69123' }), populationFigure(500, '2020-01-01')];
    expect(populationForYear(figures, '69999', 2026)?.population).toBe(500);
    expect(populationForYear(figures, '2A004', 2026)).toBeUndefined();
  });
});
