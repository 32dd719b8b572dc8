import { CATALOGUE_STREAM, emptyCatalogue, initialCatalogueEvents } from '@lib/domain/catalogue';
import { CalendarDate } from '@lib/domain/shared/calendar-date';
import { InMemoryEventStore } from '@lib/event-store/in-memory/in-memory-event-store';
import { RecordedEvent } from '@lib/event-store/event-store.port';
import { SeedCatalogueCommand, SeedCatalogueHandler } from './catalogue/catalogue-seeder';
import { CommandContext, systemCommandContext } from './command-context';
import { ConventionCommandHandler, ExecuteConventionCommand, SignConventionCommand, SignConventionHandler } from './convention.handlers';
import { CommandRefusedError, StaleVersionError } from './stream-command';
import { commandIdFor } from './ids';

async function all(store: InMemoryEventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
}

const seed = (store: InMemoryEventStore) =>
  new SeedCatalogueHandler(store).execute(new SeedCatalogueCommand(systemCommandContext('first start', 'CP-2025-4074')));

const day = (text: string) => text as CalendarDate;
const lyon: SignConventionCommand['data'] = {
  communeInsee: '69123',
  communeName: 'Lyon',
  signedOn: day('2025-12-15'),
  effectiveFrom: day('2026-01-01'),
};
const admin = (key?: string): CommandContext => {
  const commandId = commandIdFor('admin', key);
  return { actor: { id: 'admin', role: 'admin' }, commandId, correlationId: commandId, idempotent: key !== undefined };
};

describe('Seeding the catalogue through its command (R-CAT-2)', () => {
  it('records it once when two instances start at once, and nothing on a later start', async () => {
    const store = new InMemoryEventStore();
    const [first, second] = await Promise.all([seed(store), seed(store)]);
    const expected = initialCatalogueEvents(emptyCatalogue()).length;
    expect(first.recorded.length + second.recorded.length).toBe(expected);
    expect((await seed(store)).recorded).toEqual([]);
    expect((await all(store)).filter((event) => event.streamId === CATALOGUE_STREAM)).toHaveLength(expected);
  });
});

describe('SignConventionHandler numbers the new convention (R-CONV-1)', () => {
  it('takes the next number of the commune, and a retried signature (same Idempotency-Key) answers its own convention, recording nothing', async () => {
    const store = new InMemoryEventStore();
    await seed(store);
    const handler = new SignConventionHandler(store);
    const first = await handler.execute(new SignConventionCommand(lyon, admin('sign-1')));
    expect(first.conventionId).toBe('69123-1');
    const before = await all(store);
    const retried = await handler.execute(new SignConventionCommand(lyon, admin('sign-1')));
    expect(retried).toMatchObject({ conventionId: '69123-1', version: first.version });
    expect(await all(store)).toEqual(before);
  });

  it("reads each of the commune's conventions once: for the number and for R-CONV-1 alike", async () => {
    const store = new InMemoryEventStore();
    await seed(store);
    await new SignConventionHandler(store).execute(new SignConventionCommand(lyon, admin()));
    await new ConventionCommandHandler(store).execute(
      new ExecuteConventionCommand(
        { type: 'TerminateConvention', data: { conventionId: '69123-1', effectiveOn: day('2026-06-30'), by: 'commune', reason: 'test' } },
        admin(),
      ),
    );
    const reads: string[] = [];
    // The real store, its reads noted.
    const counted = new Proxy(store, {
      get: (target, name, receiver) =>
        name === 'readStream'
          ? (streamId: string, options?: object) => (reads.push(streamId), target.readStream(streamId, options))
          : Reflect.get(target, name, receiver),
    });
    const second = await new SignConventionHandler(counted).execute(
      new SignConventionCommand({ ...lyon, signedOn: day('2026-07-01'), effectiveFrom: day('2026-07-01') }, admin()),
    );
    expect(second.conventionId).toBe('69123-2');
    expect(reads.filter((streamId) => streamId === 'convention-69123-1')).toHaveLength(1);
  });

  it('lets one of two simultaneous signatures for a commune win; the other records nothing', async () => {
    const store = new InMemoryEventStore();
    await seed(store);
    const handler = new SignConventionHandler(store);
    const outcomes = await Promise.allSettled([
      handler.execute(new SignConventionCommand(lyon, admin())),
      handler.execute(new SignConventionCommand(lyon, admin())),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const [lost] = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    // Same number taken (the append expecting no stream fails), or the other one seen (R-CONV-1 refuses).
    expect(lost.reason instanceof StaleVersionError || lost.reason instanceof CommandRefusedError).toBe(true);
    expect((await all(store)).filter((event) => event.type === 'ConventionSigned')).toHaveLength(1);
  });
});

describe('If-Match on a convention command (API.md: a stale version is 409, nothing recorded)', () => {
  const terminate = (key?: string) =>
    ({
      type: 'TerminateConvention',
      data: { conventionId: '69123-1', effectiveOn: day('2026-06-30'), by: 'commune', reason: key ?? 'test' },
    }) as const;

  it('names the version sent and the one another command reached between our read and our append, in the ETag terms', async () => {
    const store = new InMemoryEventStore();
    await seed(store);
    const signed = await new SignConventionHandler(store).execute(new SignConventionCommand(lyon, admin()));
    // Another writer appends to the stream after the command read it and before it appends.
    let raced = false;
    const racing = new Proxy(store, {
      get: (target, name, receiver) =>
        name === 'appendToStream'
          ? async (...args: Parameters<InMemoryEventStore['appendToStream']>) => {
              if (!raced) {
                raced = true;
                await new ConventionCommandHandler(target).execute(new ExecuteConventionCommand(terminate('the other'), admin()));
              }
              return target.appendToStream(...args);
            }
          : Reflect.get(target, name, receiver),
    });
    const attempt = new ConventionCommandHandler(racing).execute(new ExecuteConventionCommand(terminate(), admin(), signed.version));
    await expect(attempt).rejects.toBeInstanceOf(StaleVersionError);
    await expect(attempt).rejects.toMatchObject({ ifMatch: signed.version, current: signed.version + 1 });
    expect((await all(store)).filter((event) => event.streamId === 'convention-69123-1')).toHaveLength(signed.version + 1);
  });
});
