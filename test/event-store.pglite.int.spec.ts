import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createPgliteEventStore } from '@lib/event-store/pglite/create-pglite-event-store';
import { eventStoreContract } from './event-store.contract';

eventStoreContract('PGlite (in memory)', async () => {
  const { store, db } = await createPgliteEventStore();
  return {
    store,
    teardown: async () => {
      await store.close();
      await db.close();
    },
  };
});

describe('PGlite event store in a data directory', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'event-store-pglite-'));
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps its events across a close and a reopen, and goes on appending after them', async () => {
    const first = await createPgliteEventStore(dataDir);
    const recorded = {
      id: randomUUID(),
      type: 'ConventionSigned',
      schemaVersion: 1,
      data: { communeInsee: '69123' },
      metadata: { reason: 'test' },
    };
    const appended = await first.store.appendToStream('convention-1', [recorded], { expectedRevision: 'no_stream' });
    await first.store.close();
    await first.db.close();

    const reopened = await createPgliteEventStore(dataDir);
    try {
      const read = [];
      for await (const event of reopened.store.readAll()) read.push(event);
      expect(read).toEqual([expect.objectContaining({ ...recorded, streamId: 'convention-1', revision: 0, position: appended.position })]);
      // The reopened store knows the stream: the migrations ran again harmlessly and revisions continue.
      const next = await reopened.store.appendToStream('convention-1', [{ ...recorded, id: randomUUID() }], { expectedRevision: 0 });
      expect(next.nextExpectedRevision).toBe(1);
    } finally {
      await reopened.store.close();
      await reopened.db.close();
    }
  }, 60_000);
});
