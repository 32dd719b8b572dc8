import fc from 'fast-check';
import { toDomainEvent } from '@lib/domain/domain-events';
import { CONVENTION_STREAM_PREFIX, ConventionEvent, ConventionState, evolveConvention, noConvention } from '@lib/domain/convention';
import { Entitlement, communeEntitlements, compareEntitlements, inForceOn } from '@lib/domain/entitlements';
import { COMMUNE_STREAM_PREFIX, CommuneEvent, CommuneState, emptyCommune, evolveCommune } from '@lib/domain/reference';
import { addDays } from '@lib/domain/shared/calendar-date';
import { InMemoryEventStore } from '@lib/event-store/in-memory/in-memory-event-store';
import { RecordedEvent } from '@lib/event-store/event-store.port';
import { PgliteDatabase } from '@lib/event-store/sql/pglite-database';
import { ProjectionRunner } from '@lib/projections/runner/projection-runner';
import { tableNames } from '@lib/projections/runner/projection';
import { COMMAND_BASE, commandAction, performAction, seedCatalogue } from './support/random-commands';
import { entitlementsProjection } from '@lib/projections/entitlements/entitlements.projection';
import { EntitlementQuery, readEntitlements } from '@lib/projections/entitlements/entitlements.read';

/**
 * For random sequences of commands (those the deciders accept are recorded, the others refused as in
 * production): the entitlements projection built live, while the commands run, equals the one rebuilt
 * from scratch afterwards, and both equal a direct fold of the events with the domain's pure function,
 * on both time axes (every instant an event was recorded at, every interval and sampled days).
 */
const COMMUNES = ['69001', '69002'] as const;
const action = commandAction(COMMUNES);
const offset = (max: number) => fc.integer({ min: 0, max });

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
      fc.asyncProperty(
        fc.array(action, { minLength: 8, maxLength: 30 }),
        fc.array(offset(2500), { minLength: 3, maxLength: 3 }),
        async (actions, days) => {
          run++;
          let now = Date.parse('2026-01-01T00:00:00Z');
          const store = new InMemoryEventStore(() => new Date((now += 1000)));
          await seedCatalogue(store);
          const live = new ProjectionRunner({ db, store, projections: [entitlementsProjection], suffix: `_live${run}` });
          const rebuilt = new ProjectionRunner({ db, store, projections: [entitlementsProjection], suffix: `_again${run}` });
          try {
            await live.start();
            for (const next of actions) await performAction(store, next, COMMUNES);
            const head = await store.headPosition();
            expect(await live.waitForPosition(head, 30_000)).toBe(true);
            await rebuilt.start();
            expect(await rebuilt.waitForPosition(head, 30_000)).toBe(true);

            const events: RecordedEvent[] = [];
            for await (const event of store.readAll()) events.push(event);
            const instants = [...new Set(events.map((event) => event.recordedAt))];
            const onDays = days.map((n) => addDays(COMMAND_BASE, n));
            const read = (suffix: string, query: EntitlementQuery) =>
              readEntitlements(db, tableNames(entitlementsProjection, suffix), query);
            for (const knownAt of [undefined, '2025-01-01T00:00:00.000Z', ...instants]) {
              const folded = foldEntitlements(knownAt === undefined ? events : events.filter((event) => event.recordedAt <= knownAt));
              for (const on of [undefined, ...onDays]) {
                const expected = on === undefined ? folded : inForceOn(folded, on);
                // R-ANX-2, R-CONV-1: on any day, at most one convention access per commune and service.
                const fromConventions = expected
                  .filter((e) => on !== undefined && e.source.kind === 'convention')
                  .map((e) => `${e.communeInsee}/${e.serviceId}`);
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
        },
      ),
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
  const insees = new Set([
    ...[...communes.keys()].map((id) => id.slice(COMMUNE_STREAM_PREFIX.length)),
    ...[...conventions.values()].flatMap((s) => (s.status === 'none' ? [] : [s.communeInsee])),
  ]);
  return [...insees]
    .flatMap((insee) =>
      communeEntitlements(
        communes.get(`${COMMUNE_STREAM_PREFIX}${insee}`) ?? emptyCommune(),
        [...conventions.values()].filter((state) => state.status !== 'none' && state.communeInsee === insee),
      ),
    )
    .sort(compareEntitlements);
}
