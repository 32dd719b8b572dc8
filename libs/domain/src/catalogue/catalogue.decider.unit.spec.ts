import {
  addServiceToCatalogue,
  catalogueOfCp2025_4074,
  day,
  feeScheduleReplaced,
  fixedPlusPerInhabitant,
  given,
  offerAtEntry,
  offerOpened,
  openOffer,
  replaceFeeSchedule,
  serviceEnteredCatalogue,
} from '../testing';
import { FeeSchedule } from '../fees/fee-schedule';
import { isOpen, offersOf, scheduleFor } from './catalogue.state';

describe('AddServiceToCatalogue (R-CAT-1)', () => {
  it('records a new service with its offers, fee schedules and legal reference (R-CAT-1)', () =>
    given(catalogueOfCp2025_4074)
      .when(
        addServiceToCatalogue({
          serviceId: 'geonet',
          name: 'Géonet',
          legalReference: 'CP-2026-0001',
          effectiveFrom: day('2026-03-01'),
          offers: [offerAtEntry({ offerId: 'standard', open: true, feeSchedule: { kind: 'free' } })],
        }),
      )
      .then([
        {
          type: 'ServiceEnteredCatalogue',
          schemaVersion: 1,
          data: {
            serviceId: 'geonet',
            name: 'Géonet',
            legalReference: 'CP-2026-0001',
            effectiveFrom: day('2026-03-01'),
            offers: [{ offerId: 'standard', name: 'standard', open: true, feeSchedule: { kind: 'free' } }],
          },
        },
      ]));

  it('refuses a service already in the catalogue (R-CAT-1)', () =>
    given(catalogueOfCp2025_4074)
      .when(addServiceToCatalogue({ serviceId: 'toodego' }))
      .thenRefused('R-CAT-1', 'ServiceAlreadyInCatalogue', 'conflict'));

  it('refuses a service without legal reference (R-CAT-1)', () =>
    given()
      .when(addServiceToCatalogue({ legalReference: '  ' }))
      .thenRefused('R-CAT-1', 'LegalReferenceMissing'));

  it('refuses a service without offers (R-CAT-1)', () =>
    given()
      .when(addServiceToCatalogue({ offers: [] }))
      .thenRefused('R-CAT-1', 'ServiceWithoutOffer'));

  it('refuses an offer listed twice (R-CAT-1)', () =>
    given()
      .when(
        addServiceToCatalogue({
          offers: [offerAtEntry({ offerId: 'standard', open: true }), offerAtEntry({ offerId: 'standard', open: false })],
        }),
      )
      .thenRefused('R-CAT-1', 'DuplicateOffer'));
});

describe('Fee schedules (R-CAT-4)', () => {
  it('accepts a free schedule and a fixed-plus-per-inhabitant schedule (R-CAT-4)', () => {
    const catalogue = given()
      .when(
        addServiceToCatalogue({
          offers: [
            offerAtEntry({ offerId: 'gratuit', open: true, feeSchedule: { kind: 'free' } }),
            offerAtEntry({
              offerId: 'payant',
              open: true,
              feeSchedule: fixedPlusPerInhabitant({ fixed: '1200.00', perInhabitant: '0.015' }),
            }),
          ],
        }),
      )
      .thenCatalogue();
    expect(scheduleFor(catalogue, 'geonet', 'gratuit', 2026)?.feeSchedule).toEqual({ kind: 'free' });
    expect(scheduleFor(catalogue, 'geonet', 'payant', 2026)?.feeSchedule).toEqual({
      kind: 'fixed_plus_per_inhabitant',
      fixed: '1200.00',
      perInhabitant: '0.015',
      baseYear: 2025,
      indexation: 'syntec',
    });
  });

  const invalid: [string, FeeSchedule][] = [
    [
      'a fixed amount that is not money',
      { ...(fixedPlusPerInhabitant({ fixed: '1.00', perInhabitant: '0.20' }) as object), fixed: '-5000' } as FeeSchedule,
    ],
    [
      'a rate that is not a decimal',
      { ...(fixedPlusPerInhabitant({ fixed: '5000.00', perInhabitant: '0.20' }) as object), perInhabitant: '0,20' } as FeeSchedule,
    ],
    [
      'a base year that is not a year',
      { ...(fixedPlusPerInhabitant({ fixed: '5000.00', perInhabitant: '0.20' }) as object), baseYear: 2025.5 } as FeeSchedule,
    ],
  ];
  it.each(invalid)('refuses %s (R-CAT-4)', (_label, feeSchedule) =>
    given()
      .when(addServiceToCatalogue({ offers: [offerAtEntry({ offerId: 'standard', open: true, feeSchedule })] }))
      .thenRefused('R-CAT-4', 'InvalidFeeSchedule'),
  );
});

describe('The catalogue of CP-2025-4074 (R-CAT-2)', () => {
  const catalogue = given(catalogueOfCp2025_4074).catalogue;

  it('lists toodego with partenaire, connecte and abonne, and laclasse with standard (R-CAT-2)', () => {
    expect(offersOf(catalogue, 'toodego').map((offer) => offer.offerId)).toEqual(['partenaire', 'connecte', 'abonne']);
    expect(offersOf(catalogue, 'laclasse').map((offer) => offer.offerId)).toEqual(['standard']);
    expect(offersOf(catalogue, 'geonet')).toEqual([]);
  });

  it('opens partenaire, connecte and standard from the deliberation date, not abonne (R-CAT-2, R-CAT-3)', () => {
    expect(isOpen(catalogue, 'toodego', 'partenaire', day('2025-04-14'))).toBe(true);
    expect(isOpen(catalogue, 'toodego', 'partenaire', day('2025-04-13'))).toBe(false);
    expect(isOpen(catalogue, 'toodego', 'connecte', day('2026-01-01'))).toBe(true);
    expect(isOpen(catalogue, 'laclasse', 'standard', day('2026-01-01'))).toBe(true);
    expect(isOpen(catalogue, 'toodego', 'abonne', day('2030-01-01'))).toBe(false);
  });

  it('charges 5000.00 + 0.20, 5000.00 + 0.02, 5000.00 + 0.20 and 300.00 + 0.06 on the 2025 base (R-CAT-2)', () => {
    const rates = (serviceId: string, offerId: string) => {
      const schedule = scheduleFor(catalogue, serviceId, offerId, 2026)?.feeSchedule;
      return schedule?.kind === 'fixed_plus_per_inhabitant' ? [schedule.fixed, schedule.perInhabitant, schedule.baseYear] : schedule;
    };
    expect(rates('toodego', 'partenaire')).toEqual(['5000.00', '0.20', 2025]);
    expect(rates('toodego', 'connecte')).toEqual(['5000.00', '0.02', 2025]);
    expect(rates('toodego', 'abonne')).toEqual(['5000.00', '0.20', 2025]);
    expect(rates('laclasse', 'standard')).toEqual(['300.00', '0.06', 2025]);
    expect(scheduleFor(catalogue, 'toodego', 'partenaire', 2026)?.legalReference).toBe('CP-2025-4074');
  });
});

describe('OpenOffer (R-CAT-3)', () => {
  it('opens a closed offer from a date, citing its decision (R-CAT-3)', () => {
    const when = given(catalogueOfCp2025_4074).when(
      openOffer({ serviceId: 'toodego', offerId: 'abonne', openedOn: '2026-09-01', legalReference: 'CP-2026-0042' }),
    );
    when.then([offerOpened({ serviceId: 'toodego', offerId: 'abonne', openedOn: '2026-09-01', legalReference: 'CP-2026-0042' })]);
    const catalogue = when.thenCatalogue();
    expect(isOpen(catalogue, 'toodego', 'abonne', day('2026-08-31'))).toBe(false);
    expect(isOpen(catalogue, 'toodego', 'abonne', day('2026-09-01'))).toBe(true);
  });

  it('refuses an offer already open (R-CAT-3)', () =>
    given(catalogueOfCp2025_4074)
      .when(openOffer({ serviceId: 'toodego', offerId: 'partenaire', openedOn: '2026-01-01' }))
      .thenRefused('R-CAT-3', 'OfferAlreadyOpen', 'conflict'));

  it('refuses an offer opened twice (R-CAT-3)', () =>
    given(catalogueOfCp2025_4074, offerOpened({ serviceId: 'toodego', offerId: 'abonne', openedOn: '2026-09-01' }))
      .when(openOffer({ serviceId: 'toodego', offerId: 'abonne', openedOn: '2026-10-01' }))
      .thenRefused('R-CAT-3', 'OfferAlreadyOpen'));

  it('refuses an opening before the service entered the catalogue (R-CAT-3)', () =>
    given(catalogueOfCp2025_4074)
      .when(openOffer({ serviceId: 'toodego', offerId: 'abonne', openedOn: '2025-04-13' }))
      .thenRefused('R-CAT-3', 'OfferOpenedBeforeServiceEntered'));

  it('refuses an opening without legal reference (R-CAT-3)', () =>
    given(catalogueOfCp2025_4074)
      .when(openOffer({ serviceId: 'toodego', offerId: 'abonne', openedOn: '2026-09-01', legalReference: '' }))
      .thenRefused('R-CAT-3', 'LegalReferenceMissing'));

  it('refuses an unknown service or offer (R-CAT-1)', () => {
    given(catalogueOfCp2025_4074)
      .when(openOffer({ serviceId: 'geonet', offerId: 'standard', openedOn: '2026-09-01' }))
      .thenRefused('R-CAT-1', 'UnknownService', 'not_found');
    given(catalogueOfCp2025_4074)
      .when(openOffer({ serviceId: 'toodego', offerId: 'premium', openedOn: '2026-09-01' }))
      .thenRefused('R-CAT-1', 'UnknownOffer', 'not_found');
  });
});

describe('ReplaceFeeSchedule (R-CAT-5)', () => {
  const newPartenaire = fixedPlusPerInhabitant({ fixed: '5500.00', perInhabitant: '0.22' });

  it('records the replacement for billing years from Y, citing its decision (R-CAT-5)', () =>
    given(catalogueOfCp2025_4074)
      .when(
        replaceFeeSchedule({
          serviceId: 'toodego',
          offerId: 'partenaire',
          fromYear: 2028,
          feeSchedule: newPartenaire,
          legalReference: 'CP-2027-0100',
        }),
      )
      .then([
        feeScheduleReplaced({
          serviceId: 'toodego',
          offerId: 'partenaire',
          fromYear: 2028,
          feeSchedule: newPartenaire,
          legalReference: 'CP-2027-0100',
        }),
      ]));

  it('billing year N uses the schedule in force for N (R-CAT-5)', () => {
    const catalogue = given(
      catalogueOfCp2025_4074,
      feeScheduleReplaced({
        serviceId: 'toodego',
        offerId: 'partenaire',
        fromYear: 2028,
        feeSchedule: newPartenaire,
        legalReference: 'CP-2027-0100',
      }),
    ).catalogue;
    expect(scheduleFor(catalogue, 'toodego', 'partenaire', 2027)?.legalReference).toBe('CP-2025-4074');
    expect(scheduleFor(catalogue, 'toodego', 'partenaire', 2028)).toEqual({
      fromYear: 2028,
      feeSchedule: newPartenaire,
      legalReference: 'CP-2027-0100',
    });
    expect(scheduleFor(catalogue, 'toodego', 'partenaire', 2031)?.legalReference).toBe('CP-2027-0100');
    // The other offers keep theirs.
    expect(scheduleFor(catalogue, 'toodego', 'connecte', 2028)?.legalReference).toBe('CP-2025-4074');
    // Before the service entered the catalogue, there is none.
    expect(scheduleFor(catalogue, 'toodego', 'partenaire', 2024)).toBeUndefined();
  });

  it('a later decision from an earlier year overrides an earlier decision from a later year (R-CAT-5)', () => {
    const free: FeeSchedule = { kind: 'free' };
    const catalogue = given(
      catalogueOfCp2025_4074,
      feeScheduleReplaced({
        serviceId: 'toodego',
        offerId: 'partenaire',
        fromYear: 2029,
        feeSchedule: newPartenaire,
        legalReference: 'CP-2027-0100',
      }),
      feeScheduleReplaced({
        serviceId: 'toodego',
        offerId: 'partenaire',
        fromYear: 2028,
        feeSchedule: free,
        legalReference: 'CP-2027-0200',
      }),
    ).catalogue;
    expect(scheduleFor(catalogue, 'toodego', 'partenaire', 2027)?.legalReference).toBe('CP-2025-4074');
    expect(scheduleFor(catalogue, 'toodego', 'partenaire', 2028)?.legalReference).toBe('CP-2027-0200');
    expect(scheduleFor(catalogue, 'toodego', 'partenaire', 2030)?.legalReference).toBe('CP-2027-0200');
  });

  it('refuses a replacement for years before the service entered (R-CAT-5)', () =>
    given(catalogueOfCp2025_4074)
      .when(replaceFeeSchedule({ serviceId: 'toodego', offerId: 'partenaire', fromYear: 2024, feeSchedule: newPartenaire }))
      .thenRefused('R-CAT-5', 'ReplacementBeforeServiceEntered'));

  it('refuses a replacement without legal reference (R-CAT-5)', () =>
    given(catalogueOfCp2025_4074)
      .when(
        replaceFeeSchedule({
          serviceId: 'toodego',
          offerId: 'partenaire',
          fromYear: 2028,
          feeSchedule: newPartenaire,
          legalReference: ' ',
        }),
      )
      .thenRefused('R-CAT-5', 'LegalReferenceMissing'));

  it('refuses an invalid schedule (R-CAT-4)', () =>
    given(catalogueOfCp2025_4074)
      .when(
        replaceFeeSchedule({
          serviceId: 'toodego',
          offerId: 'partenaire',
          fromYear: 2028,
          feeSchedule: { ...(newPartenaire as object), perInhabitant: 'abc' } as FeeSchedule,
        }),
      )
      .thenRefused('R-CAT-4', 'InvalidFeeSchedule'));

  it('refuses an unknown service or offer (R-CAT-1)', () => {
    given(catalogueOfCp2025_4074)
      .when(replaceFeeSchedule({ serviceId: 'geonet', offerId: 'standard', fromYear: 2028, feeSchedule: newPartenaire }))
      .thenRefused('R-CAT-1', 'UnknownService');
    given(catalogueOfCp2025_4074)
      .when(replaceFeeSchedule({ serviceId: 'laclasse', offerId: 'partenaire', fromYear: 2028, feeSchedule: newPartenaire }))
      .thenRefused('R-CAT-1', 'UnknownOffer');
  });
});

describe('A service entering by amendment (R-CAT-1)', () => {
  it('is annexable from its own effective date, with closed offers until opened (R-CAT-1, R-CAT-3)', () => {
    const catalogue = given(
      catalogueOfCp2025_4074,
      serviceEnteredCatalogue({
        serviceId: 'geonet',
        effectiveFrom: day('2026-03-01'),
        offers: [offerAtEntry({ offerId: 'standard', open: true }), offerAtEntry({ offerId: 'plus', open: false })],
      }),
    ).catalogue;
    expect(isOpen(catalogue, 'geonet', 'standard', day('2026-02-28'))).toBe(false);
    expect(isOpen(catalogue, 'geonet', 'standard', day('2026-03-01'))).toBe(true);
    expect(isOpen(catalogue, 'geonet', 'plus', day('2026-03-01'))).toBe(false);
  });
});
