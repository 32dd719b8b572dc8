import {
  OTHER_CONVENTION_ID,
  annexAdded,
  anotherConvention,
  catalogueOfCp2025_4074,
  conventionSigned,
  conventionTerminated,
  given,
  legacyAccessEnded,
  legacyConventionRecorded,
  populationRecorded,
  recordLegacyConvention,
  recordPopulation,
  runLegacyTransition,
  serviceStopped,
} from '../testing';

const catalogue = catalogueOfCp2025_4074;

describe('RecordPopulation (R-FEE-2)', () => {
  it('records a figure with its effective date and source (R-FEE-2)', () =>
    given()
      .when(recordPopulation({ population: 522250, effectiveDate: '2025-01-01', source: 'INSEE populations légales 2022' }))
      .then([populationRecorded({ population: 522250, effectiveDate: '2025-01-01', source: 'INSEE populations légales 2022' })]));

  it('records figures for other dates alongside (R-FEE-2)', () =>
    given(populationRecorded({ population: 522250, effectiveDate: '2025-01-01' }))
      .when(recordPopulation({ population: 520774, effectiveDate: '2026-01-01' }))
      .then([populationRecorded({ population: 520774, effectiveDate: '2026-01-01' })]));

  it.each([
    ['a negative population', -5],
    ['a population that is not a whole number', 1234.5],
    ['a population of 0', 0],
    ['a population beyond safe integers', Number.MAX_SAFE_INTEGER + 2],
  ])('refuses %s (R-FEE-2)', (_label, population) =>
    given()
      .when(recordPopulation({ population, effectiveDate: '2025-01-01' }))
      .thenRefused('R-FEE-2', 'InvalidPopulation'),
  );

  it('refuses a figure without source (R-FEE-2)', () =>
    given()
      .when(recordPopulation({ population: 1000, effectiveDate: '2025-01-01', source: ' ' }))
      .thenRefused('R-FEE-2', 'SourceMissing'));

  it('the same figure again records nothing new (R-TIME-2)', () =>
    given(populationRecorded({ population: 522250, effectiveDate: '2025-01-01' }))
      .when(recordPopulation({ population: 522250, effectiveDate: '2025-01-01' }))
      .thenNothing());

  it('another figure for the same date is a correction that says what it corrects and why (R-TIME-2, R-FEE-2)', () =>
    given(populationRecorded({ population: 522520, effectiveDate: '2025-01-01' }))
      .when(recordPopulation({ population: 522250, effectiveDate: '2025-01-01', reason: 'Chiffres inversés à la saisie' }))
      .then([
        populationRecorded({
          population: 522250,
          effectiveDate: '2025-01-01',
          corrects: { population: 522520, source: 'INSEE, populations légales', reason: 'Chiffres inversés à la saisie' },
        }),
      ]));

  it('refuses a correction without reason (R-TIME-2)', () =>
    given(populationRecorded({ population: 522520, effectiveDate: '2025-01-01' }))
      .when(recordPopulation({ population: 522250, effectiveDate: '2025-01-01' }))
      .thenRefused('R-TIME-2', 'CorrectionReasonMissing'));
});

describe('RecordLegacyConvention (R-LEG-1)', () => {
  it('records a legacy convention per commune and service with its offer, 2025 contribution and start date (R-LEG-1)', () =>
    given(catalogue)
      .when(
        recordLegacyConvention({
          serviceId: 'toodego',
          offerId: 'partenaire',
          annualContribution: '90000',
          year: 2025,
          startDate: '2019-09-01',
        }),
      )
      .then([
        legacyConventionRecorded({
          serviceId: 'toodego',
          offerId: 'partenaire',
          annualContribution: '90000.00',
          year: 2025,
          startDate: '2019-09-01',
        }),
      ]));

  it('without start date, counts as in force since before 2025 (R-LEG-1)', () => {
    const when = given(catalogue).when(
      recordLegacyConvention({ serviceId: 'laclasse', offerId: 'standard', annualContribution: '1500.50' }),
    );
    when.then([legacyConventionRecorded({ serviceId: 'laclasse', offerId: 'standard', annualContribution: '1500.50', startDate: null })]);
    expect(when.thenCommune().legacyConventions[0].startDate).toBeNull();
  });

  it('records an unknown contribution as null (R-LEG-1)', () =>
    given(catalogue)
      .when(recordLegacyConvention({ annualContribution: null }))
      .then([legacyConventionRecorded({ annualContribution: null })]));

  it('refuses a service or offer not in the catalogue (R-LEG-1)', () => {
    given(catalogue)
      .when(recordLegacyConvention({ serviceId: 'geonet' }))
      .thenRefused('R-LEG-1', 'UnknownService');
    given(catalogue)
      .when(recordLegacyConvention({ serviceId: 'laclasse', offerId: 'partenaire' }))
      .thenRefused('R-LEG-1', 'UnknownOffer');
  });

  it('refuses a contribution for another year than 2025 (R-LEG-1)', () =>
    given(catalogue)
      .when(recordLegacyConvention({ year: 2024 }))
      .thenRefused('R-LEG-1', 'WrongContributionYear'));

  it.each(['-100.00', '12.345', 'abc'])('refuses the contribution %s (R-LEG-1)', (annualContribution) =>
    given(catalogue).when(recordLegacyConvention({ annualContribution })).thenRefused('R-LEG-1', 'InvalidContribution'),
  );

  it('refuses a legacy convention starting after 2025 (R-LEG-1)', () =>
    given(catalogue)
      .when(recordLegacyConvention({ startDate: '2026-01-01' }))
      .thenRefused('R-LEG-1', 'LegacyStartAfterTransition'));

  it('the same legacy convention again records nothing new; another one for the service is a correction (R-LEG-1, R-TIME-2)', () => {
    const recorded = legacyConventionRecorded({ annualContribution: '90000.00' });
    given(catalogue, recorded)
      .when(recordLegacyConvention({ annualContribution: '90000' }))
      .thenNothing();
    given(catalogue, recorded)
      .when(recordLegacyConvention({ annualContribution: '95000.00' }))
      .thenRefused('R-TIME-2', 'CorrectionReasonMissing');
    given(catalogue, recorded)
      .when(recordLegacyConvention({ annualContribution: '95000.00', reason: 'Montant du titre de recette 2025' }))
      .then([
        legacyConventionRecorded({
          annualContribution: '95000.00',
          corrects: { offerId: 'partenaire', annualContribution: '90000.00', startDate: null, reason: 'Montant du titre de recette 2025' },
        }),
      ]);
  });
});

describe('Legacy transition (R-LEG-2, R-LEG-3)', () => {
  const legacyToodego = legacyConventionRecorded({ serviceId: 'toodego' });
  const legacyLaclasse = legacyConventionRecorded({ serviceId: 'laclasse', offerId: 'standard', annualContribution: '1500.00' });
  const signedIn2025 = conventionSigned({ signedOn: '2025-12-15' });

  it('continuity: signed by 2025-12-31 with the annex from 2026-01-01, legacy access runs to 2025-12-31 (R-LEG-2)', () =>
    given(catalogue, legacyToodego, signedIn2025, annexAdded({ serviceId: 'toodego', effectiveFrom: '2026-01-01' }))
      .when(runLegacyTransition({ asOf: '2026-01-01' }))
      .then([
        legacyAccessEnded({
          serviceId: 'toodego',
          lastDay: '2025-12-31',
          reason: 'continued_by_convention',
          conventionId: '69123-1',
          annexFrom: '2026-01-01',
        }),
      ]));

  it('continuity: legacy access runs until the day before an earlier annex starts (R-LEG-2)', () => {
    const facts = [
      catalogue,
      legacyToodego,
      conventionSigned({ signedOn: '2025-06-20', effectiveFrom: '2025-07-01', initialPeriodEnd: '2026-06-30' }),
      annexAdded({ serviceId: 'toodego', effectiveFrom: '2025-09-01' }),
    ];
    given(facts)
      .when(runLegacyTransition({ asOf: '2025-08-31' }))
      .thenNothing();
    given(facts)
      .when(runLegacyTransition({ asOf: '2025-09-01' }))
      .then([
        legacyAccessEnded({ lastDay: '2025-08-31', reason: 'continued_by_convention', conventionId: '69123-1', annexFrom: '2025-09-01' }),
      ]);
  });

  it('no continuity when the convention is signed after 2025-12-31: access ends on 2025-12-31 (R-LEG-2, R-LEG-3)', () =>
    given(catalogue, legacyToodego, conventionSigned({ signedOn: '2026-01-05' }), annexAdded({ effectiveFrom: '2026-01-01' }))
      .when(runLegacyTransition({ asOf: '2026-01-06' }))
      .then([legacyAccessEnded({ lastDay: '2025-12-31', reason: 'no_continuity' })]));

  it('no continuity when the annex takes effect after 2026-01-01 (R-LEG-2, R-LEG-3)', () =>
    given(catalogue, legacyToodego, signedIn2025, annexAdded({ effectiveFrom: '2026-01-02' }))
      .when(runLegacyTransition({ asOf: '2026-01-02' }))
      .then([legacyAccessEnded({ lastDay: '2025-12-31', reason: 'no_continuity' })]));

  it('no continuity for a service the convention does not annex (R-LEG-2, R-LEG-3)', () =>
    given(
      catalogue,
      legacyToodego,
      legacyLaclasse,
      signedIn2025,
      annexAdded({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-01-01' }),
    )
      .when(runLegacyTransition({ asOf: '2026-02-01' }))
      .then([
        legacyAccessEnded({ serviceId: 'toodego', lastDay: '2025-12-31', reason: 'no_continuity' }),
        legacyAccessEnded({
          serviceId: 'laclasse',
          lastDay: '2025-12-31',
          reason: 'continued_by_convention',
          conventionId: '69123-1',
          annexFrom: '2026-01-01',
        }),
      ]));

  it('without any convention, legacy access ends on 2025-12-31, recorded once 2025 is over (R-LEG-3)', () => {
    given(catalogue, legacyToodego)
      .when(runLegacyTransition({ asOf: '2025-12-31' }))
      .thenNothing();
    given(catalogue, legacyToodego)
      .when(runLegacyTransition({ asOf: '2026-01-01' }))
      .then([legacyAccessEnded({ lastDay: '2025-12-31', reason: 'no_continuity' })]);
  });

  it('is idempotent: running again, or for an earlier date, records nothing new (R-LEG-3)', () => {
    const ended = legacyAccessEnded({ lastDay: '2025-12-31', reason: 'no_continuity' });
    given(catalogue, legacyToodego, ended)
      .when(runLegacyTransition({ asOf: '2026-01-01' }))
      .thenNothing();
    given(catalogue, legacyToodego, ended)
      .when(runLegacyTransition({ asOf: '2027-06-01' }))
      .thenNothing();
    given(catalogue, legacyToodego, ended)
      .when(runLegacyTransition({ asOf: '2025-06-01' }))
      .thenNothing();
  });

  it('a later annex for that service does not restore the transition (R-LEG-3)', () =>
    given(
      catalogue,
      legacyToodego,
      legacyAccessEnded({ lastDay: '2025-12-31', reason: 'no_continuity' }),
      signedIn2025,
      annexAdded({ effectiveFrom: '2026-03-01' }),
    )
      .when(runLegacyTransition({ asOf: '2026-03-01' }))
      .thenNothing());

  it('a convention signed in 2025 but recorded late corrects the recorded end (R-LEG-2, R-TIME-2)', () =>
    given(
      catalogue,
      legacyToodego,
      legacyAccessEnded({ lastDay: '2025-12-31', reason: 'no_continuity' }),
      signedIn2025,
      annexAdded({ effectiveFrom: '2026-01-01' }),
    )
      .when(runLegacyTransition({ asOf: '2026-01-20' }))
      .then([
        legacyAccessEnded({
          lastDay: '2025-12-31',
          reason: 'continued_by_convention',
          conventionId: '69123-1',
          annexFrom: '2026-01-01',
          corrects: { lastDay: '2025-12-31', reason: 'no_continuity', conventionId: null },
        }),
      ]));

  it('an annex ended on its first day gives no continuity (R-LEG-2)', () =>
    given(
      catalogue,
      legacyToodego,
      signedIn2025,
      annexAdded({ effectiveFrom: '2026-01-01' }),
      serviceStopped({ effectiveOn: '2026-01-01' }),
    )
      .when(runLegacyTransition({ asOf: '2026-01-02' }))
      .then([legacyAccessEnded({ lastDay: '2025-12-31', reason: 'no_continuity' })]));

  it('counts a convention of the commune on another stream, even ended since (R-LEG-2)', () =>
    given(
      catalogue,
      legacyToodego,
      anotherConvention(
        conventionSigned({ conventionId: OTHER_CONVENTION_ID, signedOn: '2025-12-01' }),
        annexAdded({ conventionId: OTHER_CONVENTION_ID, effectiveFrom: '2026-01-01' }),
        conventionTerminated({ conventionId: OTHER_CONVENTION_ID, effectiveOn: '2026-06-01', lastDay: '2026-05-31' }),
      ),
    )
      .when(runLegacyTransition({ asOf: '2026-07-01' }))
      .then([
        legacyAccessEnded({
          lastDay: '2025-12-31',
          reason: 'continued_by_convention',
          conventionId: OTHER_CONVENTION_ID,
          annexFrom: '2026-01-01',
        }),
      ]));
});
