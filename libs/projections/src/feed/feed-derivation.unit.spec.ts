import { issueLedgerDecider } from '@lib/domain/ledger';
import { ConventionEvent } from '@lib/domain/convention';
import { CommuneEvent } from '@lib/domain/reference';
import { isRefusal } from '@lib/domain/shared/refusal';
import {
  CONVENTION_ID,
  VILLEURBANNE,
  VILLEURBANNE_CONVENTION_ID,
  When,
  addAnnex,
  annexAdded,
  catalogueOfCp2025_4074,
  conventionSigned,
  given,
  legacyConventionRecorded,
  notifyNonRenewal,
  offerChanged,
  populationRecorded,
  runLegacyTransition,
  runLifecycle,
  serviceStopped,
  stopService,
  syntecIndexRecorded,
  terminateConvention,
} from '@lib/domain/testing';
import { LedgerFact, LedgerIssued, computeLedgerLines, evolveIssuedLedger, foldLedgerFacts, noIssue } from '@lib/domain/ledger';
import { EntitlementSnapshot } from './integration-events';
import { InMemoryFeed } from './testing/in-memory-feed';
import { invalidFeedEvents } from './testing/feed-schema-validation';

/*
 * Given domain events (written with the domain's builders, or decided by its deciders from commands),
 * when one more is recorded, then the feed gains exactly these integration events. Expected values are
 * worked out by hand from the rules named in each case. Every event a case produces must also fit its
 * JSON Schema read closed (no field outside the published contract): see afterEach.
 */

const ID = CONVENTION_ID;
const LYON = '69123';
const source = (annexFrom: string, id = ID) => ({ kind: 'convention', id, annexFrom }) as const;
const LEGACY_TOODEGO = 'legacy/69123/toodego';

const signed = conventionSigned(); // Lyon, signed 2025-11-15, in force from 2026-01-01, first period to 2026-12-31
const toodego = annexAdded({ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' });
const TOODEGO = `convention/${ID}/toodego/2026-01-01`;

let feeds: InMemoryFeed[] = [];
/** A feed that has already derived these events. */
function feedAfter(...events: Array<ConventionEvent | CommuneEvent>): InMemoryFeed {
  const feed = new InMemoryFeed();
  feed.record(...events);
  feeds.push(feed);
  return feed;
}

/** What a decider records for a command; the domain's own refusal fails the test. */
function decided(when: When): Array<ConventionEvent | CommuneEvent> {
  if (isRefusal(when.outcome)) throw new Error(`Refused: ${when.outcome.rule} ${when.outcome.code}`);
  return when.outcome as Array<ConventionEvent | CommuneEvent>;
}

/** Type, position and entitlement in one line: for the cases where the sequence is the point. */
function summary(events: ReturnType<InMemoryFeed['record']>): string[] {
  return events.map((event) => {
    const data = event.data as unknown as Record<string, unknown>;
    if (event.type === 'ConventionStatusChanged')
      return `${event.position} ${event.type} ${data.change} ${data.status} period=${(data.period as { number: number }).number} lastDay=${data.lastDay}`;
    if (event.type === 'FeeLedgerIssued') return `${event.position} ${event.type} ${data.year}#${data.issueNumber}`;
    return `${event.position} ${event.type} ${data.entitlementId} ${data.from}..${data.until}`;
  });
}

afterEach(() => {
  const produced = feeds.flatMap((feed) => feed.events.map(({ services: _services, ...event }) => event));
  feeds = [];
  expect(invalidFeedEvents(produced)).toEqual([]);
});

describe('feed: convention status (ConventionStatusChanged)', () => {
  it('signing gives the status `signed`, then an annex gives its access, each at the next position (R-CONV-2, R-ANX-1)', () => {
    const feed = feedAfter();
    expect(feed.record(signed, toodego)).toEqual([
      {
        type: 'ConventionStatusChanged',
        version: 1,
        position: '1',
        occurredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        data: {
          conventionId: ID,
          communeInsee: LYON,
          communeName: 'Lyon',
          status: 'active',
          change: 'signed',
          signedOn: '2025-11-15',
          effectiveFrom: '2026-01-01',
          period: { number: 1, start: '2026-01-01', end: '2026-12-31' },
          expiresAfter: null,
          lastDay: null,
          endReason: null,
        },
        services: null,
      },
      {
        type: 'EntitlementGranted',
        version: 1,
        position: '2',
        occurredAt: expect.any(String),
        data: {
          entitlementId: TOODEGO,
          communeInsee: LYON,
          serviceId: 'toodego',
          offerId: 'partenaire',
          from: '2026-01-01',
          until: null,
          offers: [{ offerId: 'partenaire', from: '2026-01-01', until: null }],
          source: source('2026-01-01'),
        },
        services: ['toodego'],
      },
    ]);
  });

  it('a non-renewal notice says when the convention will expire; the expiry ends it and every access in it on that day (R-CONV-5, R-CONV-7)', () => {
    const feed = feedAfter(signed, toodego);
    const notice = decided(given(catalogueOfCp2025_4074, signed, toodego).when(notifyNonRenewal({ notifiedOn: '2026-05-10' })));
    expect(feed.record(...notice).map((event) => event.data)).toEqual([
      expect.objectContaining({
        status: 'active',
        change: 'non_renewal_notified',
        period: { number: 1, start: '2026-01-01', end: '2026-12-31' },
        expiresAfter: '2026-12-31',
        lastDay: null,
        endReason: null,
      }),
    ]);
    const expiry = decided(given(catalogueOfCp2025_4074, signed, toodego, ...notice).when(runLifecycle({ asOf: '2027-01-01' })));
    expect(feed.record(...expiry)).toEqual([
      expect.objectContaining({
        type: 'ConventionStatusChanged',
        // Once ended, lastDay says when; expiresAfter is only for a convention still running.
        data: expect.objectContaining({
          status: 'ended',
          change: 'expired',
          expiresAfter: null,
          lastDay: '2026-12-31',
          endReason: 'not_renewed',
        }),
      }),
      expect.objectContaining({
        type: 'EntitlementEnded',
        data: {
          entitlementId: TOODEGO,
          communeInsee: LYON,
          serviceId: 'toodego',
          offerId: 'partenaire',
          from: '2026-01-01',
          until: '2026-12-31',
          offers: [{ offerId: 'partenaire', from: '2026-01-01', until: '2026-12-31' }],
          source: source('2026-01-01'),
          withdrawn: false,
        },
        services: ['toodego'],
      }),
    ]);
  });

  it('each tacit renewal is `renewed` with its period and leaves the accesses alone; after six years `expired` (max_duration) ends them (R-CONV-3, R-CONV-4)', () => {
    const feed = feedAfter(signed, toodego);
    const firstRenewal = decided(given(catalogueOfCp2025_4074, signed, toodego).when(runLifecycle({ asOf: '2027-01-01' })));
    expect(feed.record(...firstRenewal).map((event) => event.data)).toEqual([
      expect.objectContaining({
        status: 'active',
        change: 'renewed',
        period: { number: 2, start: '2027-01-01', end: '2027-12-31' },
        expiresAfter: null,
      }),
    ]);
    const rest = decided(given(catalogueOfCp2025_4074, signed, toodego, ...firstRenewal).when(runLifecycle({ asOf: '2032-01-01' })));
    expect(summary(feed.record(...rest))).toEqual([
      '4 ConventionStatusChanged renewed active period=3 lastDay=null',
      '5 ConventionStatusChanged renewed active period=4 lastDay=null',
      '6 ConventionStatusChanged renewed active period=5 lastDay=null',
      '7 ConventionStatusChanged renewed active period=6 lastDay=null',
      // 2026-01-01 + six years: the last day is 2031-12-31.
      '8 ConventionStatusChanged expired ended period=6 lastDay=2031-12-31',
      `9 EntitlementEnded ${TOODEGO} 2026-01-01..2031-12-31`,
    ]);
    expect(feed.events.at(-2)!.data).toMatchObject({ endReason: 'max_duration' });
  });

  it('termination is `terminated` with its last day, then ends every running access on that day; an access already ended earlier stays as it was (R-CONV-6, R-CONV-7, R-TIME-3)', () => {
    const laclasse = annexAdded({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-02-01' });
    const laclasseStopped = serviceStopped({ serviceId: 'laclasse', offerId: 'standard', effectiveOn: '2026-06-01' });
    const feed = feedAfter(signed, toodego, laclasse, laclasseStopped);
    const termination = decided(
      given(catalogueOfCp2025_4074, signed, toodego, laclasse, laclasseStopped).when(terminateConvention({ effectiveOn: '2026-10-01' })),
    );
    expect(summary(feed.record(...termination))).toEqual([
      // Effective on 2026-10-01: the last day is 2026-09-30.
      '5 ConventionStatusChanged terminated ended period=1 lastDay=2026-09-30',
      `6 EntitlementEnded ${TOODEGO} 2026-01-01..2026-09-30`,
    ]);
    expect(feed.events.at(-2)!.data).toMatchObject({ endReason: 'terminated', expiresAfter: null });
  });

  it('termination with several running accesses ends each, in a stable order (by entitlementId)', () => {
    const laclasse = annexAdded({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' });
    const feed = feedAfter(signed, toodego, laclasse);
    const termination = decided(
      given(catalogueOfCp2025_4074, signed, toodego, laclasse).when(terminateConvention({ effectiveOn: '2026-04-15' })),
    );
    expect(summary(feed.record(...termination))).toEqual([
      '4 ConventionStatusChanged terminated ended period=1 lastDay=2026-04-14',
      `5 EntitlementEnded convention/${ID}/laclasse/2026-03-01 2026-03-01..2026-04-14`,
      `6 EntitlementEnded ${TOODEGO} 2026-01-01..2026-04-14`,
    ]);
  });
});

describe('feed: accesses from annexes (Entitlement*)', () => {
  it('an offer change is EntitlementChanged with changes [offer]: the old offer ends the day before (R-ANX-4)', () => {
    const feed = feedAfter(signed, toodego);
    expect(feed.record(offerChanged({ offerId: 'connecte', effectiveFrom: '2026-07-01' }))).toEqual([
      {
        type: 'EntitlementChanged',
        version: 1,
        position: '3',
        occurredAt: expect.any(String),
        data: {
          entitlementId: TOODEGO,
          communeInsee: LYON,
          serviceId: 'toodego',
          offerId: 'connecte',
          from: '2026-01-01',
          until: null,
          offers: [
            { offerId: 'partenaire', from: '2026-01-01', until: '2026-06-30' },
            { offerId: 'connecte', from: '2026-07-01', until: null },
          ],
          source: source('2026-01-01'),
          changes: ['offer'],
          previous: { offerId: 'partenaire', from: '2026-01-01', until: null },
        },
        services: ['toodego'],
      },
    ]);
  });

  it('a stop is EntitlementEnded, its last day the day before the stop (R-ANX-3, R-TIME-3); the other accesses are untouched', () => {
    const laclasse = annexAdded({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-02-01' });
    const feed = feedAfter(signed, toodego, laclasse);
    expect(
      feed
        .record(serviceStopped({ serviceId: 'laclasse', offerId: 'standard', effectiveOn: '2026-09-01' }))
        .map(({ type, data }) => ({ type, data })),
    ).toEqual([
      {
        type: 'EntitlementEnded',
        data: {
          entitlementId: `convention/${ID}/laclasse/2026-02-01`,
          communeInsee: LYON,
          serviceId: 'laclasse',
          offerId: 'standard',
          from: '2026-02-01',
          until: '2026-08-31',
          offers: [{ offerId: 'standard', from: '2026-02-01', until: '2026-08-31' }],
          source: source('2026-02-01'),
          withdrawn: false,
        },
      },
    ]);
  });

  it('a stop after an offer change keeps both offers; a stop on the new offer’s first day cancels it and the access ends on the old one', () => {
    const change = offerChanged({ offerId: 'connecte', effectiveFrom: '2026-07-01' });
    const later = feedAfter(signed, toodego, change).record(serviceStopped({ offerId: 'connecte', effectiveOn: '2026-10-01' }));
    expect(later.map(({ type, data }) => ({ type, data }))).toEqual([
      {
        type: 'EntitlementEnded',
        data: expect.objectContaining({
          offerId: 'connecte',
          until: '2026-09-30',
          offers: [
            { offerId: 'partenaire', from: '2026-01-01', until: '2026-06-30' },
            { offerId: 'connecte', from: '2026-07-01', until: '2026-09-30' },
          ],
          withdrawn: false,
        }),
      },
    ]);
    const cancelling = decided(given(catalogueOfCp2025_4074, signed, toodego, change).when(stopService({ effectiveOn: '2026-07-01' })));
    const onFirstDay = feedAfter(signed, toodego, change).record(...cancelling);
    expect(onFirstDay.map(({ type, data }) => ({ type, data }))).toEqual([
      {
        type: 'EntitlementEnded',
        data: expect.objectContaining({
          offerId: 'partenaire',
          from: '2026-01-01',
          until: '2026-06-30',
          offers: [{ offerId: 'partenaire', from: '2026-01-01', until: '2026-06-30' }],
          withdrawn: false,
        }),
      },
    ]);
  });

  it('an annex stopped on its first day is EntitlementEnded withdrawn: never in force, until = from − 1, no offers', () => {
    const laclasse = annexAdded({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' });
    const feed = feedAfter(signed, toodego, laclasse);
    const stop = decided(
      given(catalogueOfCp2025_4074, signed, toodego, laclasse).when(stopService({ serviceId: 'laclasse', effectiveOn: '2026-03-01' })),
    );
    expect(feed.record(...stop).map(({ type, data, services }) => ({ type, data, services }))).toEqual([
      {
        type: 'EntitlementEnded',
        data: {
          entitlementId: `convention/${ID}/laclasse/2026-03-01`,
          communeInsee: LYON,
          serviceId: 'laclasse',
          offerId: 'standard',
          from: '2026-03-01',
          until: '2026-02-28',
          offers: [],
          source: source('2026-03-01'),
          withdrawn: true,
        },
        services: ['laclasse'],
      },
    ]);
  });

  it('a service annexed again is EntitlementGranted again: under the same id when it restarts on the withdrawn day, under a new one otherwise (R-ANX-2)', () => {
    const laclasse = annexAdded({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' });
    const withdrawn = serviceStopped({ serviceId: 'laclasse', offerId: 'standard', effectiveOn: '2026-03-01' });
    const again = decided(
      given(catalogueOfCp2025_4074, signed, laclasse, withdrawn).when(
        addAnnex({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-03-01' }),
      ),
    );
    expect(
      feedAfter(signed, laclasse, withdrawn)
        .record(...again)
        .map(({ type, data }) => ({ type, data })),
    ).toEqual([
      {
        type: 'EntitlementGranted',
        data: {
          entitlementId: `convention/${ID}/laclasse/2026-03-01`,
          communeInsee: LYON,
          serviceId: 'laclasse',
          offerId: 'standard',
          from: '2026-03-01',
          until: null,
          offers: [{ offerId: 'standard', from: '2026-03-01', until: null }],
          source: source('2026-03-01'),
        },
      },
    ]);

    const stopped = serviceStopped({ serviceId: 'laclasse', offerId: 'standard', effectiveOn: '2026-06-01' });
    const later = decided(
      given(catalogueOfCp2025_4074, signed, laclasse, stopped).when(
        addAnnex({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-09-01' }),
      ),
    );
    expect(summary(feedAfter(signed, laclasse, stopped).record(...later))).toEqual([
      `4 EntitlementGranted convention/${ID}/laclasse/2026-09-01 2026-09-01..null`,
    ]);
  });

  it('events of other communes never touch this commune’s accesses', () => {
    const feed = feedAfter(signed, toodego);
    const villeurbanne = conventionSigned({ conventionId: VILLEURBANNE_CONVENTION_ID, ...VILLEURBANNE });
    expect(
      summary(
        feed.record(
          villeurbanne,
          annexAdded({ conventionId: VILLEURBANNE_CONVENTION_ID, serviceId: 'toodego', offerId: 'connecte', effectiveFrom: '2026-01-01' }),
        ),
      ),
    ).toEqual([
      '3 ConventionStatusChanged signed active period=1 lastDay=null',
      `4 EntitlementGranted convention/${VILLEURBANNE_CONVENTION_ID}/toodego/2026-01-01 2026-01-01..null`,
    ]);
  });
});

describe('feed: legacy accesses (R-LEG-1..3)', () => {
  const legacy = legacyConventionRecorded({ startDate: '2019-09-01' }); // Lyon, toodego partenaire

  it('a legacy convention is EntitlementGranted under legacy/<insee>/<service>; with an unknown start, from is null (R-LEG-1)', () => {
    expect(
      feedAfter()
        .record(legacy)
        .map(({ type, data, services }) => ({ type, data, services })),
    ).toEqual([
      {
        type: 'EntitlementGranted',
        data: {
          entitlementId: LEGACY_TOODEGO,
          communeInsee: LYON,
          serviceId: 'toodego',
          offerId: 'partenaire',
          from: '2019-09-01',
          until: null,
          offers: [{ offerId: 'partenaire', from: '2019-09-01', until: null }],
          source: { kind: 'legacy', id: '69123/toodego' },
        },
        services: ['toodego'],
      },
    ]);
    const unknownStart = feedAfter().record(legacyConventionRecorded({ serviceId: 'laclasse', offerId: 'standard', startDate: null }));
    expect(unknownStart.map((event) => event.data)).toEqual([
      expect.objectContaining({
        entitlementId: 'legacy/69123/laclasse',
        from: null,
        until: null,
        offers: [{ offerId: 'standard', from: null, until: null }],
      }),
    ]);
  });

  it('with continuity the annex’s arrival ends the legacy access the day before it starts; the lifecycle recording that end later adds nothing (R-LEG-2)', () => {
    const feed = feedAfter(legacy);
    expect(summary(feed.record(signed, toodego))).toEqual([
      '2 ConventionStatusChanged signed active period=1 lastDay=null',
      `3 EntitlementGranted ${TOODEGO} 2026-01-01..null`,
      `4 EntitlementEnded ${LEGACY_TOODEGO} 2019-09-01..2025-12-31`,
    ]);
    expect(feed.events.at(-1)!.data).toMatchObject({
      offers: [{ offerId: 'partenaire', from: '2019-09-01', until: '2025-12-31' }],
      withdrawn: false,
    });
    const recordedEnd = decided(given(catalogueOfCp2025_4074, legacy, signed, toodego).when(runLegacyTransition({ asOf: '2026-01-02' })));
    expect(recordedEnd.map((event) => event.type)).toEqual(['LegacyAccessEnded']);
    expect(feed.record(...recordedEnd)).toEqual([]);
  });

  it('without continuity the legacy access ends on 2025-12-31 once the lifecycle records it; a later annex is a new access (R-LEG-3)', () => {
    const feed = feedAfter(legacy);
    const end = decided(given(catalogueOfCp2025_4074, legacy).when(runLegacyTransition({ asOf: '2026-01-01' })));
    expect(summary(feed.record(...end))).toEqual([`2 EntitlementEnded ${LEGACY_TOODEGO} 2019-09-01..2025-12-31`]);
    const late = conventionSigned({ signedOn: '2026-01-10', effectiveFrom: '2026-02-01', initialPeriodEnd: '2027-01-31' });
    const annex = annexAdded({ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-02-01' });
    expect(summary(feed.record(late, annex))).toEqual([
      '3 ConventionStatusChanged signed active period=1 lastDay=null',
      `4 EntitlementGranted convention/${ID}/toodego/2026-02-01 2026-02-01..null`,
    ]);
  });

  it('continuity lost (the continuing annex withdrawn) reopens the legacy access: EntitlementChanged [until]; annexed again, it ends again', () => {
    const feed = feedAfter(legacy, signed, toodego);
    const withdraw = decided(given(catalogueOfCp2025_4074, legacy, signed, toodego).when(stopService({ effectiveOn: '2026-01-01' })));
    const reopened = feed.record(...withdraw);
    expect(summary(reopened)).toEqual([
      `5 EntitlementEnded ${TOODEGO} 2026-01-01..2025-12-31`,
      `6 EntitlementChanged ${LEGACY_TOODEGO} 2019-09-01..null`,
    ]);
    expect(reopened.map((event) => event.data)).toEqual([
      expect.objectContaining({ withdrawn: true, offers: [] }),
      expect.objectContaining({
        changes: ['until'],
        previous: { offerId: 'partenaire', from: '2019-09-01', until: '2025-12-31' },
        offers: [{ offerId: 'partenaire', from: '2019-09-01', until: null }],
      }),
    ]);
    const again = decided(
      given(catalogueOfCp2025_4074, legacy, signed, toodego, ...withdraw).when(
        addAnnex({ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }),
      ),
    );
    expect(summary(feed.record(...again))).toEqual([
      `7 EntitlementGranted ${TOODEGO} 2026-01-01..null`,
      `8 EntitlementEnded ${LEGACY_TOODEGO} 2019-09-01..2025-12-31`,
    ]);
  });

  it('a legacy access whose continuing annex starts before it is withdrawn: it never was in force', () => {
    const lateLegacy = legacyConventionRecorded({ startDate: '2025-06-01' });
    const early = conventionSigned({ signedOn: '2025-05-01', effectiveFrom: '2025-03-01', initialPeriodEnd: '2026-02-28' });
    const annex = annexAdded({ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2025-03-01' });
    const feed = feedAfter(lateLegacy, early);
    expect(feed.record(annex).map(({ type, data }) => ({ type, data }))).toEqual([
      {
        type: 'EntitlementGranted',
        data: expect.objectContaining({ entitlementId: `convention/${ID}/toodego/2025-03-01`, from: '2025-03-01', until: null }),
      },
      {
        type: 'EntitlementEnded',
        data: {
          entitlementId: LEGACY_TOODEGO,
          communeInsee: LYON,
          serviceId: 'toodego',
          offerId: 'partenaire',
          from: '2025-06-01',
          until: '2025-05-31',
          offers: [],
          source: { kind: 'legacy', id: '69123/toodego' },
          withdrawn: true,
        },
      },
    ]);
  });

  it('a corrected legacy convention is EntitlementChanged: [offer] for its offer, [from] for its start (R-TIME-2)', () => {
    const feed = feedAfter(legacy);
    const offer = legacyConventionRecorded({
      offerId: 'connecte',
      startDate: '2019-09-01',
      corrects: { offerId: 'partenaire', annualContribution: '90000.00', startDate: '2019-09-01', reason: 'Erreur de saisie' },
    });
    expect(feed.record(offer).map((event) => event.data)).toEqual([
      expect.objectContaining({
        offerId: 'connecte',
        offers: [{ offerId: 'connecte', from: '2019-09-01', until: null }],
        changes: ['offer'],
        previous: { offerId: 'partenaire', from: '2019-09-01', until: null },
      }),
    ]);
    const start = legacyConventionRecorded({
      offerId: 'connecte',
      startDate: '2018-01-01',
      corrects: { offerId: 'connecte', annualContribution: '90000.00', startDate: '2019-09-01', reason: 'Date retrouvée' },
    });
    expect(feed.record(start).map((event) => event.data)).toEqual([
      expect.objectContaining({
        from: '2018-01-01',
        changes: ['from'],
        previous: { offerId: 'connecte', from: '2019-09-01', until: null },
      }),
    ]);
    // A correction that changes nothing about access (the contribution) adds nothing.
    expect(feed.record(legacyConventionRecorded({ offerId: 'connecte', startDate: '2018-01-01', annualContribution: '95000.00' }))).toEqual(
      [],
    );
  });
});

describe('feed: FeeLedgerIssued', () => {
  // R-FEE-9's figures: Lyon 522 250 inhabitants, S(2025) = 300.0, S(2026) = 306.0 (coefficient 1.02).
  const villeurbanne = conventionSigned({ conventionId: VILLEURBANNE_CONVENTION_ID, ...VILLEURBANNE });
  const facts = [
    ...catalogueOfCp2025_4074,
    populationRecorded({ population: 522250, effectiveDate: '2025-01-01' }),
    syntecIndexRecorded({ period: '2024-10', value: '300.0', publishedOn: '2024-11-29' }),
    syntecIndexRecorded({ period: '2025-10', value: '306.0', publishedOn: '2025-11-28' }),
    signed,
    toodego,
    annexAdded({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-01-01' }),
    // No population recorded for Villeurbanne: its line is pending (R-FEE-2).
    villeurbanne,
    annexAdded({ conventionId: VILLEURBANNE_CONVENTION_ID, serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-01-01' }),
  ];
  const asFacts = (events: Array<{ type: string; data: unknown }>): LedgerFact[] =>
    events.map((event, i) => ({
      eventId: `event-${i + 1}`,
      position: { commit: i + 1, prepare: i + 1 },
      recordedAt: '2026-01-05T10:00:00.000Z',
      streamId: 's',
      type: event.type,
      data: event.data as Record<string, unknown>,
      reason: null,
    }));

  function issue(events: Array<{ type: string; data: unknown }>, issued: LedgerIssued[]): LedgerIssued {
    const known = asFacts(events);
    const state = issued.reduce(evolveIssuedLedger, noIssue());
    const context = {
      lines: computeLedgerLines(2026, foldLedgerFacts(known)),
      facts: known,
      basedOn: { position: `${known.length}-${known.length}`, at: '2026-01-05T10:00:00.000Z' },
    };
    const outcome = issueLedgerDecider.decide({ type: 'IssueLedger', data: { year: 2026 } }, state, context);
    if (isRefusal(outcome) || outcome.length !== 1) throw new Error('expected one issue');
    return outcome[0];
  }

  it('the first issue bills each final line; pending lines are listed; it names every service on it (R-FEE-1, R-FEE-4, R-FEE-9)', () => {
    const first = issue(facts, []);
    const feed = new InMemoryFeed();
    feeds.push(feed);
    const [event] = feed.record(first);
    expect(event).toEqual({
      type: 'FeeLedgerIssued',
      version: 1,
      position: '1',
      occurredAt: expect.any(String),
      data: {
        year: 2026,
        issueNumber: 1,
        kind: 'initial',
        lines: [
          // laclasse: (300 + 0.06 × 522 250) × 1.02 = 31 635 × 1.02
          {
            lineId: `${ID}/laclasse/standard/2026-01-01`,
            conventionId: ID,
            communeInsee: LYON,
            communeName: 'Lyon',
            serviceId: 'laclasse',
            offerId: 'standard',
            inForceFrom: '2026-01-01',
            inForceUntil: '2026-12-31',
            amountDue: '32267.70',
          },
          // toodego partenaire: (5000 + 0.20 × 522 250) × 1.02 = 109 450 × 1.02
          {
            lineId: `${ID}/toodego/partenaire/2026-01-01`,
            conventionId: ID,
            communeInsee: LYON,
            communeName: 'Lyon',
            serviceId: 'toodego',
            offerId: 'partenaire',
            inForceFrom: '2026-01-01',
            inForceUntil: '2026-12-31',
            amountDue: '111639.00',
          },
        ],
        regularisations: [],
        pendingLines: [
          {
            lineId: `${VILLEURBANNE_CONVENTION_ID}/laclasse/standard/2026-01-01`,
            communeInsee: '69266',
            serviceId: 'laclasse',
            offerId: 'standard',
            pendingReason: 'population_missing',
          },
        ],
        totals: { byCommune: [{ communeInsee: LYON, communeName: 'Lyon', amount: '143906.70', entries: 2 }], grandTotal: '143906.70' },
      },
      services: ['laclasse', 'toodego'],
    });
  });

  it('a later issue carries only regularisations, a credit negative (R-FEE-6: 181 days of 365 after a stop on 2026-07-01)', () => {
    const first = issue(facts, []);
    const stop = serviceStopped({ serviceId: 'toodego', offerId: 'partenaire', effectiveOn: '2026-07-01' });
    const second = issue([...facts, stop], [first]);
    const feed = new InMemoryFeed();
    feeds.push(feed);
    const [, event] = feed.record(first, second);
    expect(event).toEqual({
      type: 'FeeLedgerIssued',
      version: 1,
      position: '2',
      occurredAt: expect.any(String),
      data: {
        year: 2026,
        issueNumber: 2,
        kind: 'regularisation',
        lines: [],
        regularisations: [
          {
            lineId: `${ID}/toodego/partenaire/2026-01-01`,
            conventionId: ID,
            communeInsee: LYON,
            communeName: 'Lyon',
            serviceId: 'toodego',
            offerId: 'partenaire',
            inForceFrom: '2026-01-01',
            inForceUntil: '2026-06-30',
            issuedAmount: '111639.00',
            // round2(111 639.00 × 181 / 365) = round2(55 360.7096…)
            currentAmount: '55360.71',
            difference: '-56278.29',
            reason: 'amount_changed',
          },
        ],
        pendingLines: [
          {
            lineId: `${VILLEURBANNE_CONVENTION_ID}/laclasse/standard/2026-01-01`,
            communeInsee: '69266',
            serviceId: 'laclasse',
            offerId: 'standard',
            pendingReason: 'population_missing',
          },
        ],
        totals: { byCommune: [{ communeInsee: LYON, communeName: 'Lyon', amount: '-56278.29', entries: 1 }], grandTotal: '-56278.29' },
      },
      // The pending line names laclasse too.
      services: ['laclasse', 'toodego'],
    });
  });

  it('an issue with a line that has no amount due is refused as broken, never billed 0.00', () => {
    const first = issue(facts, []);
    const broken = { ...first, data: { ...first.data, lines: [{ ...first.data.lines[0], amountDue: null }] } } as LedgerIssued;
    expect(() => new InMemoryFeed().record(broken)).toThrow();
  });
});

describe('feed: snapshots', () => {
  it('every Entitlement* event carries the whole access, so the last one per entitlementId is the consumer’s state', () => {
    const laclasse = annexAdded({ serviceId: 'laclasse', offerId: 'standard', effectiveFrom: '2026-02-01' });
    const feed = feedAfter(
      legacyConventionRecorded({ startDate: '2019-09-01' }),
      signed,
      toodego,
      laclasse,
      offerChanged({ offerId: 'connecte', effectiveFrom: '2026-05-01' }),
    );
    feed.record(serviceStopped({ serviceId: 'laclasse', offerId: 'standard', effectiveOn: '2026-06-01' }));
    const last = new Map<string, EntitlementSnapshot>();
    for (const event of feed.events)
      if (event.type.startsWith('Entitlement'))
        last.set((event.data as EntitlementSnapshot).entitlementId, event.data as EntitlementSnapshot);
    const view = [...last.values()]
      .map((s) => `${s.entitlementId} ${s.offers.map((o) => `${o.offerId} ${o.from}..${o.until}`).join(', ')}`)
      .sort();
    expect(view).toEqual([
      `convention/${ID}/laclasse/2026-02-01 standard 2026-02-01..2026-05-31`,
      `${TOODEGO} partenaire 2026-01-01..2026-04-30, connecte 2026-05-01..null`,
      `${LEGACY_TOODEGO} partenaire 2019-09-01..2025-12-31`,
    ]);
  });
});
