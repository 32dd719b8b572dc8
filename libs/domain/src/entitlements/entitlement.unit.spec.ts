import { fold } from '../shared/decider';
import { conventionDecider } from '../convention/convention.decider';
import { ConventionEvent } from '../convention/convention.events';
import { ConventionState } from '../convention/convention.state';
import { CommuneEvent } from '../reference/commune.events';
import { CommuneState, emptyCommune, evolveCommune } from '../reference/commune.state';
import {
  CONVENTION_ID,
  annexAdded,
  conventionExpired,
  conventionRenewed,
  conventionSigned,
  conventionTerminated,
  day,
  legacyAccessEnded,
  legacyConventionRecorded,
  offerChanged,
  serviceStopped,
} from '../testing';
import { Entitlement, communeEntitlements, entitlementsOfConvention, inForceOn, legacyEntitlements } from './entitlement';

const convention = (...events: ConventionEvent[]): ConventionState => fold(conventionDecider, events);
const commune = (...events: CommuneEvent[]): CommuneState => events.reduce(evolveCommune, emptyCommune());

const fromConvention = (
  serviceId: string,
  offerId: string,
  from: string,
  until: string | null,
  annexFrom: string,
  conventionId = CONVENTION_ID,
): Entitlement => ({
  communeInsee: '69123',
  serviceId,
  offerId,
  from: day(from),
  until: until === null ? null : day(until),
  source: { kind: 'convention', id: conventionId, annexFrom: day(annexFrom) },
});
const fromLegacy = (serviceId: string, offerId: string, from: string | null, until: string | null): Entitlement => ({
  communeInsee: '69123',
  serviceId,
  offerId,
  from: from === null ? null : day(from),
  until: until === null ? null : day(until),
  source: { kind: 'legacy', id: `69123/${serviceId}` },
});

const signed = conventionSigned(); // signed 2025-11-15, in force from 2026-01-01, first period to 2026-12-31
const toodego = annexAdded({ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' });
const laclasse = annexAdded({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-02-01' });

describe('entitlementsOfConvention', () => {
  it('gives nothing before signature and nothing for a convention without annexes', () => {
    expect(entitlementsOfConvention(convention())).toEqual([]);
    expect(entitlementsOfConvention(convention(signed))).toEqual([]);
  });

  it('an annex gives access from its effective date, open while it runs (R-ANX-1, R-TIME-3)', () => {
    expect(entitlementsOfConvention(convention(signed, toodego, laclasse))).toEqual([
      fromConvention('toodego', 'partenaire', '2026-01-01', null, '2026-01-01'),
      fromConvention('laclasse', 'standard', '2026-02-01', null, '2026-02-01'),
    ]);
  });

  it('an offer change ends the old offer the day before and starts the new one on its date (R-ANX-4)', () => {
    const changed = offerChanged({ offerId: 'connecte', effectiveFrom: '2026-07-01' });
    expect(entitlementsOfConvention(convention(signed, toodego, changed))).toEqual([
      fromConvention('toodego', 'partenaire', '2026-01-01', '2026-06-30', '2026-01-01'),
      fromConvention('toodego', 'connecte', '2026-07-01', null, '2026-01-01'),
    ]);
  });

  it('a stop ends that service the day before its effective date; the others continue (R-ANX-3)', () => {
    const stopped = serviceStopped({ serviceId: 'toodego', effectiveOn: '2026-09-01' });
    expect(entitlementsOfConvention(convention(signed, toodego, laclasse, stopped))).toEqual([
      fromConvention('toodego', 'partenaire', '2026-01-01', '2026-08-31', '2026-01-01'),
      fromConvention('laclasse', 'standard', '2026-02-01', null, '2026-02-01'),
    ]);
  });

  it('a service annexed again after a stop is a new annex period (R-ANX-2)', () => {
    const stopped = serviceStopped({ serviceId: 'toodego', effectiveOn: '2026-09-01' });
    const again = annexAdded({ serviceId: 'toodego', offerId: 'connecte', effectiveFrom: '2026-10-15' });
    expect(entitlementsOfConvention(convention(signed, toodego, stopped, again))).toEqual([
      fromConvention('toodego', 'partenaire', '2026-01-01', '2026-08-31', '2026-01-01'),
      fromConvention('toodego', 'connecte', '2026-10-15', null, '2026-10-15'),
    ]);
  });

  it('an annex stopped on its first day never gave access', () => {
    const stopped = serviceStopped({ serviceId: 'laclasse', offerId: 'standard', effectiveOn: '2026-02-01' });
    expect(entitlementsOfConvention(convention(signed, toodego, laclasse, stopped))).toEqual([
      fromConvention('toodego', 'partenaire', '2026-01-01', null, '2026-01-01'),
    ]);
  });

  it('renewals change nothing; termination ends every annex and offer on effectiveOn − 1 (R-CONV-6, R-CONV-7)', () => {
    const renewed = conventionRenewed({ renewalNumber: 1, start: '2027-01-01', end: '2027-12-31' });
    const changed = offerChanged({ offerId: 'connecte', effectiveFrom: '2027-03-01' });
    const terminated = conventionTerminated({ effectiveOn: '2027-05-01', lastDay: '2027-04-30' });
    expect(entitlementsOfConvention(convention(signed, toodego, laclasse, renewed))).toEqual(
      entitlementsOfConvention(convention(signed, toodego, laclasse)),
    );
    expect(entitlementsOfConvention(convention(signed, toodego, laclasse, renewed, changed, terminated))).toEqual([
      fromConvention('toodego', 'partenaire', '2026-01-01', '2027-02-28', '2026-01-01'),
      fromConvention('toodego', 'connecte', '2027-03-01', '2027-04-30', '2026-01-01'),
      fromConvention('laclasse', 'standard', '2026-02-01', '2027-04-30', '2026-02-01'),
    ]);
  });

  it('expiry ends every annex on the last day of the last period, an annex already stopped keeps its end (R-CONV-7)', () => {
    const stopped = serviceStopped({ serviceId: 'laclasse', offerId: 'standard', effectiveOn: '2026-06-01' });
    const expired = conventionExpired({ lastDay: '2026-12-31', reason: 'not_renewed' });
    expect(entitlementsOfConvention(convention(signed, toodego, laclasse, stopped, expired))).toEqual([
      fromConvention('toodego', 'partenaire', '2026-01-01', '2026-12-31', '2026-01-01'),
      fromConvention('laclasse', 'standard', '2026-02-01', '2026-05-31', '2026-02-01'),
    ]);
  });
});

describe('legacyEntitlements', () => {
  const legacy = legacyConventionRecorded({ serviceId: 'toodego', offerId: 'partenaire' }); // start unknown

  it('a legacy convention gives access since before 2025 (unknown start) or from its start date (R-LEG-1)', () => {
    expect(legacyEntitlements(commune(legacy), [])).toEqual([fromLegacy('toodego', 'partenaire', null, null)]);
    const dated = legacyConventionRecorded({ serviceId: 'laclasse', offerId: 'standard', startDate: '2019-09-01' });
    expect(legacyEntitlements(commune(dated), [])).toEqual([fromLegacy('laclasse', 'standard', '2019-09-01', null)]);
  });

  it('with continuity it runs until the day before the annex starts, as soon as the annex is recorded (R-LEG-2)', () => {
    expect(legacyEntitlements(commune(legacy), [convention(signed, toodego)])).toEqual([
      fromLegacy('toodego', 'partenaire', null, '2025-12-31'),
    ]);
    // An annex from 1 December 2025 (effective before the convention's signature is allowed by R-CONV-2).
    const early = conventionSigned({ signedOn: '2025-12-10', effectiveFrom: '2025-12-01', initialPeriodEnd: '2026-11-30' });
    const earlyAnnex = annexAdded({ serviceId: 'toodego', offerId: 'connecte', effectiveFrom: '2025-12-01' });
    expect(legacyEntitlements(commune(legacy), [convention(early, earlyAnnex)])).toEqual([
      fromLegacy('toodego', 'partenaire', null, '2025-11-30'),
    ]);
  });

  it('without continuity it stays open until the lifecycle records its end, then ends on 2025-12-31 (R-LEG-3)', () => {
    const late = conventionSigned({ signedOn: '2026-01-10', effectiveFrom: '2026-02-01', initialPeriodEnd: '2027-01-31' });
    const lateAnnex = annexAdded({ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-02-01' });
    const conventions = [convention(late, lateAnnex)];
    expect(legacyEntitlements(commune(legacy), conventions)).toEqual([fromLegacy('toodego', 'partenaire', null, null)]);
    const ended = legacyAccessEnded({ lastDay: '2025-12-31', reason: 'no_continuity' });
    expect(legacyEntitlements(commune(legacy, ended), conventions)).toEqual([fromLegacy('toodego', 'partenaire', null, '2025-12-31')]);
    // The later annex is a new subscription of its own, after a gap in January.
    expect(communeEntitlements(commune(legacy, ended), conventions)).toEqual([
      fromLegacy('toodego', 'partenaire', null, '2025-12-31'),
      fromConvention('toodego', 'partenaire', '2026-02-01', null, '2026-02-01'),
    ]);
  });

  it('a continuing annex stopped on its first day gives no continuity: the recorded end stands (R-LEG-2)', () => {
    const cancelled = serviceStopped({ serviceId: 'toodego', effectiveOn: '2026-01-01' });
    const ended = legacyAccessEnded({ lastDay: '2025-12-31', reason: 'no_continuity' });
    expect(legacyEntitlements(commune(legacy), [convention(signed, toodego, cancelled)])).toEqual([
      fromLegacy('toodego', 'partenaire', null, null),
    ]);
    expect(legacyEntitlements(commune(legacy, ended), [convention(signed, toodego, cancelled)])).toEqual([
      fromLegacy('toodego', 'partenaire', null, '2025-12-31'),
    ]);
  });

  it('a corrected legacy convention reads as last recorded (R-TIME-2)', () => {
    const corrected = legacyConventionRecorded({
      serviceId: 'toodego',
      offerId: 'connecte',
      startDate: '2020-01-01',
      corrects: { offerId: 'partenaire', annualContribution: '90000.00', startDate: null, reason: 'Typing mistake' },
    });
    expect(legacyEntitlements(commune(legacy, corrected), [])).toEqual([fromLegacy('toodego', 'connecte', '2020-01-01', null)]);
  });
});

describe('communeEntitlements and inForceOn', () => {
  it('hands over from the legacy convention to the annex with no gap and no overlap (R-LEG-2, R-TIME-3)', () => {
    const all = communeEntitlements(commune(legacyConventionRecorded({ serviceId: 'toodego', offerId: 'partenaire' })), [
      convention(signed, toodego),
    ]);
    expect(inForceOn(all, day('2025-12-31'))).toEqual([fromLegacy('toodego', 'partenaire', null, '2025-12-31')]);
    expect(inForceOn(all, day('2026-01-01'))).toEqual([fromConvention('toodego', 'partenaire', '2026-01-01', null, '2026-01-01')]);
    expect(inForceOn(all, day('2001-01-01'))).toEqual([fromLegacy('toodego', 'partenaire', null, '2025-12-31')]);
  });

  it('counts both ends of an interval as in force (R-TIME-3)', () => {
    const all = entitlementsOfConvention(convention(signed, toodego, serviceStopped({ effectiveOn: '2026-03-01' })));
    expect(inForceOn(all, day('2025-12-31'))).toEqual([]);
    expect(inForceOn(all, day('2026-01-01'))).toHaveLength(1);
    expect(inForceOn(all, day('2026-02-28'))).toHaveLength(1);
    expect(inForceOn(all, day('2026-03-01'))).toEqual([]);
  });
});
