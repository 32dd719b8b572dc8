import { createHash, randomUUID } from 'node:crypto';
import { EventToAppend, RecordedEvent } from '@lib/event-store/event-store.port';
import { eventHash, eventLeafData, verifyStoredChain } from '@lib/event-store/integrity/event-hash';
import { NodeId } from '@lib/event-store/integrity/merkle';
import { ChainSealer, readTreeNodes } from '@lib/event-store/postgres/chain-sealer';
import { EVENT_STORE_MIGRATIONS, migrate } from '@lib/event-store/postgres/migrations';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { createPgliteEventStore } from '@lib/event-store/pglite/create-pglite-event-store';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { describeWithPostgres, openTestDatabase } from './support/postgres';

/*
 * The log's Merkle tree (issue 14, RFC 9162 §2.1) as the sealer keeps it in event_tree_nodes: every
 * stored node is the MTH of its leaves, recomputed here from the events by the RFC's definition, and the
 * tree's head is the MTH of the sealed prefix; a log chained before the tree existed gets its tree built
 * by the sealer, while new appends keep being sealed.
 */

const event = (n: number): EventToAppend => ({
  id: randomUUID(),
  type: 'AnnexAdded',
  schemaVersion: 1,
  data: { n, text: `événement ${n}` },
  metadata: { actor: { id: 'alice', role: 'admin' }, reason: 'test' },
});

// The RFC's MTH over the leaves' data, written out again: the oracle.
const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
function mth(data: Buffer[]): Buffer {
  if (data.length === 0) return sha256();
  if (data.length === 1) return sha256(Buffer.from([0]), data[0]);
  let k = 1;
  while (k * 2 < data.length) k *= 2;
  return sha256(Buffer.from([1]), mth(data.slice(0, k)), mth(data.slice(k)));
}

async function logOf(store: PostgresEventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const e of store.readAll()) events.push(e);
  return events;
}

/** Checks every stored node and the tree's head against the MTH of the events, in global order. */
async function expectTreeOf(db: SqlDatabase, store: PostgresEventStore, size: number): Promise<void> {
  const data = (await logOf(store)).map(eventLeafData);
  const state = await store.sealState();
  expect(state.tree).toEqual({ size, root: mth(data.slice(0, size)).toString('hex') });
  const { rows } = await db.query<{ level: number; idx: string }>('SELECT level, idx FROM event_tree_nodes ORDER BY level, idx');
  const ids: NodeId[] = rows.map((row) => ({ level: Number(row.level), index: Number(row.idx) }));
  // Exactly the perfect subtrees of the tree of `size` leaves: 2·size − popcount(size) of them.
  const popcount = size.toString(2).replace(/0/g, '').length;
  expect(ids).toHaveLength(2 * size - popcount);
  const node = await readTreeNodes(db, ids);
  for (const id of ids) {
    const leaves = data.slice(id.index * 2 ** id.level, (id.index + 1) * 2 ** id.level);
    expect(leaves).toHaveLength(2 ** id.level);
    expect(node(id).toString('hex')).toBe(mth(leaves).toString('hex'));
  }
}

function treeSuite(name: string, open: () => Promise<{ store: PostgresEventStore; db: SqlDatabase; close: () => Promise<void> }>) {
  describe(`the Merkle tree kept by the sealer: ${name}`, () => {
    it('holds, after concurrent writers, every perfect node of the sealed log and its root (MTH)', async () => {
      const { store, db, close } = await open();
      try {
        await Promise.all(
          Array.from({ length: 4 }, async (_, writer) => {
            for (let i = 0; i < 9; i++) await store.appendToStream(`w${writer}`, i % 3 === 0 ? [event(i), event(i + 100)] : [event(i)]);
          }),
        );
        await store.seal();
        await expectTreeOf(db, store, 48);
      } finally {
        await close();
      }
    }, 60_000);
  });
}

treeSuite('PGlite', async () => {
  const { store, db } = await createPgliteEventStore();
  return {
    store,
    db,
    async close() {
      await store.close();
      await db.close();
    },
  };
});

describeWithPostgres('the Merkle tree on PostgreSQL', () => {
  treeSuite('PostgreSQL', async () => {
    const database = await openTestDatabase('merkle', 12);
    const store = await PostgresEventStore.create(database.db, { channel: database.channel });
    return {
      store,
      db: database.db,
      async close() {
        await store.close();
        await database.drop();
      },
    };
  });

  it('is built over a log chained before it existed (migration 4), a batch at a time, while new appends are sealed', async () => {
    const database = await openTestDatabase('merkle_upgrade', 12);
    try {
      await migrate(
        database.db,
        EVENT_STORE_MIGRATIONS.filter((migration) => migration.version <= 2),
      );
      // A log chained at the append, as before migration 3 (which moves it to event_chain).
      let previous: string | null = null;
      for (let n = 0; n < 30; n++) {
        const recordedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
        const id = randomUUID();
        const hash = eventHash(
          { id, streamId: 'old', revision: n, type: 'AnnexAdded', schemaVersion: 1, data: { n }, metadata: {}, recordedAt },
          previous,
        );
        await database.db.query(
          `INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, metadata, recorded_at, hash)
           VALUES ('old', $1, $2, 'AnnexAdded', 1, $3, '{}', $4, decode($5, 'hex'))`,
          [n, id, JSON.stringify({ n }), recordedAt, hash],
        );
        previous = hash;
      }
      const store = await PostgresEventStore.create(database.db, { channel: database.channel, sealing: 'manual' });
      try {
        expect((await store.sealState()).head.size).toBe(30);
        expect((await store.sealState()).tree.size).toBe(0);
        const sealer = new ChainSealer(database.db, { batchSize: 7 });
        const trees: number[] = [];
        for (let n = 0; n < 6; n++) {
          await store.appendToStream('new', [event(n)]);
          await store.headPosition(); // below the horizon: final, so the batch can seal it
          const result = await sealer.sealBatch();
          // Each batch seals the new event in the chain, and builds at most 7 more leaves of the tree.
          expect(result).toMatchObject({ locked: true, sealed: 1 });
          trees.push((await store.sealState()).tree.size);
        }
        // The fifth batch finds the chain at 34 (30 + four new) and the tree at 28: the lag's last six
        // leaves, then that batch's new event, meet (35); from then on both grow together.
        expect(trees).toEqual([7, 14, 21, 28, 35, 36]);
        expect((await store.sealState()).head.size).toBe(36);
        await expectTreeOf(database.db, store, 36);
        expect(await verifyStoredChain(store)).toMatchObject({ ok: true, checked: 36 });
      } finally {
        await store.close();
      }
    } finally {
      await database.drop();
    }
  }, 60_000);

  it('two processes sealing at once build one tree (each from its own right edge)', async () => {
    const database = await openTestDatabase('merkle_two', 12);
    const second = await database.connectAgain(6);
    const a = await PostgresEventStore.create(database.db, { channel: database.channel });
    const b = await PostgresEventStore.create(second, { channel: database.channel });
    try {
      const sealers = [new ChainSealer(database.db, { batchSize: 5 }), new ChainSealer(second, { batchSize: 3 })];
      let writing = true;
      const racing = sealers.map(async (sealer) => {
        while (writing) await sealer.sealBatch();
      });
      await Promise.all(
        Array.from({ length: 6 }, async (_, writer) => {
          for (let i = 0; i < 15; i++) await (writer % 2 ? a : b).appendToStream(`w${writer}`, [event(i)]);
        }),
      );
      writing = false;
      await Promise.all(racing);
      await a.seal();
      await expectTreeOf(database.db, a, 90);
    } finally {
      await a.close();
      await b.close();
      await second.close();
      await database.drop();
    }
  }, 60_000);
});
