import { catalogueOfCp2025_4074, given } from '../testing';
import { catalogueDecider } from './catalogue.decider';
import { emptyCatalogue } from './catalogue.state';
import { CP_2025_4074_CATALOGUE, initialCatalogueEvents } from './initial-catalogue';

describe('The catalogue recorded at first start (R-CAT-2)', () => {
  it('is the CP-2025-4074 catalogue, from the data file that cites the deliberation (R-CAT-2)', () => {
    expect(CP_2025_4074_CATALOGUE.legalReference).toBe('CP-2025-4074');
    expect(initialCatalogueEvents(emptyCatalogue())).toEqual(catalogueOfCp2025_4074);
  });

  it('is recorded once: nothing when the catalogue already has services (R-CAT-1)', () => {
    const current = catalogueOfCp2025_4074.reduce(catalogueDecider.evolve, emptyCatalogue());
    expect(initialCatalogueEvents(current)).toEqual([]);
    expect(initialCatalogueEvents(given(catalogueOfCp2025_4074.slice(0, 1)).catalogue)).toEqual([]);
  });
});
