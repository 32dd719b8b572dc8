import fc from 'fast-check';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { InMemoryEventStore } from '@lib/event-store/in-memory/in-memory-event-store';
import { EventStore, ReadStreamOptions } from '@lib/event-store/event-store.port';
import { CalendarDate } from '@lib/domain/shared/calendar-date';
import { describeWithPostgres, openTestDatabase } from '../../../test/support/postgres';
import { SeedCatalogueCommand, SeedCatalogueHandler } from './catalogue/catalogue-seeder';
import { CatalogueCommandHandler, ExecuteCatalogueCommand } from './catalogue.handlers';
import { CommandContext, systemCommandContext } from './command-context';
import { ConventionCommandHandler, ExecuteConventionCommand, SignConventionCommand, SignConventionHandler } from './convention.handlers';
import { CommandRefusedError } from './stream-command';
import { StreamFold } from './stream-fold';
import { commandIdFor } from './ids';

type Added = { type: 'Added'; schemaVersion: 1; data: { n: number } };
const sum = { initialState: () => 0, evolve: (total: number, event: Added) => total + event.data.n };

const append = (store: EventStore, n: number) =>
  store.appendToStream('counter', [{ id: crypto.randomUUID(), type: 'Added', schemaVersion: 1, data: { n }, metadata: {} }]);

/** The real store, each readStream call noted with its options. */
function noted(store: EventStore): { store: EventStore; reads: Array<ReadStreamOptions | undefined> } {
  const reads: Array<ReadStreamOptions | undefined> = [];
  const proxy = new Proxy(store, {
    get: (target, name, receiver) =>
      name === 'readStream'
        ? (streamId: string, options?: ReadStreamOptions) => (reads.push(options), target.readStream(streamId, options))
        : Reflect.get(target, name, receiver),
  });
  return { store: proxy, reads };
}

describe('StreamFold: a stream folded once, then extended with its tail (the catalogue, R-CAT-1)', () => {
  it('reads, after the first fold, only the events after the kept version', async () => {
    const memory = new InMemoryEventStore();
    const { store, reads } = noted(memory);
    const fold = new StreamFold(store, 'counter', sum);
    for (const n of [1, 2, 3]) await append(memory, n);
    expect(await fold.current()).toBe(6);
    await append(memory, 10);
    expect(await fold.current()).toBe(16);
    expect(await fold.current()).toBe(16);
    expect(reads.map((options) => options?.fromRevision)).toEqual([0, 3, 4]);
  });

  it('serves calls that arrive during a read with one next read, which sees what was committed before them', async () => {
    const memory = new InMemoryEventStore();
    const { store, reads } = noted(memory);
    const fold = new StreamFold(store, 'counter', sum);
    await append(memory, 1);
    const first = fold.current();
    await append(memory, 2); // committed after the first call, before the next ones
    const next = Array.from({ length: 20 }, () => fold.current());
    expect(await first).toBeGreaterThanOrEqual(1);
    expect(await Promise.all(next)).toEqual(Array.from({ length: 20 }, () => 3));
    expect(reads).toHaveLength(2);
  });

  it('never answers with less than every event appended before the call, nor with more than was appended (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.integer({ min: 1, max: 9 }).map((n) => ({ append: n })),
            fc.constant({ read: true as const }),
          ),
          {
            maxLength: 40,
          },
        ),
        async (steps) => {
          const store = new InMemoryEventStore();
          const fold = new StreamFold(store, 'counter', sum);
          let total = 0;
          const answers: Array<Promise<void>> = [];
          for (const step of steps) {
            if ('append' in step) {
              // Not awaited before the next step: appends and reads interleave.
              total += step.append;
              await append(store, step.append);
            } else {
              const atCall = total;
              answers.push(
                fold.current().then((seen) => {
                  expect(seen).toBeGreaterThanOrEqual(atCall);
                }),
              );
            }
          }
          await Promise.all(answers);
          expect(await fold.current()).toBe(total);
        },
      ),
    );
  });
});

const admin = (key?: string): CommandContext => {
  const commandId = commandIdFor('admin', key);
  return { actor: { id: 'admin', role: 'admin' }, commandId, correlationId: commandId, idempotent: key !== undefined };
};
const day = (text: string) => text as CalendarDate;

describeWithPostgres('The kept catalogue across two API processes on one PostgreSQL (R-CAT-3)', () => {
  it("decides a command on the catalogue as another process changed it just before, though this one's was kept", async () => {
    const database = await openTestDatabase('stream_fold');
    const otherDb = await database.connectAgain(2);
    try {
      const here = await PostgresEventStore.create(database.db, { channel: database.channel });
      const there = await PostgresEventStore.create(otherDb, { channel: database.channel });
      await new SeedCatalogueHandler(here).execute(new SeedCatalogueCommand(systemCommandContext('first start', 'CP-2025-4074')));
      await new SignConventionHandler(here).execute(
        new SignConventionCommand(
          { communeInsee: '69123', communeName: 'Lyon', signedOn: day('2025-12-15'), effectiveFrom: day('2026-01-01') },
          admin(),
        ),
      );
      const addAbonne = () =>
        new ConventionCommandHandler(here).execute(
          new ExecuteConventionCommand(
            {
              type: 'AddAnnex',
              data: { conventionId: '69123-1', serviceId: 'toodego', offerId: 'abonne', effectiveFrom: day('2026-10-01') },
            },
            admin(),
          ),
        );
      // The offer is not open: refused on the catalogue this process keeps.
      await expect(addAbonne()).rejects.toBeInstanceOf(CommandRefusedError);
      await new CatalogueCommandHandler(there).execute(
        new ExecuteCatalogueCommand(
          {
            type: 'OpenOffer',
            data: { serviceId: 'toodego', offerId: 'abonne', openedOn: day('2026-09-01'), legalReference: 'CP-2026-0500' },
          },
          admin(),
        ),
      );
      const added = await addAbonne();
      expect(added.recorded.map((event) => event.type)).toEqual(['AnnexAdded']);
    } finally {
      await otherDb.close();
      await database.drop();
    }
  });
});
