import { randomUUID } from 'node:crypto';
import { registerUpcaster } from '@lib/domain/domain-events';
import { EventStore, EventToAppend, Position, START, comparePositions } from '@lib/event-store/event-store.port';
import { InMemoryEventStore } from '@lib/event-store/in-memory/in-memory-event-store';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { PgliteDatabase } from '@lib/event-store/sql/pglite-database';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { ProjectedEvent, Projection, tableNames } from './projection';
import { ProjectionRunner, RunnerLogger } from './projection-runner';

/**
 * The runner on PGlite (where projections live), fed by the in-memory store and by the PostgreSQL store
 * on the same PGlite (the embedded default).
 */

type Tables = 'totals' | 'applied';

/** Per-stream count and sum of `Deposited` amounts, plus a log of every application to catch a double one. */
function depositsProjection(options: { version?: number; failOn?: (amount: number) => boolean } = {}): Projection<Tables> {
  return {
    name: 'deposits',
    version: options.version ?? 1,
    tables: ['totals', 'applied'],
    handles: ['Deposited'],
    async setup(tx, t) {
      await tx.query(`CREATE TABLE IF NOT EXISTS ${t.totals} (stream_id text PRIMARY KEY, count integer NOT NULL, sum bigint NOT NULL)`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${t.applied} (n serial PRIMARY KEY, event_id uuid NOT NULL)`);
    },
    async apply(event, tx, t) {
      const { amount } = event.recorded.data as { amount: number };
      if (options.failOn?.(amount)) throw new Error(`refusing amount ${amount}`);
      await tx.query(
        `INSERT INTO ${t.totals} (stream_id, count, sum) VALUES ($1, 1, $2)
         ON CONFLICT (stream_id) DO UPDATE SET count = ${t.totals}.count + 1, sum = ${t.totals}.sum + $2`,
        [event.streamId, amount],
      );
      await tx.query(`INSERT INTO ${t.applied} (event_id) VALUES ($1)`, [event.id]);
    },
  };
}

/** Counts every event, of any type. */
const everything: Projection<'seen'> = {
  name: 'everything',
  version: 1,
  tables: ['seen'],
  async setup(tx, t) {
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.seen} (event_id uuid PRIMARY KEY)`);
  },
  async apply(event, tx, t) {
    await tx.query(`INSERT INTO ${t.seen} (event_id) VALUES ($1)`, [event.id]);
  },
};

/** Like `everything`, through applyBatch: keeps the size of each batch it was given. */
function batchedSeen(name: string, sizes: number[]): Projection<'batch_seen'> {
  return {
    name,
    version: 1,
    tables: ['batch_seen'],
    async setup(tx, t) {
      await tx.query(`CREATE TABLE IF NOT EXISTS ${t.batch_seen} (n serial PRIMARY KEY, event_id uuid NOT NULL UNIQUE)`);
    },
    apply: () => Promise.reject(new Error('applyBatch is defined: apply is not called')),
    async applyBatch(events, tx, t) {
      sizes.push(events.length);
      await tx.query(`INSERT INTO ${t.batch_seen} (event_id) SELECT unnest($1::uuid[])`, [events.map((event) => event.id)]);
    },
  };
}

/** Counts the reads of the global order the runner opens on the store, and those still open. */
function countReads(store: EventStore): { opened: number; open: number } {
  const reads = { opened: 0, open: 0 };
  const subscribe = store.subscribeToAll.bind(store);
  store.subscribeToAll = (options) => {
    const subscription = subscribe(options);
    reads.opened++;
    reads.open++;
    let closed = false;
    return {
      [Symbol.asyncIterator]: () => subscription[Symbol.asyncIterator](),
      close: async () => {
        if (!closed) reads.open--;
        closed = true;
        await subscription.close();
      },
    };
  };
  return reads;
}

const deposited = (amount: number): EventToAppend => ({
  id: randomUUID(),
  type: 'Deposited',
  schemaVersion: 1,
  data: { amount },
  metadata: {},
});
const noted = (): EventToAppend => ({ id: randomUUID(), type: 'Noted', schemaVersion: 1, data: {}, metadata: {} });

/** A type of the tests' own, written at schema version 0 as `{ amount }`, read as `{ value }`: each upcast is counted. */
let upcasts = 0;
registerUpcaster('Counted', 0, (data) => {
  upcasts += 1;
  return { value: (data as { amount: number }).amount };
});
const counted = (amount: number): EventToAppend => ({
  id: randomUUID(),
  type: 'Counted',
  schemaVersion: 0,
  data: { amount },
  metadata: { reason: 'test' },
});

const quiet: RunnerLogger = { log: () => undefined, error: () => undefined };

const stores: [string, (db: SqlDatabase) => Promise<EventStore>][] = [
  ['in-memory store', async () => new InMemoryEventStore()],
  ['PostgreSQL store on PGlite', (db) => PostgresEventStore.create(db, { pollIntervalMs: 50 })],
];

describe.each(stores)('ProjectionRunner, events from the %s', (_label, openStore) => {
  let db: SqlDatabase;
  let store: EventStore;
  const runners: ProjectionRunner[] = [];

  const runner = (projections: Projection[], options: { suffix?: string; batchSize?: number } = {}) => {
    const created = new ProjectionRunner({ db, store, projections, logger: quiet, ...options });
    runners.push(created);
    return created;
  };
  const totals = async (table = 'totals') =>
    (
      await db.query<{ stream_id: string; count: number; sum: string }>(
        `SELECT stream_id, count, sum::text FROM ${table} ORDER BY stream_id`,
      )
    ).rows;
  const appliedIds = async (table = 'applied') =>
    (await db.query<{ event_id: string }>(`SELECT event_id FROM ${table} ORDER BY n`)).rows.map((row) => row.event_id);
  const checkpoint = async (name: string): Promise<Position> => {
    const { rows } = await db.query<{ c: string; p: string }>(
      `SELECT position_commit::text AS c, position_prepare::text AS p FROM projection_checkpoints WHERE name = $1`,
      [name],
    );
    return { commit: Number(rows[0].c), prepare: Number(rows[0].p) };
  };
  /** Appends and returns what was appended, in the global order, with each event's position. */
  const append = async (stream: string, events: EventToAppend[]) => {
    const result = await store.appendToStream(stream, events);
    return { ids: events.map((event) => event.id), position: result.position };
  };

  // One PGlite per store (it takes a second or two to open); each test starts from an empty schema.
  beforeAll(async () => {
    db = await PgliteDatabase.open();
  });
  afterAll(() => db.close());

  beforeEach(async () => {
    await db.query('DROP SCHEMA public CASCADE');
    await db.query('CREATE SCHEMA public');
    store = await openStore(db);
  });

  afterEach(async () => {
    for (const created of runners.splice(0)) await created.stop();
    await store.close();
  });

  it('applies each handled event once, in the global order, and its checkpoint reaches the head', async () => {
    const a1 = await append('account-a', [deposited(10), noted(), deposited(20)]);
    const b1 = await append('account-b', [deposited(5)]);
    const a2 = await append('account-a', [deposited(1)]);
    const tail = await append('account-c', [noted(), noted()]); // only unhandled events at the end
    const projections = runner([depositsProjection()], { batchSize: 2 });

    await projections.start();

    expect(await projections.waitForPosition(tail.position, 5000)).toBe(true);
    expect(await totals()).toEqual([
      { stream_id: 'account-a', count: 3, sum: '31' },
      { stream_id: 'account-b', count: 1, sum: '5' },
    ]);
    expect(await appliedIds()).toEqual([a1.ids[0], a1.ids[2], b1.ids[0], a2.ids[0]]);
    // Unhandled events advance the checkpoint too, so a read waiting for them is not kept waiting.
    expect(await checkpoint('deposits')).toEqual(tail.position);
    expect(projections.status()).toEqual([{ name: 'deposits', state: 'running', position: tail.position }]);
  });

  it('one read of the global order feeds every projection, each from its own checkpoint', async () => {
    const first = await append('account-a', [deposited(1), noted(), deposited(2)]);
    const ahead = runner([everything]);
    await ahead.start();
    expect(await ahead.waitForPosition(first.position, 5000)).toBe(true);
    await ahead.stop();
    const second = await append('account-b', [deposited(3), noted()]);
    const reads = countReads(store);
    const sizes: number[] = [];
    // deposits and batched start at 0, everything after `first`: one read from 0, everything skips what it has.
    const projections = runner([depositsProjection(), everything, batchedSeen('batched', sizes)]);

    await projections.start();
    expect(await projections.waitForPosition(second.position, 5000)).toBe(true);

    expect(reads).toEqual({ opened: 1, open: 1 });
    expect(await appliedIds()).toEqual([first.ids[0], first.ids[2], second.ids[0]]);
    const seen = (await db.query<{ event_id: string }>('SELECT event_id FROM seen')).rows.map((row) => row.event_id);
    expect(seen.sort()).toEqual([...first.ids, ...second.ids].sort());
    expect((await db.query('SELECT event_id FROM batch_seen')).rows).toHaveLength(5);
    // Caught up, a live event is applied alone, at once.
    const live = await append('account-c', [noted()]);
    expect(await projections.waitForPosition(live.position, 5000)).toBe(true);
    expect(sizes[sizes.length - 1]).toBe(1);
    expect(reads).toEqual({ opened: 1, open: 1 });
  });

  it('a projection rebuilt while the others follow catches up on a read of its own, then shares theirs again', async () => {
    const sizes: number[] = [];
    const projections = runner([depositsProjection(), batchedSeen('batched', sizes)], { batchSize: 1000 });
    const reads = countReads(store);
    await projections.start();
    const written: string[] = [];
    for (let i = 1; i <= 30; i++) written.push(...(await append(`account-${i % 4}`, [deposited(i), noted()])).ids);
    expect(await projections.waitForPosition(await store.headPosition(), 5000)).toBe(true);
    const liveTotals = await totals();

    const rebuilt = projections.rebuild('deposits');
    // Live events during the rebuild reach both: the rebuilt one once it has caught up, exactly once.
    const during = await append('account-9', [deposited(100)]);
    await rebuilt;
    expect(await projections.waitForPosition(during.position, 5000)).toBe(true);
    const after = await append('account-9', [deposited(200)]);
    expect(await projections.waitForPosition(after.position, 5000)).toBe(true);

    expect(await totals()).toEqual(
      [...liveTotals, { stream_id: 'account-9', count: 2, sum: '300' }].sort((a, b) => a.stream_id.localeCompare(b.stream_id)),
    );
    const batchSeen = (await db.query<{ event_id: string }>('SELECT event_id FROM batch_seen ORDER BY n')).rows.map((row) => row.event_id);
    expect(batchSeen).toEqual([...written, ...during.ids, ...after.ids]);
    expect(reads.opened).toBe(2); // the shared read, and the rebuilt projection's catch-up read
    for (let tries = 0; tries < 100 && reads.open > 1; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(reads.open).toBe(1);
  });

  it('with retry, a failed projection rejoins the shared read once it has caught up on its own; the others never stopped', async () => {
    let outage = 2;
    const deposits = depositsProjection({ failOn: (amount) => amount === 13 && outage-- > 0 });
    const projections = new ProjectionRunner({
      db,
      store,
      projections: [deposits, everything],
      logger: quiet,
      retry: { initialDelayMs: 20, maxDelayMs: 40 },
    });
    runners.push(projections);
    const reads = countReads(store);
    const good = await append('account-a', [deposited(11), deposited(13), deposited(12)]);
    await projections.start();
    // waitForPosition answers false while a lane behind is failed: wait for the retries to get past 13.
    for (let tries = 0; tries < 200 && !(await projections.waitForPosition(good.position, 10)); tries++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(outage).toBe(-1);
    const next = await append('account-b', [deposited(14)]);
    expect(await projections.waitForPosition(next.position, 5000)).toBe(true);

    expect(await appliedIds()).toEqual([...good.ids, ...next.ids]);
    expect((await db.query('SELECT event_id FROM seen')).rows).toHaveLength(4);
    for (let tries = 0; tries < 100 && reads.open > 1; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(reads.open).toBe(1);
  });

  it('applyBatch receives the events of a batch together; one failing is named after they are applied one by one', async () => {
    const sizes: number[] = [];
    const refusing: Projection<'batch_seen'> = {
      ...batchedSeen('refusing', sizes),
      async applyBatch(events, tx, t) {
        sizes.push(events.length);
        if (events.some((event) => (event.recorded.data as { amount?: number }).amount === 13)) throw new Error('refusing 13');
        await tx.query(`INSERT INTO ${t.batch_seen} (event_id) SELECT unnest($1::uuid[])`, [events.map((event) => event.id)]);
      },
    };
    const { ids } = await append('account-a', [deposited(1), deposited(2), deposited(13), deposited(4)]);
    const projections = runner([refusing]);

    await projections.start();
    for (let tries = 0; tries < 100 && projections.status()[0].state !== 'failed'; tries++)
      await new Promise((resolve) => setTimeout(resolve, 10));

    expect(projections.status()[0]).toMatchObject({ state: 'failed', failure: { event: { id: ids[2] } } });
    expect(sizes).toEqual([4, 1, 1, 1]);
    expect((await db.query<{ event_id: string }>('SELECT event_id FROM batch_seen ORDER BY n')).rows.map((row) => row.event_id)).toEqual(
      ids.slice(0, 2),
    );
  });

  it('applies live events as they are appended; waitForPosition answers true once every projection has them', async () => {
    const projections = runner([depositsProjection(), everything]);
    await projections.start();
    expect(await projections.waitForPosition(START, 100)).toBe(true);

    const first = await append('account-a', [deposited(7)]);
    expect(await projections.waitForPosition(first.position, 5000)).toBe(true);
    expect(await totals()).toEqual([{ stream_id: 'account-a', count: 1, sum: '7' }]);

    const second = await append('account-b', [noted(), deposited(3)]);
    expect(await projections.waitForPosition(second.position, 5000)).toBe(true);
    expect(await totals()).toEqual([
      { stream_id: 'account-a', count: 1, sum: '7' },
      { stream_id: 'account-b', count: 1, sum: '3' },
    ]);
    expect((await db.query('SELECT event_id FROM seen')).rows).toHaveLength(3);
  });

  it('hands projections each event upcast and as written, upcast once even when a failed batch is applied again event by event', async () => {
    const received: ProjectedEvent[] = [];
    const upcastOnly: Projection<'unused'> = {
      name: 'upcast-only',
      version: 1,
      tables: ['unused'],
      handles: ['Counted'],
      async setup(tx, t) {
        await tx.query(`CREATE TABLE IF NOT EXISTS ${t.unused} (n integer)`);
      },
      async apply(event) {
        received.push(event);
        if ((event.event.data as unknown as { value: number }).value === 3) throw new Error('refusing 3');
      },
    };
    const { ids, position } = await append('account-a', [counted(1), counted(2), counted(3)]);
    upcasts = 0;
    const projections = runner([upcastOnly], { batchSize: 10 });

    await projections.start();

    expect(await projections.waitForPosition(position, 5000)).toBe(false);
    expect(projections.status()[0].failure?.event?.id).toBe(ids[2]);
    // The batch [1, 2, 3] failed at 3, then 1, 2, 3 were applied again one by one: six deliveries, three upcasts.
    expect(received.map((event) => event.id)).toEqual([...ids, ...ids]);
    expect(upcasts).toBe(3);
    expect(received[0]).toMatchObject({
      id: ids[0],
      streamId: 'account-a',
      revision: 0,
      metadata: { reason: 'test' },
      event: { type: 'Counted', schemaVersion: 1, data: { value: 1 } },
      recorded: { id: ids[0], type: 'Counted', schemaVersion: 0, data: { amount: 1 } },
    });
    expect(received[0].position).toEqual(received[0].recorded.position);
  });

  it('waitForPosition answers false after its timeout while a projection is behind', async () => {
    const projections = runner([depositsProjection()]);
    await projections.start();
    await projections.stop();
    const later = await append('account-a', [deposited(1)]);

    const started = Date.now();
    expect(await projections.waitForPosition(later.position, 150)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('resumes after stop and start from its checkpoint without applying anything twice', async () => {
    const before = await append('account-a', [deposited(1), deposited(2)]);
    const first = runner([depositsProjection()]);
    await first.start();
    expect(await first.waitForPosition(before.position, 5000)).toBe(true);
    await first.stop();

    const after = await append('account-a', [deposited(4)]);
    const second = runner([depositsProjection()]);
    await second.start();
    expect(await second.waitForPosition(after.position, 5000)).toBe(true);

    expect(await totals()).toEqual([{ stream_id: 'account-a', count: 3, sum: '7' }]);
    expect(await appliedIds()).toEqual([...before.ids, ...after.ids]);
  });

  it('applies every event once even when two runners follow the same projection', async () => {
    const written: string[] = [];
    let head = START;
    for (let i = 1; i <= 60; i++) {
      const result = await append(`account-${i % 7}`, [deposited(i)]);
      written.push(...result.ids);
      head = result.position;
    }
    const one = runner([depositsProjection()], { batchSize: 5 });
    const other = runner([depositsProjection()], { batchSize: 3 });

    await Promise.all([one.start(), other.start()]);
    await Promise.all([one.waitForPosition(head, 10000), other.waitForPosition(head, 10000)]);

    // The checkpoint row is locked by each transaction: the slower runner skips what the other applied.
    expect(await appliedIds()).toEqual(written);
    const sums = await totals();
    expect(sums.reduce((total, row) => total + row.count, 0)).toBe(60);
    expect(sums.reduce((total, row) => total + Number(row.sum), 0)).toBe((60 * 61) / 2);
  });

  it('rebuild from position 0 gives the same read model as live application', async () => {
    const projections = runner([depositsProjection(), everything]);
    await projections.start();
    let head = START;
    for (let i = 1; i <= 40; i++) head = (await append(`account-${i % 3}`, i % 4 === 0 ? [noted()] : [deposited(i)])).position;
    expect(await projections.waitForPosition(head, 5000)).toBe(true);
    const live = await totals();
    const liveIds = await appliedIds();

    await projections.rebuild('deposits');

    expect(await totals()).toEqual(live);
    expect(await appliedIds()).toEqual(liveIds);
    expect(await checkpoint('deposits')).toEqual(head);
    // It keeps following after the rebuild.
    const next = await append('account-9', [deposited(100)]);
    expect(await projections.waitForPosition(next.position, 5000)).toBe(true);
    expect(await totals()).toContainEqual({ stream_id: 'account-9', count: 1, sum: '100' });
  });

  it('builds a copy under a suffix, beside the live tables, with its own checkpoint', async () => {
    let head = START;
    for (let i = 1; i <= 25; i++) head = (await append(`account-${i % 4}`, [deposited(i)])).position;
    const live = runner([depositsProjection()]);
    await live.start();
    expect(await live.waitForPosition(head, 5000)).toBe(true);

    const shadow = runner([depositsProjection()], { suffix: '_shadow' });
    await shadow.rebuild('deposits');

    expect(await totals('totals_shadow')).toEqual(await totals());
    expect(await appliedIds('applied_shadow')).toEqual(await appliedIds());
    expect(await checkpoint('deposits_shadow')).toEqual(head);
    expect(await checkpoint('deposits')).toEqual(head);
  });

  it('stops a projection whose handler throws, at that event, and leaves the others running', async () => {
    let refuse = true;
    const deposits = depositsProjection({ failOn: (amount) => refuse && amount === 13 });
    const logged: string[] = [];
    const projections = new ProjectionRunner({
      db,
      store,
      projections: [deposits, everything],
      batchSize: 10,
      logger: { log: () => undefined, error: (message) => logged.push(message) },
    });
    runners.push(projections);
    const good = await append('account-a', [deposited(11), deposited(12)]);
    const bad = await append('account-b', [deposited(13)]);
    const rest = await append('account-a', [deposited(14)]);

    await projections.start();
    expect(await projections.waitForPosition(rest.position, 5000)).toBe(false);

    const failed = projections.status().find((status) => status.name === 'deposits')!;
    expect(failed).toMatchObject({
      state: 'failed',
      position: good.position,
      failure: { position: bad.position, event: { id: bad.ids[0], type: 'Deposited', streamId: 'account-b', revision: 0 } },
    });
    // Not skipped: the checkpoint stays before the failing event, which left nothing behind.
    expect(await checkpoint('deposits')).toEqual(good.position);
    expect(await totals()).toEqual([{ stream_id: 'account-a', count: 2, sum: '23' }]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(bad.ids[0]);
    // The other projection goes on to the end.
    const everythingReached = async () => {
      for (let tries = 0; tries < 100; tries++) {
        const status = projections.status().find((s) => s.name === 'everything')!;
        if (status.state !== 'running' || comparePositions(status.position, rest.position) >= 0) return status;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return projections.status().find((s) => s.name === 'everything')!;
    };
    expect(await everythingReached()).toMatchObject({ state: 'running', position: rest.position });

    refuse = false; // the handler is fixed: start() resumes the failed projection from its checkpoint
    await projections.start();
    expect(await projections.waitForPosition(rest.position, 5000)).toBe(true);
    expect(await totals()).toEqual([
      { stream_id: 'account-a', count: 3, sum: '37' },
      { stream_id: 'account-b', count: 1, sum: '13' },
    ]);
    expect(await appliedIds()).toEqual([...good.ids, ...bad.ids, ...rest.ids]);
  });

  it('with retry, a failed projection follows again by itself, from its checkpoint, after a backoff (the database came back)', async () => {
    let outage = 3; // the handler's first three tries fail, as they would while the database is away
    const deposits = depositsProjection({ failOn: (amount) => amount === 13 && outage-- > 0 });
    const logged: string[] = [];
    const projections = new ProjectionRunner({
      db,
      store,
      projections: [deposits],
      batchSize: 10,
      logger: { log: () => undefined, error: (message) => logged.push(message) },
      retry: { initialDelayMs: 20, maxDelayMs: 80 },
    });
    runners.push(projections);
    const good = await append('account-a', [deposited(11)]);
    const bad = await append('account-b', [deposited(13)]);
    const rest = await append('account-a', [deposited(14)]);

    await projections.start();
    // No start() again: the runner retries on its own and gets past the event once it applies.
    const reached = async () => {
      for (let tries = 0; tries < 200; tries++) {
        const [status] = projections.status();
        if (status.state === 'running' && comparePositions(status.position, rest.position) >= 0) return status;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return projections.status()[0];
    };
    expect(await reached()).toMatchObject({ state: 'running', position: rest.position });
    expect(outage).toBe(-1); // three failures, then the fourth try applied it
    // Applied exactly once each, in order, nothing skipped.
    expect(await appliedIds()).toEqual([...good.ids, ...bad.ids, ...rest.ids]);
    expect(await checkpoint('deposits')).toEqual(rest.position);
    expect(logged).toHaveLength(1); // the same failure again is not logged again
  });

  it('with retry, stop() cancels the retry of a failed projection', async () => {
    const projections = new ProjectionRunner({
      db,
      store,
      projections: [depositsProjection({ failOn: (amount) => amount === 13 })],
      logger: quiet,
      retry: { initialDelayMs: 50, maxDelayMs: 50 },
    });
    runners.push(projections);
    await append('account-a', [deposited(13)]);
    await projections.start();
    for (let tries = 0; tries < 100 && projections.status()[0].state !== 'failed'; tries++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(projections.status()[0]).toMatchObject({ state: 'failed', failure: { attempts: 1 } });
    await projections.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(projections.status()[0]).toMatchObject({ state: 'failed', failure: { attempts: 1 } });
  });

  it('rebuild rejects when a handler fails on the way', async () => {
    await append('account-a', [deposited(1), deposited(13), deposited(2)]);
    const projections = runner([depositsProjection({ failOn: (amount) => amount === 13 })]);

    await expect(projections.rebuild('deposits')).rejects.toThrow();
    expect(projections.status()[0].state).toBe('failed');
    expect(await totals()).toEqual([{ stream_id: 'account-a', count: 1, sum: '1' }]);
  });

  it('rebuilds from position 0 when the projection version changed', async () => {
    const head = (await append('account-a', [deposited(1), deposited(2)])).position;
    const v1 = runner([depositsProjection({ version: 1 })]);
    await v1.start();
    expect(await v1.waitForPosition(head, 5000)).toBe(true);
    await v1.stop();
    // A row that version 2 would not have written: it must disappear with the old tables.
    await db.query(`INSERT INTO totals (stream_id, count, sum) VALUES ('stale', 1, 1)`);

    const v2 = runner([depositsProjection({ version: 2 })]);
    await v2.start();
    expect(await v2.waitForPosition(head, 5000)).toBe(true);

    expect(await totals()).toEqual([{ stream_id: 'account-a', count: 2, sum: '3' }]);
  });

  it('stop waits for the transaction in flight and leaves a consistent checkpoint', async () => {
    const written: { id: string; position: Position }[] = [];
    for (let i = 1; i <= 200; i++) {
      const { ids, position } = await append(`account-${i % 5}`, [deposited(1)]);
      written.push({ id: ids[0], position });
    }
    const projections = runner([depositsProjection()], { batchSize: 7 });
    await projections.start();
    await projections.stop();

    const reached = await checkpoint('deposits');
    const applied = await appliedIds();
    // Whatever was applied is a prefix of the order, and the checkpoint is exactly its last event.
    expect(applied).toEqual(written.slice(0, applied.length).map((event) => event.id));
    expect(reached).toEqual(applied.length === 0 ? START : written[applied.length - 1].position);
    expect(projections.status()[0]).toMatchObject({ state: 'stopped', position: reached });
  });
});

describe('tableNames', () => {
  const projection = (tables: string[]): Projection => ({
    name: 'p',
    version: 1,
    tables,
    setup: async () => undefined,
    apply: async () => undefined,
  });

  it('maps each logical table to itself plus the suffix', () => {
    expect(tableNames(projection(['fee_ledger', 'fee_lines']), '_r2')).toEqual({ fee_ledger: 'fee_ledger_r2', fee_lines: 'fee_lines_r2' });
  });

  it('refuses names that are not plain identifiers, since they are spliced into SQL', () => {
    expect(() => tableNames(projection(['ledger; DROP TABLE events']))).toThrow();
    expect(() => tableNames(projection(['Ledger']))).toThrow();
    expect(() => tableNames(projection(['x'.repeat(60)]), '_shadow')).toThrow();
  });
});
