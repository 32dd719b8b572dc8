import { day } from '../testing';
import { ContinuityConvention, legacyContinuity } from './legacy-continuity';

const lyonToodego = { communeInsee: '69123', serviceId: 'toodego' };
const convention = (
  signedOn: string,
  annexes: [string, string, string | null][],
  communeInsee = '69123',
  conventionId = 'c1',
): ContinuityConvention => ({
  conventionId,
  communeInsee,
  signedOn: day(signedOn),
  annexes: annexes.map(([serviceId, from, until]) => ({ serviceId, from: day(from), until: until === null ? null : day(until) })),
});

describe('legacyContinuity (R-LEG-2)', () => {
  it('holds with a convention signed on 2025-12-31 and an annex from 2026-01-01 (R-LEG-2)', () =>
    expect(legacyContinuity(lyonToodego, [convention('2025-12-31', [['toodego', '2026-01-01', null]])])).toEqual({
      continuity: true,
      conventionId: 'c1',
      annexFrom: '2026-01-01',
      legacyLastDay: '2025-12-31',
    }));

  it('does not hold when signed on 2026-01-01 (R-LEG-2)', () =>
    expect(legacyContinuity(lyonToodego, [convention('2026-01-01', [['toodego', '2026-01-01', null]])])).toEqual({
      continuity: false,
      legacyLastDay: '2025-12-31',
    }));

  it('does not hold for an annex from 2026-01-02 (R-LEG-2)', () =>
    expect(legacyContinuity(lyonToodego, [convention('2025-10-01', [['toodego', '2026-01-02', null]])]).continuity).toBe(false));

  it('takes the earliest qualifying annex, with no gap (R-LEG-2)', () =>
    expect(
      legacyContinuity(lyonToodego, [
        convention('2025-05-01', [
          ['toodego', '2025-06-01', '2025-08-31'],
          ['toodego', '2025-10-01', null],
        ]),
      ]),
    ).toEqual({ continuity: true, conventionId: 'c1', annexFrom: '2025-06-01', legacyLastDay: '2025-05-31' }));

  it('ignores other services, other communes, and annexes that never took effect (R-LEG-2)', () =>
    expect(
      legacyContinuity(lyonToodego, [
        convention('2025-05-01', [['laclasse', '2026-01-01', null]]),
        convention('2025-05-01', [['toodego', '2026-01-01', null]], '69266'),
        convention('2025-05-01', [['toodego', '2026-01-01', '2025-12-31']]),
      ]).continuity,
    ).toBe(false));
});
