import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { CommuneCommandHandler, ExecuteCommuneCommand, ExecuteSyntecCommand, SyntecCommandHandler } from '@lib/application';
import { toDomainEvent } from '@lib/domain/domain-events';
import { issueLedger } from '@lib/application/ledgers';
import { CONVENTION_STREAM_PREFIX, ConventionEvent, ConventionState, evolveConvention, noConvention } from '@lib/domain/convention';
import { communeEntitlements } from '@lib/domain/entitlements';
import { COMMUNE_STREAM_PREFIX, CommuneEvent, CommuneState, emptyCommune, evolveCommune } from '@lib/domain/reference';
import { CalendarDate, addDays } from '@lib/domain/shared/calendar-date';
import { InMemoryEventStore } from '@lib/event-store/in-memory/in-memory-event-store';
import { RecordedEvent } from '@lib/event-store/event-store.port';
import { PgliteDatabase } from '@lib/event-store/sql/pglite-database';
import { feeLedgerProjection, readLedgerFacts } from '@lib/projections/fee-ledger';
import { LedgerIssued } from '@lib/domain/ledger';
import { ProjectionRunner } from '@lib/projections/runner/projection-runner';
import { tableNames } from '@lib/projections/runner/projection';
import { COMMAND_CONTEXT, CommandAction, commandAction, performAction, seedCatalogue } from './support/random-commands';
import { snapshotsOf } from '@lib/projections/feed/feed-derivation';
import { feedProjection } from '@lib/projections/feed/feed.projection';
import { EntitlementSnapshot, FeedEvent } from '@lib/projections/feed/integration-events';
import { invalidFeedEvents } from '@lib/projections/feed/testing/feed-schema-validation';

/**
 * The feed projection, run by the real runner on PGlite, for random command sequences over three
 * communes (one Corsican code) with ledger issues now and then:
 * - positions are 1..n, dense, each row's body at its own position;
 * - folding the Entitlement* events (last snapshot per entitlementId, withdrawn ones dropped) gives
 *   exactly the accesses the domain derives from the final facts, and folding ConventionStatusChanged
 *   gives each convention's final status;
 * - the sequence is well formed per access (granted before changed or ended, `previous` and `changes`
 *   saying what the last snapshot was) and each event names the services the claim filter uses;
 * - every LedgerIssued gives one FeeLedgerIssued, in order;
 * - a rebuild from scratch gives identical rows in every table (same positions, same bodies);
 * - every event fits its JSON Schema read closed.
 */
const COMMUNES = ['69001', '69002', '2A004'] as const;

type Action = CommandAction | { kind: 'population'; commune: string; population: number } | { kind: 'issue'; year: number };

const commune = fc.constantFrom(...COMMUNES);
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 10, arbitrary: commandAction(COMMUNES) },
  // A stop on the current offer's first day: withdraws an annex never in force, or cancels an offer change.
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('stop' as const),
      commune,
      service: fc.constantFrom('toodego', 'laclasse'),
      offset: fc.constant(0),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('population' as const), commune, population: fc.integer({ min: 100, max: 600_000 }) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('issue' as const), year: fc.constantFrom(2025, 2026, 2027) }) },
);

interface FeedRow {
  seq: number;
  type: string;
  version: number;
  services: string[] | null;
  body: string;
  source_commit: number;
  source_prepare: number;
}

describe('feed projection', () => {
  let db: PgliteDatabase;
  let run = 0;

  beforeAll(async () => {
    db = await PgliteDatabase.open();
  }, 60_000);

  afterAll(async () => {
    await db.close();
  });

  it('folds to the domain’s accesses and statuses, with dense positions, well-formed sequences, valid schemas, and a rebuild gives identical rows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 8, maxLength: 30 }), async (actions) => {
        run++;
        let now = Date.parse('2026-01-01T00:00:00Z');
        const store = new InMemoryEventStore(() => new Date((now += 1000)));
        await seedCatalogue(store);
        await recordSyntecValues(store);
        // Two communes' lines can be final from the start; the third's wait for a population (pending lines).
        await recordPopulation(store, '69001', 150_000);
        await recordPopulation(store, '2A004', 2_500);
        const [liveSuffix, copySuffix] = [`_live${run}`, `_again${run}`];
        const live = new ProjectionRunner({ db, store, projections: [feeLedgerProjection, feedProjection], suffix: liveSuffix });
        const rebuilt = new ProjectionRunner({ db, store, projections: [feedProjection], suffix: copySuffix });
        try {
          await live.start();
          for (const next of actions) {
            if (next.kind === 'issue') await issue(db, store, live, liveSuffix, next.year);
            else if (next.kind === 'population') await recordPopulation(store, next.commune, next.population);
            else await performAction(store, next, COMMUNES);
          }
          const head = await store.headPosition();
          expect(await live.waitForPosition(head, 30_000)).toBe(true);
          await rebuilt.start();
          expect(await rebuilt.waitForPosition(head, 30_000)).toBe(true);

          const rows = await feedRows(db, liveSuffix);
          // Rebuild: the same rows in every table, the positions included.
          expect(await feedRows(db, copySuffix)).toEqual(rows);
          expect(await live.compareWithCopy('feed', copySuffix)).toMatchObject({ samePosition: true, equal: true });

          // Positions 1..n, each body at its row's position.
          expect(rows.map((row) => row.seq)).toEqual(rows.map((_, i) => i + 1));
          const events = rows.map((row) => JSON.parse(row.body) as FeedEvent);
          expect(events.map((event) => event.position)).toEqual(rows.map((row) => String(row.seq)));
          expect(events.map((event) => `${event.type}/${event.version}`)).toEqual(rows.map((row) => `${row.type}/${row.version}`));
          expect(invalidFeedEvents(events)).toEqual([]);

          const recorded: RecordedEvent[] = [];
          for await (const event of store.readAll()) recorded.push(event);
          checkSequence(events, rows);
          expect(foldedAccesses(events)).toEqual(expectedAccesses(recorded));
          expect(foldedStatuses(events)).toEqual(expectedStatuses(recorded));
          // One FeeLedgerIssued per LedgerIssued, in order, at or after the instant it was recorded.
          const issues = recorded.filter((event) => event.type === 'LedgerIssued').map((event) => toDomainEvent<LedgerIssued>(event).data);
          expect(
            events.filter((event) => event.type === 'FeeLedgerIssued').map((event) => event.data as { year: number; issueNumber: number }),
          ).toEqual(issues.map(({ year, issueNumber }) => expect.objectContaining({ year, issueNumber })));
        } finally {
          await live.discard();
          await rebuilt.discard();
        }
      }),
      { numRuns: 60 },
    );
  }, 600_000);
});

async function feedRows(db: PgliteDatabase, suffix: string): Promise<FeedRow[]> {
  const { rows } = await db.query<FeedRow>(
    `SELECT seq, type, version, services, body, source_commit, source_prepare FROM ${tableNames(feedProjection, suffix).feed_events} ORDER BY seq`,
  );
  return rows.map((row) => ({
    ...row,
    seq: Number(row.seq),
    source_commit: Number(row.source_commit),
    source_prepare: Number(row.source_prepare),
  }));
}

/**
 * Per access, in feed order: Granted only for a new or withdrawn one; Changed and Ended only for one in
 * force, `previous` being its last snapshot and `changes` naming exactly the fields that differ;
 * Ended either withdrawn (no offers, the day before its start) or closing an open access.
 * Services: an entitlement event names its service, a status change none, a ledger issue its services.
 */
function checkSequence(events: readonly FeedEvent[], rows: readonly FeedRow[]): void {
  const last = new Map<string, EntitlementSnapshot & { withdrawn?: boolean }>();
  events.forEach((event, i) => {
    const services = rows[i].services;
    if (event.type === 'ConventionStatusChanged') {
      expect(services).toBeNull();
      return;
    }
    if (event.type === 'FeeLedgerIssued') {
      const named = [...event.data.lines, ...event.data.regularisations, ...event.data.pendingLines].map((line) => line.serviceId);
      expect(services).toEqual([...new Set(named)].sort());
      return;
    }
    const data = event.data;
    expect(services).toEqual([data.serviceId]);
    const before = last.get(data.entitlementId);
    const inForce = before !== undefined && !before.withdrawn;
    const where = `${event.position} ${event.type} ${data.entitlementId}`;
    if (event.type === 'EntitlementGranted') {
      expect({ where, inForce }).toEqual({ where, inForce: false });
      expect(data.offers.length).toBeGreaterThan(0);
    } else {
      expect({ where, inForce }).toEqual({ where, inForce: true });
    }
    if (event.type === 'EntitlementChanged') {
      const changed = event.data;
      expect(changed.previous).toEqual({ offerId: before!.offerId, from: before!.from, until: before!.until });
      expect(changed.changes.includes('from')).toBe(before!.from !== data.from);
      expect(changed.changes.includes('until')).toBe(before!.until !== data.until);
      if (changed.changes.includes('offer')) expect(data.offers).not.toEqual(before!.offers);
      expect(changed.changes.length).toBeGreaterThan(0);
    }
    if (event.type === 'EntitlementEnded') {
      const ended = event.data;
      if (ended.withdrawn)
        expect({ where, offers: ended.offers, until: ended.until }).toEqual({
          where,
          offers: [],
          until: addDays(ended.from as CalendarDate, -1),
        });
      else expect({ where, before: before!.until, offers: ended.offers.length > 0 }).toEqual({ where, before: null, offers: true });
    }
    last.set(data.entitlementId, data);
  });
}

/** What a consumer keeps: the last snapshot per access, without those withdrawn. */
function foldedAccesses(events: readonly FeedEvent[]): EntitlementSnapshot[] {
  const last = new Map<string, EntitlementSnapshot & { withdrawn?: boolean }>();
  for (const event of events)
    if (event.type.startsWith('Entitlement'))
      last.set((event.data as EntitlementSnapshot).entitlementId, event.data as EntitlementSnapshot);
  return [...last.values()]
    .filter((snapshot) => !snapshot.withdrawn)
    .map(({ entitlementId, communeInsee, serviceId, offerId, from, until, offers, source }) => ({
      entitlementId,
      communeInsee,
      serviceId,
      offerId,
      from,
      until,
      offers,
      source,
    }))
    .sort((a, b) => (a.entitlementId < b.entitlementId ? -1 : 1));
}

/** The direct fold: every stream folded with the domain's evolvers, then the pure derivation per commune. */
function foldStreams(events: readonly RecordedEvent[]): { conventions: Map<string, ConventionState>; communes: Map<string, CommuneState> } {
  const conventions = new Map<string, ConventionState>();
  const communes = new Map<string, CommuneState>();
  for (const event of events) {
    if (event.streamId.startsWith(CONVENTION_STREAM_PREFIX)) {
      conventions.set(
        event.streamId,
        evolveConvention(conventions.get(event.streamId) ?? noConvention(), toDomainEvent<ConventionEvent>(event)),
      );
    } else if (event.streamId.startsWith(COMMUNE_STREAM_PREFIX) && ['LegacyConventionRecorded', 'LegacyAccessEnded'].includes(event.type)) {
      communes.set(
        event.streamId.slice(COMMUNE_STREAM_PREFIX.length),
        evolveCommune(
          communes.get(event.streamId.slice(COMMUNE_STREAM_PREFIX.length)) ?? emptyCommune(),
          toDomainEvent<CommuneEvent>(event),
        ),
      );
    }
  }
  return { conventions, communes };
}

function expectedAccesses(events: readonly RecordedEvent[]): EntitlementSnapshot[] {
  const { conventions, communes } = foldStreams(events);
  const byStream = [...conventions.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, state]) => state);
  return COMMUNES.flatMap((insee) => [
    ...snapshotsOf(
      communeEntitlements(
        communes.get(insee) ?? emptyCommune(),
        byStream.filter((state) => state.status !== 'none' && state.communeInsee === insee),
      ),
    ).values(),
  ]).sort((a, b) => (a.entitlementId < b.entitlementId ? -1 : 1));
}

function foldedStatuses(events: readonly FeedEvent[]): Record<string, unknown> {
  const last: Record<string, unknown> = {};
  for (const event of events) {
    if (event.type !== 'ConventionStatusChanged') continue;
    const { conventionId, status, period, lastDay, endReason } = event.data;
    last[conventionId] = { status, period, lastDay, endReason };
  }
  return last;
}

function expectedStatuses(events: readonly RecordedEvent[]): Record<string, unknown> {
  const expected: Record<string, unknown> = {};
  for (const state of foldStreams(events).conventions.values()) {
    if (state.status === 'none') continue;
    const { number, start, end } = state.periods.at(-1)!;
    expected[state.conventionId] = {
      status: state.status,
      period: { number, start, end },
      lastDay: state.status === 'ended' ? state.end.lastDay : null,
      endReason: state.status === 'ended' ? state.end.reason : null,
    };
  }
  return expected;
}

/** S(2025), S(2026), S(2027) known: the ledgers' lines are final where a population is recorded. */
async function recordSyntecValues(store: InMemoryEventStore): Promise<void> {
  const handler = new SyntecCommandHandler(store);
  for (const [period, value, publishedOn] of [
    ['2024-10', '300.0', '2024-11-29'],
    ['2025-10', '306.0', '2025-11-28'],
    ['2026-10', '312.1', '2026-11-27'],
  ] as const) {
    await handler.execute(
      new ExecuteSyntecCommand(
        { type: 'RecordSyntecIndex', data: { period, value, publishedOn: publishedOn as CalendarDate } },
        { ...COMMAND_CONTEXT, commandId: randomUUID() },
      ),
    );
  }
}

async function recordPopulation(store: InMemoryEventStore, communeInsee: string, population: number): Promise<void> {
  const handler = new CommuneCommandHandler(store);
  await handler.execute(
    new ExecuteCommuneCommand(
      {
        type: 'RecordPopulation',
        data: { communeInsee, population, effectiveDate: '2024-01-01' as CalendarDate, source: 'INSEE (test)', reason: 'Correction' },
      },
      { ...COMMAND_CONTEXT, commandId: randomUUID() },
    ),
  );
}

/** Issues a year from the fee-ledger read model of the live runner, as the API does. */
async function issue(db: PgliteDatabase, store: InMemoryEventStore, live: ProjectionRunner, suffix: string, year: number): Promise<void> {
  await issueLedger({
    store,
    year,
    commandContext: { ...COMMAND_CONTEXT, commandId: randomUUID() },
    now: () => new Date('2026-06-01T00:00:00Z'),
    facts: {
      factsUpTo: async (factYear, position) => {
        if (!(await live.waitForPosition(position, 30_000))) throw new Error('fee ledger projection did not catch up');
        return readLedgerFacts(db, tableNames(feeLedgerProjection, suffix), { year: factYear, upTo: position });
      },
    },
  });
}
