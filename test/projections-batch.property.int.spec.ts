import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { CommuneCommandHandler, ExecuteCommuneCommand } from '@lib/application';
import { CalendarDate } from '@lib/domain/shared/calendar-date';
import { InMemoryEventStore } from '@lib/event-store/in-memory/in-memory-event-store';
import { RecordedEvent } from '@lib/event-store/event-store.port';
import { PgliteDatabase } from '@lib/event-store/sql/pglite-database';
import { PROJECTIONS } from '@lib/projections/registry';
import { Projection, tableNames, toProjectedEvent } from '@lib/projections/runner/projection';
import { ProjectionRunner } from '@lib/projections/runner/projection-runner';
import { compareWithCopy } from '@lib/projections/runner/shadow-copy';
import { COMMAND_CONTEXT, commandAction, performAction, seedCatalogue } from './support/random-commands';

/**
 * For random sequences of commands, every projection of the registry:
 * - built in batches cut at random places (applyBatch on each cut, one transaction each) has the same
 *   tables, row for row, as built event by event (applyBatch on each event alone);
 * - rebuilt from the log by a runner (one read, batches as large as the runner makes them) has the same
 *   tables as built live by another runner while the commands ran (events as they came).
 * Tables are compared by shadow-copy.ts's checksums (row counts and md5 of the rows, whatever their order).
 */
const COMMUNES = ['69001', '69002', '2A004'] as const;
const action = commandAction(COMMUNES);

describe('projections in batches (every projection of the registry)', () => {
  let db: PgliteDatabase;
  let run = 0;

  beforeAll(async () => {
    db = await PgliteDatabase.open();
  }, 60_000);

  afterAll(async () => {
    await db.close();
  });

  it('built in random batches equals built event by event; rebuilt equals built live', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { minLength: 8, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 8 }),
        async (actions, cuts) => {
          run++;
          let now = Date.parse('2026-01-01T00:00:00Z');
          const store = new InMemoryEventStore(() => new Date((now += 1000)));
          await seedCatalogue(store);
          await recordPopulation(store, '69001', 150_000);
          const [liveSuffix, rebuiltSuffix] = [`_live${run}`, `_again${run}`];
          const live = new ProjectionRunner({ db, store, projections: [...PROJECTIONS], suffix: liveSuffix, logger: quiet });
          const rebuilt = new ProjectionRunner({ db, store, projections: [...PROJECTIONS], suffix: rebuiltSuffix, logger: quiet });
          try {
            await live.start();
            for (const next of actions) await performAction(store, next, COMMUNES);
            await recordPopulation(store, '69002', 2_500);
            const head = await store.headPosition();
            expect(await live.waitForPosition(head, 30_000)).toBe(true);
            await rebuilt.rebuild(PROJECTIONS.map((projection) => projection.name));
            for (const projection of PROJECTIONS) {
              const comparison = await live.compareWithCopy(projection.name, rebuiltSuffix);
              expect({ projection: projection.name, ...comparison }).toMatchObject({
                projection: projection.name,
                samePosition: true,
                equal: true,
              });
            }

            const events: RecordedEvent[] = [];
            for await (const event of store.readAll()) events.push(event);
            for (const projection of PROJECTIONS) {
              const [one, cut] = [`_one${run}`, `_cut${run}`];
              await build(db, projection, one, events, () => 1);
              let i = 0;
              await build(db, projection, cut, events, () => cuts[i++ % cuts.length]);
              const comparison = await compareWithCopy(
                db,
                projection,
                { key: `none${one}`, tables: tableNames(projection, one) },
                { key: `none${cut}`, tables: tableNames(projection, cut) },
              );
              expect({ projection: projection.name, cuts, ...comparison }).toMatchObject({ projection: projection.name, equal: true });
              await drop(db, projection, one);
              await drop(db, projection, cut);
            }
          } finally {
            await live.discard();
            await rebuilt.discard();
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 600_000);
});

const quiet = { log: () => undefined, error: () => undefined };

/** The projection's tables under `suffix`, built from the events cut into consecutive batches of `nextCut()` events. */
async function build(db: PgliteDatabase, projection: Projection, suffix: string, events: readonly RecordedEvent[], nextCut: () => number) {
  const tables = tableNames(projection, suffix);
  await db.transaction((tx) => projection.setup(tx, tables));
  const handles = projection.handles ? new Set(projection.handles) : undefined;
  for (let start = 0; start < events.length;) {
    const end = start + nextCut();
    const batch = events
      .slice(start, end)
      .filter((event) => !handles || handles.has(event.type))
      .map(toProjectedEvent);
    start = end;
    if (batch.length > 0) await db.transaction((tx) => projection.applyBatch!(batch, tx, tables));
  }
}

async function drop(db: PgliteDatabase, projection: Projection, suffix: string) {
  for (const table of Object.values(tableNames(projection, suffix))) await db.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
}

async function recordPopulation(store: InMemoryEventStore, communeInsee: string, population: number): Promise<void> {
  await new CommuneCommandHandler(store).execute(
    new ExecuteCommuneCommand(
      {
        type: 'RecordPopulation',
        data: { communeInsee, population, effectiveDate: '2024-01-01' as CalendarDate, source: 'INSEE (test)', reason: 'Correction' },
      },
      { ...COMMAND_CONTEXT, commandId: randomUUID() },
    ),
  );
}
