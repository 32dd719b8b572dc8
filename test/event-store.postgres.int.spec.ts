import { randomUUID } from 'node:crypto';
import { EventToAppend, RecordedEvent, comparePositions } from '@lib/event-store/event-store.port';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { HEAD_POSITION, READ_ALL_PAGE } from '@lib/event-store/postgres/queries';
import { EVENT_STORE_MIGRATIONS } from '@lib/event-store/postgres/migrations';
import { eventStoreContract } from './event-store.contract';
import { TestDatabase, describeWithPostgres, openTestDatabase } from './support/postgres';

describeWithPostgres('PostgreSQL event store', () => {
  eventStoreContract('PostgreSQL', async () => {
    const database = await openTestDatabase('contract');
    const store = await PostgresEventStore.create(database.db, { channel: database.channel });
    return {
      store,
      teardown: async () => {
        await store.close();
        await database.drop();
      },
    };
  });

  describe('specific to PostgreSQL', () => {
    it('fails a one-shot read, rather than answer without an acknowledged event, when a transaction stays open past the timeout', async () => {
      const database = await openTestDatabase('horizon_timeout');
      const store = await PostgresEventStore.create(database.db, { channel: database.channel, readYourWritesTimeoutMs: 200 });
      const other = await database.connectAgain(1);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const open = other.transaction(async (tx) => {
        await tx.query('SELECT pg_current_xact_id()'); // takes a transaction id: holds the horizon back
        holding();
        await released;
      });
      try {
        await held;
        await store.appendToStream(`timeout-${randomUUID()}`, [event()]);
        await expect(collect(store.readAll())).rejects.toMatchObject({ code: 'HORIZON_TIMEOUT' });
      } finally {
        release();
        await open;
        await other.close();
        await store.close();
        await database.drop();
      }
    }, 60_000);

    let database: TestDatabase;
    let store: PostgresEventStore;

    beforeAll(async () => {
      database = await openTestDatabase('pg_specific');
      store = await PostgresEventStore.create(database.db, { channel: database.channel });
    }, 60_000);

    afterAll(async () => {
      await store?.close();
      await database?.drop();
    }, 60_000);

    it('never delivers an event while an earlier-started writer may still commit before it, then delivers both in (xid, seq) order', async () => {
      const prefix = `held${randomUUID().slice(0, 8)}`;
      const other = await database.connectAgain(2);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const slowId = randomUUID();
      // A writer that inserted first (smaller seq, smaller transaction id) and commits last.
      const slow = other.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, metadata) VALUES ($1, 0, $2, 'Slow', 1, '{}', '{}')`,
          [`${prefix}-slow`, slowId],
        );
        holding();
        await released;
      });
      const subscription = store.subscribeToAll({ filter: { streamPrefix: prefix } });
      try {
        await held;
        const fast = await store.appendToStream(`${prefix}-fast`, [event()]);
        const iterator = subscription[Symbol.asyncIterator]();
        const first = iterator.next();

        // A reader ordering by sequence alone would deliver `fast` now and skip `slow` for ever.
        expect(await Promise.race([first.then(() => 'delivered'), sleep(500).then(() => 'waiting')])).toBe('waiting');
        // One-shot reads wait until what was acknowledged before them is final (read-your-writes), then see both in order.
        const head = store.headPosition();
        const read = collect(store.readAll({ filter: { streamPrefix: prefix } }));
        expect(await Promise.race([read.then(() => 'read'), sleep(300).then(() => 'waiting')])).toBe('waiting');

        release();
        await slow;
        expect((await read).map((e) => e.streamId)).toEqual([`${prefix}-slow`, `${prefix}-fast`]);
        expect(comparePositions(await head, fast.position)).toBe(0);
        const second = iterator.next();
        const delivered = [(await first).value as RecordedEvent, (await second).value as RecordedEvent];
        expect(delivered.map((e) => e.streamId)).toEqual([`${prefix}-slow`, `${prefix}-fast`]);
        expect(comparePositions(delivered[0].position, delivered[1].position)).toBe(-1);
        expect(delivered[0].position.prepare).toBeLessThan(delivered[1].position.prepare);
      } finally {
        release();
        await subscription.close();
        await other.close();
      }
    }, 90_000);

    it('delivers a notified event held above the horizon as soon as the older transaction ends, not at the next poll', async () => {
      const prefix = `held-notify${randomUUID().slice(0, 8)}`;
      const listener = await PostgresEventStore.create(database.db, { channel: database.channel, pollIntervalMs: 120_000 });
      const other = await database.connectAgain(1);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const subscription = listener.subscribeToAll({ filter: { streamPrefix: prefix } });
      const iterator = subscription[Symbol.asyncIterator]();
      const first = iterator.next();
      try {
        await sleep(300); // the subscription has read everything and sleeps
        // An older transaction with an id, which ends without notifying anyone.
        const open = other.transaction(async (tx) => {
          await tx.query('SELECT pg_current_xact_id()');
          holding();
          await released;
        });
        await held;
        await store.appendToStream(`${prefix}-a`, [event()]); // notifies, but sits above the horizon
        await sleep(300);
        release();
        await open;
        expect(await Promise.race([first.then(() => 'delivered'), sleep(10_000).then(() => 'waiting for the poll')])).toBe('delivered');
      } finally {
        release();
        await subscription.close();
        await listener.close();
        await other.close();
      }
    }, 60_000);

    it('wakes a live subscription by NOTIFY, long before its poll interval', async () => {
      const prefix = `notify${randomUUID().slice(0, 8)}`;
      const listener = await PostgresEventStore.create(database.db, { channel: database.channel, pollIntervalMs: 120_000 });
      await store.appendToStream(`${prefix}-a`, [event()]);
      const subscription = listener.subscribeToAll({ filter: { streamPrefix: prefix } });
      const iterator = subscription[Symbol.asyncIterator]();
      try {
        await iterator.next();
        const live = iterator.next();
        await sleep(300); // the subscription has read everything and sleeps
        // Each append notifies; an append whose commit arrives while another transaction of the database
        // holds the horizon back is found by the next notification, not by the (2-minute) poll.
        let delivered: string | undefined;
        for (let attempt = 0; attempt < 30 && !delivered; attempt++) {
          await store.appendToStream(`${prefix}-a`, [event()]);
          delivered = await Promise.race([live.then(() => 'delivered'), sleep(2_000).then(() => undefined)]);
        }
        expect(delivered).toBe('delivered');
      } finally {
        await listener.close();
      }
    }, 90_000);

    it('applies its migrations once: creating the store again on the same schema changes nothing', async () => {
      const streamId = `again${randomUUID().slice(0, 8)}`;
      await store.appendToStream(streamId, [event()]);
      // Not closed by this test: no sealer of its own left running on the schema (dropping it would meet it).
      await PostgresEventStore.create(database.db, { channel: database.channel, sealing: 'manual' });

      const { rows } = await database.db.query<{ version: number }>('SELECT version FROM event_store_migrations ORDER BY version');
      expect(rows.map((row) => Number(row.version))).toEqual(EVENT_STORE_MIGRATIONS.map((migration) => migration.version));
      expect(await collect(store.readStream(streamId))).toHaveLength(1);
    });

    it('starts when two processes create the store on a fresh schema at the same moment', async () => {
      const fresh = await openTestDatabase('migrate_race');
      const second = await fresh.connectAgain(2);
      try {
        const [a, b] = await Promise.all([
          PostgresEventStore.create(fresh.db, { channel: fresh.channel, sealing: 'manual' }),
          PostgresEventStore.create(second, { channel: fresh.channel, sealing: 'manual' }),
        ]);
        await a.appendToStream('s', [event()], { expectedRevision: 'no_stream' });
        await b.appendToStream('s', [event()], { expectedRevision: 0 });
        const { rows } = await fresh.db.query<{ version: number }>('SELECT version FROM event_store_migrations');
        expect(rows.map((row) => Number(row.version))).toEqual(EVENT_STORE_MIGRATIONS.map((migration) => migration.version));
      } finally {
        await second.close();
        await fresh.drop();
      }
    }, 30_000);

    it('reads the global order and the head through the (xid, seq) index, never by scanning the table', async () => {
      const fresh = await openTestDatabase('plan');
      try {
        await PostgresEventStore.create(fresh.db, { channel: fresh.channel, sealing: 'manual' });
        // 100 000 events in 100 transactions, so that xid and seq both vary, then fresh statistics.
        for (let batch = 0; batch < 100; batch++) {
          await fresh.db.query(
            `INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, metadata)
             SELECT 'plan-' || $1 || '-' || (i % 100), i / 100, gen_random_uuid(), 'Planned', 1, '{"n":1}', '{}'
             FROM generate_series(0, 999) AS i`,
            [batch],
          );
        }
        await fresh.db.query('ANALYZE events');
        const middle = (
          await fresh.db.query<{ xid: string; seq: string }>('SELECT xid::text AS xid, seq FROM events ORDER BY seq OFFSET 50000 LIMIT 1')
        ).rows[0];

        const explain = async (sql: string, params: unknown[] = []) =>
          (await fresh.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows.map((row) => row['QUERY PLAN']).join('\n');
        for (const params of [
          ['0', 0, null, null, 500],
          [middle.xid, middle.seq, null, null, 500],
          [middle.xid, middle.seq, ['Planned', 'Other'], 'plan-7', 500],
        ]) {
          const plan = await explain(READ_ALL_PAGE, params);
          expect(plan).toContain('Index Scan using events_xid_seq_idx on events');
          expect(plan).toMatch(/Index Cond: \(\(xid < snapshot\.xmin\) AND \(ROW\(xid, seq\) > ROW\(/);
          expect(plan).not.toMatch(/Seq Scan on events|Bitmap Heap Scan on events/);
        }
        const headPlan = await explain(HEAD_POSITION);
        expect(headPlan).toContain('Index Only Scan Backward using events_xid_seq_idx on events');
        expect(headPlan).not.toMatch(/Seq Scan on events|Sort/);
      } finally {
        await fresh.drop();
      }
    }, 60_000);
  });
});

function event(): EventToAppend {
  return { id: randomUUID(), type: 'Happened', schemaVersion: 1, data: {}, metadata: {} };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
