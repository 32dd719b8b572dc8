import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import {
  CommandContext,
  CommandRefusedError,
  CommuneCommandHandler,
  ConventionCommandHandler,
  ExecuteCommuneCommand,
  ExecuteConventionCommand,
  loadCommuneConventions,
  toDomainEvent,
} from '@lib/application';
import { CATALOGUE_STREAM, initialCatalogueEvents, emptyCatalogue } from '@lib/domain/catalogue';
import { CONVENTION_STREAM_PREFIX, ConventionCommand, ConventionEvent, ConventionState, evolveConvention, noConvention } from '@lib/domain/convention';
import { Entitlement, communeEntitlements, compareEntitlements, inForceOn } from '@lib/domain/entitlements';
import { COMMUNE_STREAM_PREFIX, CommuneCommand, CommuneEvent, CommuneState, emptyCommune, evolveCommune } from '@lib/domain/reference';
import { CalendarDate, addDays } from '@lib/domain/shared/calendar-date';
import { InMemoryEventStore } from '@lib/event-store/in-memory/in-memory-event-store';
import { RecordedEvent } from '@lib/event-store/event-store.port';
import { PgliteDatabase } from '@lib/event-store/sql/pglite-database';
import { ProjectionRunner } from '../runner/projection-runner';
import { tableNames } from '../runner/projection';
import { entitlementsProjection } from './entitlements.projection';
import { EntitlementQuery, readEntitlements } from './entitlements.read';

/**
 * For random sequences of commands (those the deciders accept are recorded, the others refused as in
 * production): the entitlements projection built live, while the commands run, equals the one rebuilt
 * from scratch afterwards, and both equal a direct fold of the events with the domain's pure function,
 * on both time axes (every instant an event was recorded at, every interval and sampled days).
 */
const COMMUNES = ['69001', '69002'] as const;
const BASE = '2025-06-01' as CalendarDate;
const context: CommandContext = { actor: { id: 'property', role: 'admin' }, commandId: 'c', correlationId: 'c', idempotent: false };

const commune = fc.constantFrom(...COMMUNES);
const service = fc.constantFrom('toodego', 'laclasse');
/** abonne is not open (R-CAT-3): drawn now and then, to be refused. */
const offerOf = (serviceId: string, pick: number) => (serviceId === 'laclasse' ? 'standard' : ['partenaire', 'connecte', 'partenaire', 'connecte', 'abonne'][pick % 5]);
const offset = (max: number) => fc.integer({ min: 0, max });

type Action =
  | { kind: 'legacy'; commune: string; service: string; pick: number; start: number | null }
  | { kind: 'sign'; commune: string; signed: number; effective: number; annexes: Array<{ service: string; pick: number; offset: number }> }
  | { kind: 'annex'; commune: string; service: string; pick: number; offset: number }
  | { kind: 'stop'; commune: string; service: string; offset: number }
  | { kind: 'change'; commune: string; service: string; pick: number; offset: number }
  | { kind: 'nonRenewal'; commune: string; offset: number }
  | { kind: 'terminate'; commune: string; offset: number }
  | { kind: 'lifecycle'; asOf: number };

/** Weighted towards what a convention's life is made of; dates are drawn relative to the state (perform). */
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('legacy' as const), commune, service, pick: offset(4), start: fc.option(offset(300)) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('sign' as const),
      commune,
      signed: offset(400),
      effective: fc.integer({ min: -60, max: 90 }),
      annexes: fc.array(fc.record({ service, pick: offset(4), offset: offset(60) }), { maxLength: 2 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('annex' as const), commune, service, pick: offset(4), offset: offset(120) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('stop' as const), commune, service, offset: offset(200) }) },
  // Only toodego has several offers.
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('change' as const), commune, service: fc.constant('toodego'), pick: offset(4), offset: offset(200) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nonRenewal' as const), commune, offset: offset(400) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('terminate' as const), commune, offset: offset(200) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lifecycle' as const), asOf: offset(1500) }) },
);

describe('entitlements projection (R-TIME-1, R-TIME-3, R-ANX-*, R-CONV-6/7, R-LEG-*)', () => {
  let db: PgliteDatabase;
  let run = 0;

  beforeAll(async () => {
    db = await PgliteDatabase.open();
  }, 60_000);

  afterAll(async () => {
    await db.close();
  });

  it('built live equals rebuilt from scratch equals a direct fold of the events, on both axes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 8, maxLength: 30 }), fc.array(offset(2500), { minLength: 3, maxLength: 3 }), async (actions, days) => {
        run++;
        let now = Date.parse('2026-01-01T00:00:00Z');
        const store = new InMemoryEventStore(() => new Date((now += 1000)));
        const catalogue = initialCatalogueEvents(emptyCatalogue());
        await store.appendToStream(CATALOGUE_STREAM, catalogue.map((event) => ({ id: randomUUID(), type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata: {} })));
        const live = new ProjectionRunner({ db, store, projections: [entitlementsProjection], suffix: `_live${run}` });
        const rebuilt = new ProjectionRunner({ db, store, projections: [entitlementsProjection], suffix: `_again${run}` });
        try {
          await live.start();
          for (const next of actions) await perform(store, next);
          const head = await store.headPosition();
          expect(await live.waitForPosition(head, 30_000)).toBe(true);
          await rebuilt.start();
          expect(await rebuilt.waitForPosition(head, 30_000)).toBe(true);

          const events: RecordedEvent[] = [];
          for await (const event of store.readAll()) events.push(event);
          const instants = [...new Set(events.map((event) => event.recordedAt))];
          const onDays = days.map((n) => addDays(BASE, n));
          const read = (suffix: string, query: EntitlementQuery) => readEntitlements(db, tableNames(entitlementsProjection, suffix), query);
          for (const knownAt of [undefined, '2025-01-01T00:00:00.000Z', ...instants]) {
            const folded = foldEntitlements(knownAt === undefined ? events : events.filter((event) => event.recordedAt <= knownAt));
            for (const on of [undefined, ...onDays]) {
              const expected = on === undefined ? folded : inForceOn(folded, on);
              // R-ANX-2, R-CONV-1: on any day, at most one convention access per commune and service.
              const fromConventions = expected.filter((e) => on !== undefined && e.source.kind === 'convention').map((e) => `${e.communeInsee}/${e.serviceId}`);
              expect(new Set(fromConventions).size).toBe(fromConventions.length);
              const query = { ...(knownAt ? { knownAt } : {}), ...(on ? { on } : {}) };
              expect({ knownAt, on, live: await read(`_live${run}`, query) }).toEqual({ knownAt, on, live: expected });
              expect({ knownAt, on, rebuilt: await read(`_again${run}`, query) }).toEqual({ knownAt, on, rebuilt: expected });
            }
          }
        } finally {
          await live.discard();
          await rebuilt.discard();
        }
      }),
      { numRuns: 80 },
    );
  }, 300_000);
});

/** The direct fold: every stream folded with the domain's evolvers, then the pure derivation per commune. */
function foldEntitlements(events: readonly RecordedEvent[]): Entitlement[] {
  const conventions = new Map<string, ConventionState>();
  const communes = new Map<string, CommuneState>();
  for (const event of events) {
    const domainEvent = toDomainEvent(event);
    if (event.streamId.startsWith(CONVENTION_STREAM_PREFIX)) {
      conventions.set(event.streamId, evolveConvention(conventions.get(event.streamId) ?? noConvention(), domainEvent as ConventionEvent));
    } else if (event.streamId.startsWith(COMMUNE_STREAM_PREFIX) && ['LegacyConventionRecorded', 'LegacyAccessEnded'].includes(event.type)) {
      communes.set(event.streamId, evolveCommune(communes.get(event.streamId) ?? emptyCommune(), domainEvent as CommuneEvent));
    }
  }
  const insees = new Set([...[...communes.keys()].map((id) => id.slice(COMMUNE_STREAM_PREFIX.length)), ...[...conventions.values()].flatMap((s) => (s.status === 'none' ? [] : [s.communeInsee]))]);
  return [...insees]
    .flatMap((insee) =>
      communeEntitlements(
        communes.get(`${COMMUNE_STREAM_PREFIX}${insee}`) ?? emptyCommune(),
        [...conventions.values()].filter((state) => state.status !== 'none' && state.communeInsee === insee),
      ),
    )
    .sort(compareEntitlements);
}

/** Sends one command through the application's handlers; a refusal records nothing, as in production. */
async function perform(store: InMemoryEventStore, next: Action): Promise<void> {
  const conventionHandler = new ConventionCommandHandler(store);
  const communeHandler = new CommuneCommandHandler(store);
  const convention = (command: ConventionCommand) => conventionHandler.execute(new ExecuteConventionCommand(command, { ...context, commandId: randomUUID() }));
  const communeCommand = (command: CommuneCommand) => communeHandler.execute(new ExecuteCommuneCommand(command, { ...context, commandId: randomUUID() }));
  try {
    if (next.kind === 'lifecycle') {
      const asOf = addDays(BASE, next.asOf);
      for (const insee of COMMUNES) {
        for (const state of (await loadCommuneConventions(store, insee)).states)
          if (state.status !== 'none') await convention({ type: 'RunLifecycle', data: { conventionId: state.conventionId, asOf } });
        await communeCommand({ type: 'RunLegacyTransition', data: { communeInsee: insee, asOf } });
      }
      return;
    }
    if (next.kind === 'legacy') {
      await communeCommand({
        type: 'RecordLegacyConvention',
        data: {
          communeInsee: next.commune,
          communeName: `Commune ${next.commune}`,
          serviceId: next.service,
          offerId: offerOf(next.service, next.pick),
          year: 2025,
          annualContribution: '1000.00',
          startDate: next.start === null ? null : addDays('2019-01-01' as CalendarDate, next.start * 5),
          reason: 'Correction',
        },
      });
      return;
    }
    const conventions = await loadCommuneConventions(store, next.commune);
    if (next.kind === 'sign') {
      const signedOn = addDays(BASE, next.signed);
      const effectiveFrom = addDays(signedOn, next.effective);
      await convention({
        type: 'SignConvention',
        data: {
          conventionId: conventions.nextConventionId,
          communeInsee: next.commune,
          communeName: `Commune ${next.commune}`,
          signedOn,
          effectiveFrom,
          annexes: next.annexes.map((annex) => ({ serviceId: annex.service, offerId: offerOf(annex.service, annex.pick), effectiveFrom: addDays(effectiveFrom, annex.offset) })),
        },
      });
      return;
    }
    const latest = conventions.states.at(-1);
    if (!latest || latest.status === 'none') return;
    const conventionId = latest.conventionId;
    const annexes = 'service' in next ? latest.annexes.filter((annex) => annex.serviceId === next.service) : [];
    const running = annexes.find((annex) => annex.until === null);
    const currentOffer = running?.offers.at(-1);
    const period = latest.periods.at(-1)!;
    switch (next.kind) {
      case 'annex': {
        // After the service's last annex period, if it has one.
        const ended = annexes.map((annex) => annex.until).filter((until): until is CalendarDate => until !== null).sort().at(-1);
        const from = ended && ended >= latest.effectiveFrom ? addDays(ended, 1) : latest.effectiveFrom;
        await convention({ type: 'AddAnnex', data: { conventionId, serviceId: next.service, offerId: offerOf(next.service, next.pick), effectiveFrom: addDays(from, next.offset) } });
        break;
      }
      case 'stop':
        await convention({ type: 'StopService', data: { conventionId, serviceId: next.service, effectiveOn: addDays(currentOffer?.from ?? latest.effectiveFrom, next.offset), reason: 'stop' } });
        break;
      case 'change': {
        // Another offer than the current one, now and then one that is not open.
        const offerId = next.pick === 4 ? 'abonne' : currentOffer?.offerId === 'partenaire' ? 'connecte' : 'partenaire';
        await convention({ type: 'ChangeOffer', data: { conventionId, serviceId: next.service, offerId, effectiveFrom: addDays(currentOffer?.from ?? latest.effectiveFrom, 1 + next.offset) } });
        break;
      }
      case 'nonRenewal':
        await convention({ type: 'NotifyNonRenewal', data: { conventionId, notifiedOn: addDays(period.start, next.offset), by: 'commune', reason: 'notice' } });
        break;
      case 'terminate':
        await convention({ type: 'TerminateConvention', data: { conventionId, effectiveOn: addDays(latest.latestEffectiveDate, next.offset), by: 'metropole', reason: 'end' } });
        break;
    }
  } catch (error) {
    if (!(error instanceof CommandRefusedError)) throw error;
  }
}
