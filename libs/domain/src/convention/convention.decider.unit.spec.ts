import {
  OTHER_CONVENTION_ID,
  VILLEURBANNE,
  VILLEURBANNE_CONVENTION_ID,
  addAnnex,
  annexAdded,
  anotherConvention,
  catalogueOfCp2025_4074,
  changeOffer,
  conventionExpired,
  conventionRenewed,
  conventionSigned,
  conventionTerminated,
  day,
  given,
  nonRenewalNotified,
  notifyNonRenewal,
  offerChanged,
  offerOpened,
  runLifecycle,
  serviceStopped,
  signConvention,
  stopService,
  terminateConvention,
} from '../testing';
import { ConventionCommand } from './convention.commands';
import { ConventionState } from './convention.state';

const catalogue = catalogueOfCp2025_4074;
/** Signed 2025-11-15, in force from 2026-01-01, first period to 2026-12-31. */
const signed = conventionSigned();

function ended(state: ConventionState) {
  if (state.status !== 'ended') throw new Error(`expected an ended convention, got ${state.status}`);
  return state;
}
function active(state: ConventionState) {
  if (state.status !== 'active') throw new Error(`expected an active convention, got ${state.status}`);
  return state;
}

describe('SignConvention', () => {
  it('records the commune, the signature and effective dates, the legal reference and the first period (R-CONV-2, R-CONV-3)', () =>
    given(catalogue)
      .when(signConvention({ signedOn: '2025-11-15', effectiveFrom: '2026-01-01', legalReference: 'CP-2025-4074' }))
      .then([conventionSigned({ signedOn: '2025-11-15', effectiveFrom: '2026-01-01', initialPeriodEnd: '2026-12-31' })]));

  it('cites CP-2025-4074 when no legal reference is given (R-CONV-2)', () =>
    given(catalogue)
      .when(signConvention({}))
      .then([conventionSigned({ legalReference: 'CP-2025-4074' })]));

  it('keeps the legal reference given (R-CONV-2)', () =>
    given(catalogue)
      .when(signConvention({ legalReference: 'DCM-2025-118' }))
      .then([conventionSigned({ legalReference: 'DCM-2025-118' })]));

  it('accepts an effective date one year before the signature, not a day more (R-CONV-2)', () => {
    given(catalogue)
      .when(signConvention({ signedOn: '2026-03-15', effectiveFrom: '2025-03-15' }))
      .then([conventionSigned({ signedOn: '2026-03-15', effectiveFrom: '2025-03-15', initialPeriodEnd: '2026-03-14' })]);
    given(catalogue)
      .when(signConvention({ signedOn: '2026-03-15', effectiveFrom: '2025-03-14' }))
      .thenRefused('R-CONV-2', 'EffectiveDateTooEarly');
  });

  it('accepts an effective date after the signature (R-CONV-2)', () =>
    given(catalogue)
      .when(signConvention({ signedOn: '2025-11-15', effectiveFrom: '2026-02-01' }))
      .then([conventionSigned({ signedOn: '2025-11-15', effectiveFrom: '2026-02-01', initialPeriodEnd: '2027-01-31' })]));

  it('records the annexes chosen at signature (R-ANX-1)', () =>
    given(catalogue)
      .when(
        signConvention({
          annexes: [
            { serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' },
            { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-09-01' },
          ],
        }),
      )
      .then([
        signed,
        annexAdded({ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }),
        annexAdded({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-09-01' }),
      ]));

  it('refuses an annex at signature whose offer is not open (R-CAT-3)', () =>
    given(catalogue)
      .when(signConvention({ annexes: [{ serviceId: 'toodego', offerId: 'abonne', effectiveFrom: '2026-01-01' }] }))
      .thenRefused('R-CAT-3', 'OfferNotOpen'));

  it('refuses two annexes for one service at signature (R-ANX-2)', () =>
    given(catalogue)
      .when(
        signConvention({
          annexes: [
            { serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' },
            { serviceId: 'toodego', offerId: 'connecte', effectiveFrom: '2026-01-01' },
          ],
        }),
      )
      .thenRefused('R-ANX-2', 'AnnexAlreadyInForce'));

  it('refuses an annex at signature outside the first period (R-ANX-1)', () =>
    given(catalogue)
      .when(signConvention({ annexes: [{ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2027-01-01' }] }))
      .thenRefused('R-ANX-1', 'AnnexOutsideConventionLife'));

  it('refuses a second convention for a commune whose convention is in force (R-CONV-1)', () =>
    given(catalogue, anotherConvention(conventionSigned({ conventionId: OTHER_CONVENTION_ID })))
      .when(signConvention({ signedOn: '2026-05-01', effectiveFrom: '2026-06-01' }))
      .thenRefused('R-CONV-1', 'CommuneHasLiveConvention'));

  it('refuses a convention that would start before the previous one has ended (R-CONV-1)', () =>
    given(
      catalogue,
      anotherConvention(
        conventionSigned({ conventionId: OTHER_CONVENTION_ID }),
        conventionTerminated({ conventionId: OTHER_CONVENTION_ID, effectiveOn: '2026-07-01', lastDay: '2026-06-30' }),
      ),
    )
      .when(signConvention({ signedOn: '2026-06-15', effectiveFrom: '2026-06-30' }))
      .thenRefused('R-CONV-1', 'ConventionOverlapsPrevious'));

  it('accepts a new convention once the previous one has ended (R-CONV-1)', () =>
    given(
      catalogue,
      anotherConvention(
        conventionSigned({ conventionId: OTHER_CONVENTION_ID }),
        conventionTerminated({ conventionId: OTHER_CONVENTION_ID, effectiveOn: '2026-07-01', lastDay: '2026-06-30' }),
      ),
    )
      .when(signConvention({ signedOn: '2026-06-15', effectiveFrom: '2026-07-01' }))
      .then([conventionSigned({ signedOn: '2026-06-15', effectiveFrom: '2026-07-01', initialPeriodEnd: '2027-06-30' })]));

  it('does not count the convention of another commune (R-CONV-1)', () =>
    given(catalogue, anotherConvention(conventionSigned({ conventionId: VILLEURBANNE_CONVENTION_ID, ...VILLEURBANNE })))
      .when(signConvention({}))
      .then([signed]));

  it('refuses to sign a convention that already exists (R-CONV-1)', () =>
    given(catalogue, signed).when(signConvention({})).thenRefused('R-CONV-1', 'ConventionAlreadySigned', 'conflict'));
});

describe('AddAnnex', () => {
  it('adds a service with an open offer from a date within the convention (R-ANX-1)', () =>
    given(catalogue, signed)
      .when(addAnnex({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' }))
      .then([annexAdded({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' })]));

  it('is refused while the offer is not open (R-CAT-3)', () =>
    given(catalogue, signed)
      .when(addAnnex({ serviceId: 'toodego', offerId: 'abonne', effectiveFrom: '2026-03-01' }))
      .thenRefused('R-CAT-3', 'OfferNotOpen'));

  it('is accepted from the day the offer opened, not before (R-CAT-3)', () => {
    const facts = [catalogue, offerOpened({ serviceId: 'toodego', offerId: 'abonne', openedOn: '2026-02-01' }), signed];
    given(facts)
      .when(addAnnex({ serviceId: 'toodego', offerId: 'abonne', effectiveFrom: '2026-01-31' }))
      .thenRefused('R-CAT-3', 'OfferNotOpen');
    given(facts)
      .when(addAnnex({ serviceId: 'toodego', offerId: 'abonne', effectiveFrom: '2026-02-01' }))
      .then([annexAdded({ serviceId: 'toodego', offerId: 'abonne', effectiveFrom: '2026-02-01' })]);
  });

  it('is refused for a service or offer not in the catalogue (R-ANX-1)', () => {
    given(catalogue, signed)
      .when(addAnnex({ serviceId: 'geonet', offerId: 'standard' }))
      .thenRefused('R-ANX-1', 'UnknownService');
    given(catalogue, signed)
      .when(addAnnex({ serviceId: 'laclasse', offerId: 'partenaire' }))
      .thenRefused('R-ANX-1', 'UnknownOffer');
  });

  it('is refused before the convention starts or after its current period (R-ANX-1)', () => {
    given(catalogue, signed)
      .when(addAnnex({ effectiveFrom: '2025-12-31' }))
      .thenRefused('R-ANX-1', 'AnnexOutsideConventionLife');
    given(catalogue, signed)
      .when(addAnnex({ effectiveFrom: '2027-01-01' }))
      .thenRefused('R-ANX-1', 'AnnexOutsideConventionLife');
    given(catalogue, signed)
      .when(addAnnex({ effectiveFrom: '2026-12-31' }))
      .then([annexAdded({ effectiveFrom: '2026-12-31' })]);
  });

  it('is accepted in a renewed period (R-ANX-1)', () =>
    given(catalogue, signed, conventionRenewed({ renewalNumber: 1, start: '2027-01-01', end: '2027-12-31' }))
      .when(addAnnex({ effectiveFrom: '2027-06-01' }))
      .then([annexAdded({ effectiveFrom: '2027-06-01' })]));

  it('is refused while the service has an annex in force (R-ANX-2)', () =>
    given(catalogue, signed, annexAdded({ offerId: 'partenaire' }))
      .when(addAnnex({ offerId: 'connecte', effectiveFrom: '2026-05-01' }))
      .thenRefused('R-ANX-2', 'AnnexAlreadyInForce'));

  it('a stopped service may be annexed again, from the stop date on (R-ANX-2)', () => {
    const facts = [catalogue, signed, annexAdded(), serviceStopped({ effectiveOn: '2026-04-01' })];
    given(facts)
      .when(addAnnex({ offerId: 'connecte', effectiveFrom: '2026-03-31' }))
      .thenRefused('R-ANX-2', 'AnnexAlreadyInForce');
    const when = given(facts).when(addAnnex({ offerId: 'connecte', effectiveFrom: '2026-09-01' }));
    when.then([annexAdded({ offerId: 'connecte', effectiveFrom: '2026-09-01' })]);
    expect(active(when.thenConvention()).annexes).toEqual([
      {
        serviceId: 'toodego',
        from: '2026-01-01',
        until: '2026-03-31',
        offers: [{ offerId: 'partenaire', from: '2026-01-01', until: '2026-03-31' }],
        stop: { effectiveOn: '2026-04-01', reason: 'La commune arrête le service' },
      },
      {
        serviceId: 'toodego',
        from: '2026-09-01',
        until: null,
        offers: [{ offerId: 'connecte', from: '2026-09-01', until: null }],
        stop: null,
      },
    ]);
  });
});

describe('StopService', () => {
  const withTwoServices = [
    catalogue,
    signed,
    annexAdded({ serviceId: 'toodego' }),
    annexAdded({ serviceId: 'laclasse', offerId: 'standard' }),
  ];

  it('ends that annex the day before its effective date; the others continue (R-ANX-3, R-TIME-3)', () => {
    const when = given(withTwoServices).when(stopService({ serviceId: 'toodego', effectiveOn: '2026-07-01', reason: 'Fin du besoin' }));
    when.then([serviceStopped({ serviceId: 'toodego', offerId: 'partenaire', effectiveOn: '2026-07-01', reason: 'Fin du besoin' })]);
    const annexes = active(when.thenConvention()).annexes;
    expect(annexes.map(({ serviceId, from, until }) => ({ serviceId, from, until }))).toEqual([
      { serviceId: 'toodego', from: '2026-01-01', until: '2026-06-30' },
      { serviceId: 'laclasse', from: '2026-01-01', until: null },
    ]);
  });

  it('is refused for a service without a running annex (R-ANX-3)', () => {
    given(catalogue, signed)
      .when(stopService({ serviceId: 'laclasse', effectiveOn: '2026-07-01' }))
      .thenRefused('R-ANX-3', 'NoAnnexInForce', 'not_found');
    given(catalogue, signed, annexAdded(), serviceStopped({ effectiveOn: '2026-05-01' }))
      .when(stopService({ serviceId: 'toodego', effectiveOn: '2026-07-01' }))
      .thenRefused('R-ANX-3', 'NoAnnexInForce');
  });

  it('is refused before the current offer started; on its first day it cancels the annex (R-ANX-3)', () => {
    const facts = [catalogue, signed, annexAdded({ effectiveFrom: '2026-03-01' })];
    given(facts)
      .when(stopService({ effectiveOn: '2026-02-28' }))
      .thenRefused('R-ANX-3', 'StopBeforeOfferStart');
    const when = given(facts).when(stopService({ effectiveOn: '2026-03-01' }));
    when.then([serviceStopped({ effectiveOn: '2026-03-01' })]);
    const [annex] = active(when.thenConvention()).annexes;
    expect([annex.from, annex.until]).toEqual(['2026-03-01', '2026-02-28']);
  });

  it('is refused after the day following the convention’s known life (R-ANX-3)', () => {
    given(catalogue, signed, annexAdded())
      .when(stopService({ effectiveOn: '2027-01-02' }))
      .thenRefused('R-ANX-3', 'StopOutsideConventionLife');
    given(catalogue, signed, annexAdded())
      .when(stopService({ effectiveOn: '2027-01-01' }))
      .then([serviceStopped({ effectiveOn: '2027-01-01' })]);
  });
});

describe('ChangeOffer', () => {
  const withToodego = [catalogue, signed, annexAdded({ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' })];

  it('ends the old offer the day before and starts the new one on the date (R-ANX-4)', () => {
    const when = given(withToodego).when(changeOffer({ offerId: 'connecte', effectiveFrom: '2026-06-01' }));
    when.then([offerChanged({ previousOfferId: 'partenaire', offerId: 'connecte', effectiveFrom: '2026-06-01' })]);
    const [annex] = active(when.thenConvention()).annexes;
    expect(annex.offers).toEqual([
      { offerId: 'partenaire', from: '2026-01-01', until: '2026-05-31' },
      { offerId: 'connecte', from: '2026-06-01', until: null },
    ]);
    expect(annex.until).toBeNull();
  });

  it('is refused for the offer the annex already has (R-ANX-4)', () =>
    given(withToodego)
      .when(changeOffer({ offerId: 'partenaire', effectiveFrom: '2026-06-01' }))
      .thenRefused('R-ANX-4', 'SameOffer'));

  it('is refused on or before the current offer’s first day (R-ANX-4)', () =>
    given(withToodego, offerChanged({ offerId: 'connecte', effectiveFrom: '2026-06-01' }))
      .when(changeOffer({ offerId: 'partenaire', effectiveFrom: '2026-06-01' }))
      .thenRefused('R-ANX-4', 'OfferChangeNotAfterCurrentStart'));

  it('is refused without a running annex for the service (R-ANX-4)', () =>
    given(withToodego)
      .when(changeOffer({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-06-01' }))
      .thenRefused('R-ANX-4', 'NoAnnexInForce', 'not_found'));

  it('is refused towards an offer that is not open (R-CAT-3)', () =>
    given(withToodego)
      .when(changeOffer({ offerId: 'abonne', effectiveFrom: '2026-06-01' }))
      .thenRefused('R-CAT-3', 'OfferNotOpen'));

  it('is refused towards an offer not in the catalogue (R-ANX-1)', () =>
    given(withToodego)
      .when(changeOffer({ offerId: 'premium', effectiveFrom: '2026-06-01' }))
      .thenRefused('R-ANX-1', 'UnknownOffer'));

  it('is refused after the convention’s current period (R-ANX-1)', () =>
    given(withToodego)
      .when(changeOffer({ offerId: 'connecte', effectiveFrom: '2027-01-01' }))
      .thenRefused('R-ANX-1', 'AnnexOutsideConventionLife'));
});

describe('NotifyNonRenewal', () => {
  it('applies to the period it is given in; the convention expires at that period’s end (R-CONV-5)', () => {
    const notice = nonRenewalNotified({
      notifiedOn: '2026-09-15',
      by: 'commune',
      appliesToPeriod: { number: 1, start: '2026-01-01', end: '2026-12-31' },
    });
    given(catalogue, signed)
      .when(notifyNonRenewal({ notifiedOn: '2026-09-15', by: 'commune' }))
      .then([notice]);
    given(catalogue, signed, notice)
      .when(runLifecycle({ asOf: '2027-01-01' }))
      .then([conventionExpired({ lastDay: '2026-12-31', reason: 'not_renewed' })]);
  });

  it('applies to the next period when given after the period’s end (R-CONV-5)', () => {
    const notice = nonRenewalNotified({
      notifiedOn: '2027-01-10',
      by: 'metropole',
      appliesToPeriod: { number: 2, start: '2027-01-01', end: '2027-12-31' },
    });
    given(catalogue, signed)
      .when(notifyNonRenewal({ notifiedOn: '2027-01-10', by: 'metropole' }))
      .then([notice]);
    given(catalogue, signed, notice)
      .when(runLifecycle({ asOf: '2028-01-01' }))
      .then([
        conventionRenewed({ renewalNumber: 1, start: '2027-01-01', end: '2027-12-31' }),
        conventionExpired({ lastDay: '2027-12-31', reason: 'not_renewed' }),
      ]);
  });

  it('given between signature and start, applies to the first period (R-CONV-5)', () =>
    given(catalogue, signed)
      .when(notifyNonRenewal({ notifiedOn: '2025-12-01' }))
      .then([nonRenewalNotified({ notifiedOn: '2025-12-01', appliesToPeriod: { number: 1, start: '2026-01-01', end: '2026-12-31' } })]));

  it('is refused before the signature (R-CONV-5)', () =>
    given(catalogue, signed)
      .when(notifyNonRenewal({ notifiedOn: '2025-11-14' }))
      .thenRefused('R-CONV-5', 'NoticeBeforeSignature'));

  it('is refused when dated in a period already renewed (R-CONV-5)', () =>
    given(catalogue, signed, conventionRenewed({ renewalNumber: 1, start: '2027-01-01', end: '2027-12-31' }))
      .when(notifyNonRenewal({ notifiedOn: '2026-12-20' }))
      .thenRefused('R-CONV-5', 'NoticeBeforeCurrentPeriod'));

  it('is refused once already notified (R-CONV-5)', () =>
    given(
      catalogue,
      signed,
      nonRenewalNotified({ notifiedOn: '2026-09-15', appliesToPeriod: { number: 1, start: '2026-01-01', end: '2026-12-31' } }),
    )
      .when(notifyNonRenewal({ notifiedOn: '2026-10-01', by: 'metropole' }))
      .thenRefused('R-CONV-5', 'NonRenewalAlreadyNotified', 'conflict'));

  it('is refused past the sixth year, when the convention expires anyway (R-CONV-5)', () =>
    given(catalogue, signed)
      .when(notifyNonRenewal({ notifiedOn: '2032-01-01' }))
      .thenRefused('R-CONV-5', 'NoticeAfterLastPeriod'));

  it('given during the sixth year, leaves the expiry at max_duration (R-CONV-4, R-CONV-5)', () =>
    given(
      catalogue,
      signed,
      conventionRenewed({ renewalNumber: 1, start: '2027-01-01', end: '2027-12-31' }),
      conventionRenewed({ renewalNumber: 2, start: '2028-01-01', end: '2028-12-31' }),
      conventionRenewed({ renewalNumber: 3, start: '2029-01-01', end: '2029-12-31' }),
      conventionRenewed({ renewalNumber: 4, start: '2030-01-01', end: '2030-12-31' }),
      conventionRenewed({ renewalNumber: 5, start: '2031-01-01', end: '2031-12-31' }),
      nonRenewalNotified({ notifiedOn: '2031-06-01', appliesToPeriod: { number: 6, start: '2031-01-01', end: '2031-12-31' } }),
    )
      .when(runLifecycle({ asOf: '2032-01-01' }))
      .then([conventionExpired({ lastDay: '2031-12-31', reason: 'max_duration' })]));
});

describe('TerminateConvention', () => {
  const withAnnexes = [
    catalogue,
    signed,
    annexAdded({ serviceId: 'toodego' }),
    annexAdded({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' }),
  ];

  it('ends the convention and every annex the day before its effective date (R-CONV-6, R-CONV-7, R-TIME-3)', () => {
    const when = given(withAnnexes, offerChanged({ offerId: 'connecte', effectiveFrom: '2026-05-01' })).when(
      terminateConvention({ effectiveOn: '2026-07-01', by: 'commune', reason: 'Changement de prestataire' }),
    );
    when.then([
      conventionTerminated({ effectiveOn: '2026-07-01', lastDay: '2026-06-30', by: 'commune', reason: 'Changement de prestataire' }),
    ]);
    const state = ended(when.thenConvention());
    expect(state.end).toEqual({
      lastDay: '2026-06-30',
      reason: 'terminated',
      termination: { effectiveOn: '2026-07-01', by: 'commune', reason: 'Changement de prestataire' },
    });
    expect(state.annexes.map(({ serviceId, from, until, offers }) => ({ serviceId, from, until, offers }))).toEqual([
      {
        serviceId: 'toodego',
        from: '2026-01-01',
        until: '2026-06-30',
        offers: [
          { offerId: 'partenaire', from: '2026-01-01', until: '2026-04-30' },
          { offerId: 'connecte', from: '2026-05-01', until: '2026-06-30' },
        ],
      },
      {
        serviceId: 'laclasse',
        from: '2026-03-01',
        until: '2026-06-30',
        offers: [{ offerId: 'standard', from: '2026-03-01', until: '2026-06-30' }],
      },
    ]);
  });

  it('keeps the earlier end of an annex already stopped (R-CONV-7)', () => {
    const state = ended(
      given(withAnnexes, serviceStopped({ effectiveOn: '2026-04-01' }))
        .when(terminateConvention({ effectiveOn: '2026-07-01' }))
        .thenConvention(),
    );
    expect(state.annexes.map((annex) => annex.until)).toEqual(['2026-03-31', '2026-06-30']);
  });

  it('may take effect on the convention’s start (R-CONV-6)', () =>
    given(catalogue, signed)
      .when(terminateConvention({ effectiveOn: '2026-01-01' }))
      .then([conventionTerminated({ effectiveOn: '2026-01-01', lastDay: '2025-12-31' })]));

  it('is refused before the convention’s start (R-CONV-6)', () =>
    given(catalogue, signed)
      .when(terminateConvention({ effectiveOn: '2025-12-31' }))
      .thenRefused('R-CONV-6', 'TerminationBeforeStart'));

  it('is refused before the latest recorded event’s effective date (R-CONV-6)', () => {
    given(withAnnexes)
      .when(terminateConvention({ effectiveOn: '2026-02-28' }))
      .thenRefused('R-CONV-6', 'TerminationBeforeLatestEvent');
    given(catalogue, signed, conventionRenewed({ renewalNumber: 1, start: '2027-01-01', end: '2027-12-31' }))
      .when(terminateConvention({ effectiveOn: '2026-12-01' }))
      .thenRefused('R-CONV-6', 'TerminationBeforeLatestEvent');
  });

  it('is refused beyond the convention’s current life (R-CONV-6)', () => {
    given(catalogue, signed)
      .when(terminateConvention({ effectiveOn: '2027-01-02' }))
      .thenRefused('R-CONV-6', 'TerminationAfterConventionLife');
    given(catalogue, signed)
      .when(terminateConvention({ effectiveOn: '2027-01-01' }))
      .then([conventionTerminated({ effectiveOn: '2027-01-01', lastDay: '2026-12-31' })]);
  });
});

describe('The end of a convention (R-CONV-7, R-CONV-8)', () => {
  it('an expiry ends the access to every service on the period’s end (R-CONV-7)', () => {
    const state = ended(
      given(
        catalogue,
        signed,
        annexAdded({ serviceId: 'toodego' }),
        annexAdded({ serviceId: 'laclasse', offerId: 'standard' }),
        nonRenewalNotified({ notifiedOn: '2026-09-15', appliesToPeriod: { number: 1, start: '2026-01-01', end: '2026-12-31' } }),
      )
        .when(runLifecycle({ asOf: '2027-03-01' }))
        .thenConvention(),
    );
    expect(state.end).toEqual({ lastDay: '2026-12-31', reason: 'not_renewed', termination: null });
    expect(state.annexes.flatMap((annex) => [annex.until, ...annex.offers.map((offer) => offer.until)])).toEqual([
      '2026-12-31',
      '2026-12-31',
      '2026-12-31',
      '2026-12-31',
    ]);
  });

  const endings = {
    terminated: conventionTerminated({ effectiveOn: '2026-07-01', lastDay: '2026-06-30' }),
    expired: conventionExpired({ lastDay: '2026-12-31', reason: 'not_renewed' }),
  };
  const commands: [string, ConventionCommand][] = [
    ['AddAnnex', addAnnex({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' })],
    ['StopService', stopService({ serviceId: 'toodego', effectiveOn: '2026-03-01' })],
    ['ChangeOffer', changeOffer({ offerId: 'connecte', effectiveFrom: '2026-03-01' })],
    ['NotifyNonRenewal', notifyNonRenewal({ notifiedOn: '2026-03-01' })],
    ['TerminateConvention', terminateConvention({ effectiveOn: '2026-03-01' })],
  ];
  describe.each(Object.entries(endings))('once %s', (_how, ending) => {
    it.each(commands)('%s is refused (R-CONV-8)', (_name, command) =>
      given(catalogue, signed, annexAdded(), ending).when(command).thenRefused('R-CONV-8', 'ConventionEnded'),
    );

    it('the time-driven process records nothing more (R-CONV-8)', () =>
      given(catalogue, signed, ending)
        .when(runLifecycle({ asOf: '2040-01-01' }))
        .thenNothing());

    it('its state can still be read (R-CONV-8)', () => {
      const state = ended(given(signed, annexAdded(), ending).convention);
      expect([state.conventionId, state.communeInsee, state.periods.length, state.annexes.length]).toEqual(['69123-1', '69123', 1, 1]);
    });
  });

  it.each(commands)('%s on a convention never signed is refused as not found (R-CONV-8)', (_name, command) =>
    given(catalogue).when(command).thenRefused('R-CONV-8', 'ConventionNotFound', 'not_found'),
  );
});

describe('Reads of a convention (R-TIME-3)', () => {
  it('exposes its periods as recorded', () =>
    expect(
      active(given(signed, conventionRenewed({ renewalNumber: 1, start: '2027-01-01', end: '2027-12-31' })).convention).periods,
    ).toEqual([
      { number: 1, start: day('2026-01-01'), end: day('2026-12-31') },
      { number: 2, start: day('2027-01-01'), end: day('2027-12-31') },
    ]));
});
