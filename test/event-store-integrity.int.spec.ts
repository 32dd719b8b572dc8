import { createHash, randomUUID } from 'node:crypto';
import { EventToAppend, Position, RecordedEvent, comparePositions } from '@lib/event-store/event-store.port';
import { ChainLink, ChainedEventStore, eventHash, verifyChain, verifyStoredChain } from '@lib/event-store/integrity/event-hash';
import { InMemoryEventStore } from '@lib/event-store/in-memory/in-memory-event-store';
import { createPgliteEventStore } from '@lib/event-store/pglite/create-pglite-event-store';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { EVENT_STORE_MIGRATIONS, migrate } from '@lib/event-store/postgres/migrations';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { describeWithPostgres, openTestDatabase } from './support/postgres';

type Store = ChainedEventStore & {
  appendToStream: PostgresEventStore['appendToStream'];
  headPosition(): Promise<Position>;
  /** Stores that seal after the append (chain-sealer.ts). */
  seal?(): Promise<void>;
};

interface Opened {
  store: Store;
  /** The database under the store, to alter rows around it; undefined in memory. */
  db?: SqlDatabase;
  close: () => Promise<void>;
}

const event = (
  data: unknown = { n: 1 },
  metadata: EventToAppend['metadata'] = { actor: { id: 'alice', role: 'admin' }, reason: 'test' },
): EventToAppend => ({
  id: randomUUID(),
  type: 'AnnexAdded',
  schemaVersion: 1,
  data,
  metadata,
});

async function chainOf(store: ChainedEventStore): Promise<ChainLink[]> {
  const links: ChainLink[] = [];
  for await (const link of store.readChain()) links.push(link);
  return links;
}

/** The event at `position` readable, and sealed where the store seals after the append. */
async function visible(store: Store, position: Position): Promise<void> {
  while (comparePositions(await store.headPosition(), position) < 0) await new Promise((resolve) => setTimeout(resolve, 20));
  await store.seal?.();
}

/** The integrity chain of R-AUD-1, for every store that keeps it. */
function integrityChainSuite(name: string, open: () => Promise<Opened>): void {
  describe(`integrity chain: ${name}`, () => {
    jest.setTimeout(90_000);

    it('hashes each event over its content and the previous hash, by the recipe of docs/audit.md', async () => {
      const { store, close } = await open();
      try {
        const first = {
          ...event({ serviceId: 'toodego', effectiveFrom: '2026-01-01' }, { reason: 'signed', actor: { role: 'admin', id: 'alice' } }),
          id: randomUUID().toUpperCase(),
        };
        const second = event({ b: [1, 'x', null], a: { d: true, c: 2.5 } }, {});
        await store.appendToStream('convention-69123-1', [first]);
        const { position } = await store.appendToStream('convention-69123-1', [second]);
        await visible(store, position);
        const [a, b] = await chainOf(store);
        // The canonical text written out by hand: keys sorted, no spaces, the id in lower case.
        const textA =
          `{"data":{"effectiveFrom":"2026-01-01","serviceId":"toodego"},"id":"${first.id.toLowerCase()}",` +
          `"metadata":{"actor":{"id":"alice","role":"admin"},"reason":"signed"},"previousHash":null,"recordedAt":"${a.event.recordedAt}",` +
          `"revision":0,"schemaVersion":1,"streamId":"convention-69123-1","type":"AnnexAdded"}`;
        const hashA = createHash('sha256').update(textA).digest('hex');
        expect(a.hash).toBe(hashA);
        const textB =
          `{"data":{"a":{"c":2.5,"d":true},"b":[1,"x",null]},"id":"${second.id}","metadata":{},"previousHash":"${hashA}",` +
          `"recordedAt":"${b.event.recordedAt}","revision":1,"schemaVersion":1,"streamId":"convention-69123-1","type":"AnnexAdded"}`;
        expect(b.hash).toBe(createHash('sha256').update(textB).digest('hex'));
      } finally {
        await close();
      }
    });

    it('verifies a log written in batches and on several streams, and reports its last hash', async () => {
      const { store, close } = await open();
      try {
        await store.appendToStream('a', [event(), event()]);
        await store.appendToStream('b', [event({ x: 'é' })]);
        const { position } = await store.appendToStream('a', [event(), event(), event()]);
        await visible(store, position);
        const links = await chainOf(store);
        expect(await verifyChain(store.readChain())).toEqual({ ok: true, checked: 6, headHash: links[5].hash });
        // Recording instants never decrease along the global order.
        const instants = links.map((link) => link.event.recordedAt);
        expect([...instants].sort()).toEqual(instants);
      } finally {
        await close();
      }
    });
  });
}

/** What only a database lets one do: alter a stored row around the store, as an intruder would. */
function tamperingSuite(name: string, open: () => Promise<Opened>): void {
  describe(`integrity chain against tampering: ${name}`, () => {
    jest.setTimeout(90_000);

    async function withLog(check: (db: SqlDatabase, events: RecordedEvent[], store: Store) => Promise<void>): Promise<void> {
      const opened = await open();
      try {
        await opened.store.appendToStream('convention-69123-1', [event({ offerId: 'partenaire' }), event({ offerId: 'connecte' })]);
        await opened.store.appendToStream('commune-69123', [event({ population: 522250 })]);
        const { position } = await opened.store.appendToStream('convention-69123-1', [event({ offerId: 'abonne' })]);
        await visible(opened.store, position);
        const events = (await chainOf(opened.store)).map((link) => link.event);
        expect(await verifyChain(opened.store.readChain())).toMatchObject({ ok: true, checked: 4 });
        await check(opened.db!, events, opened.store);
      } finally {
        await opened.close();
      }
    }

    it('a changed data field breaks the chain at that event', () =>
      withLog(async (db, events, store) => {
        await db.query(`UPDATE events SET data = '{"offerId": "partenaire", "discount": 1}' WHERE event_id = $1`, [events[1].id]);
        expect(await verifyChain(store.readChain())).toMatchObject({ ok: false, checked: 4, firstBrokenPosition: events[1].position });
      }));

    it('a changed actor or recording instant breaks the chain at that event', () =>
      withLog(async (db, events, store) => {
        await db.query(`UPDATE events SET metadata = jsonb_set(metadata, '{actor,id}', '"mallory"') WHERE event_id = $1`, [events[2].id]);
        expect(await verifyChain(store.readChain())).toMatchObject({ ok: false, firstBrokenPosition: events[2].position });
        await db.query(`UPDATE events SET recorded_at = recorded_at - interval '1 day' WHERE event_id = $1`, [events[0].id]);
        expect(await verifyChain(store.readChain())).toMatchObject({ ok: false, firstBrokenPosition: events[0].position });
      }));

    it('a removed event breaks the chain at the next one; a rewritten hash at itself', () =>
      withLog(async (db, events, store) => {
        await db.query(`DELETE FROM events WHERE event_id = $1`, [events[1].id]);
        expect(await verifyChain(store.readChain())).toMatchObject({ ok: false, checked: 3, firstBrokenPosition: events[2].position });
        await db.query(`UPDATE event_chain SET hash = sha256('forged'::bytea) WHERE seq = (SELECT seq FROM events WHERE event_id = $1)`, [
          events[0].id,
        ]);
        expect(await verifyChain(store.readChain())).toMatchObject({ ok: false, firstBrokenPosition: events[0].position });
      }));

    it('an event inserted around the store into the sealed prefix (no hash) breaks the chain at itself', () =>
      withLog(async (db, events, store) => {
        // Given the transaction id of an event already sealed, the row sorts inside the sealed prefix.
        await db.query(
          `INSERT INTO events (xid, stream_id, revision, event_id, type, schema_version, data, metadata)
           SELECT xid, 'convention-69123-1', 4, $1, 'ServiceStopped', 1, '{}', '{}' FROM events WHERE event_id = $2`,
          [randomUUID(), events[2].id],
        );
        const links = await chainOf(store);
        expect(links[3].hash).toBeNull();
        expect(await verifyChain(store.readChain())).toMatchObject({ ok: false, checked: 5, firstBrokenPosition: links[3].event.position });
        expect(await verifyStoredChain(store)).toMatchObject({ ok: false, firstBrokenPosition: links[3].event.position });
      }));

    it('the last sealed event removed: the prefix still chains, but no longer ends at the recorded seal head', () =>
      withLog(async (db, events, store) => {
        await db.query(`DELETE FROM events WHERE event_id = $1`, [events[3].id]);
        expect(await verifyChain(store.readChain())).toMatchObject({ ok: true, checked: 3 });
        const verification = await verifyStoredChain(store);
        expect(verification).toMatchObject({ ok: false, checked: 3, firstBrokenPosition: events[3].position });
        expect(verification.sealedHead).toMatchObject({ size: 4, position: events[3].position });
      }));
  });
}

integrityChainSuite('in-memory', async () => {
  const store = new InMemoryEventStore();
  return { store, close: () => store.close() };
});

const pglite = async (): Promise<Opened> => {
  const { store, db } = await createPgliteEventStore();
  return {
    store,
    db,
    async close() {
      await store.close();
      await db.close();
    },
  };
};
integrityChainSuite('PGlite', pglite);
tamperingSuite('PGlite', pglite);

describeWithPostgres('integrity chain on PostgreSQL', () => {
  const postgres = async (): Promise<Opened> => {
    const database = await openTestDatabase('integrity', 12);
    const store = await PostgresEventStore.create(database.db, { channel: database.channel });
    return {
      store,
      db: database.db,
      async close() {
        await store.close();
        await database.drop();
      },
    };
  };
  integrityChainSuite('PostgreSQL', postgres);
  tamperingSuite('PostgreSQL', postgres);

  it('stays whole under 8 concurrent writers appending without a lock: the sealer chains the global order', async () => {
    const { store, close } = await postgres();
    try {
      let last: Position = { commit: 0, prepare: 0 };
      await Promise.all(
        Array.from({ length: 8 }, async (_, writer) => {
          for (let i = 0; i < 40; i++) {
            const { position } = await store.appendToStream(`w${writer}-${i % 5}`, i % 3 === 0 ? [event(), event()] : [event()]);
            if (comparePositions(position, last) > 0) last = position;
          }
        }),
      );
      await visible(store, last);
      const verification = await verifyStoredChain(store);
      expect(verification).toMatchObject({ ok: true, checked: 8 * (40 + 14), unsealedTail: { count: 0 } });
      const instants = (await chainOf(store)).map((link) => link.event.recordedAt);
      expect([...instants].sort()).toEqual(instants);
    } finally {
      await close();
    }
  }, 90_000);

  it('chains, once, a log written before migration 2, then goes on from it', async () => {
    const database = await openTestDatabase('integrity_upgrade');
    try {
      await migrate(
        database.db,
        EVENT_STORE_MIGRATIONS.filter((migration) => migration.version === 1),
      );
      for (const n of [0, 1, 2]) {
        await database.db.query(
          `INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, metadata) VALUES ('old', $1, $2, 'AnnexAdded', 1, '{"n": 1}', '{}')`,
          [n, randomUUID()],
        );
      }
      const store = await PostgresEventStore.create(database.db, { channel: database.channel });
      const { position } = await store.appendToStream('old', [event()], { expectedRevision: 2 });
      await visible(store, position);
      const links = await chainOf(store);
      expect(links.map((link) => link.hash === null)).toEqual([false, false, false, false]);
      expect(links[0].hash).toBe(eventHash(links[0].event, null));
      expect(await verifyChain(store.readChain())).toMatchObject({ ok: true, checked: 4 });
      // Starting again changes nothing: the chain has begun.
      const before = links.map((link) => link.hash);
      const again = await PostgresEventStore.create(database.db, { channel: database.channel });
      await again.seal();
      expect((await chainOf(store)).map((link) => link.hash)).toEqual(before);
      await again.close();
      await store.close();
    } finally {
      await database.drop();
    }
  }, 60_000);
});
