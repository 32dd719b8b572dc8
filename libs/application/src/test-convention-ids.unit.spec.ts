import { CONVENTION_ID_FORMAT, conventionIdOf } from './streams';
import { CONVENTION_ID, LYON, OTHER_CONVENTION_ID, VILLEURBANNE, VILLEURBANNE_CONVENTION_ID } from '@lib/domain/testing/builders';

// The API only serves ids of this shape, so a test id of another shape would describe no real convention.
describe('test convention ids', () => {
  it('are the ids the application gives: <insee>-<n>', () => {
    expect([CONVENTION_ID, OTHER_CONVENTION_ID, VILLEURBANNE_CONVENTION_ID]).toEqual([
      conventionIdOf(LYON.communeInsee, 1),
      conventionIdOf(LYON.communeInsee, 2),
      conventionIdOf(VILLEURBANNE.communeInsee, 1),
    ]);
    for (const id of [CONVENTION_ID, OTHER_CONVENTION_ID, VILLEURBANNE_CONVENTION_ID]) expect(id).toMatch(CONVENTION_ID_FORMAT);
  });
});
