import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { PgPoolDatabase } from '@lib/event-store/sql/pg-pool-database';
import { ProjectionHost } from '../apps/api/src/projections/projection-host';
import { seedCatalogue } from './support/random-commands';
import { TestDatabase, describeWithPostgres, openTestDatabase } from './support/postgres';

/**
 * ProjectionHost (apps/api/src/projections/projection-host.ts) as three "processes" (pools of their own)
 * on one real PostgreSQL schema: a follower waits on the leader's checkpoints for rows the leader
 * wrote, readiness names the role and the leader, the lead passes on at the leader's shutdown, and
 * with nobody able to lead, readiness says so.
 */
describeWithPostgres('projection host: leader and followers on one schema', () => {
  let database: TestDatabase;
  const pools: PgPoolDatabase[] = [];
  const hosts: ProjectionHost[] = [];
  const stores: PostgresEventStore[] = [];

  /** A process's host; `canLead: false` gives it a database whose lock connection never opens (the fault a follower meets). */
  const processOf = async ({ canLead = true } = {}) => {
    const db = await database.connectAgain(4);
    pools.push(db);
    if (!canLead) db.session = () => Promise.reject(new Error('no connection of its own (test fault)'));
    const store = await PostgresEventStore.create(db, { channel: database.channel });
    stores.push(store);
    const host = new ProjectionHost(store, db);
    hosts.push(host);
    await host.onApplicationBootstrap();
    return { host, store };
  };
  const until = async (check: () => boolean, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  beforeAll(async () => {
    database = await openTestDatabase('host_follower');
  });

  afterAll(async () => {
    for (const host of hosts) await host.onApplicationShutdown();
    for (const store of stores) await store.close();
    for (const pool of pools) await pool.close();
    await database.drop();
  });

  it('a follower sees the rows the leader projects, names it, takes over at its shutdown; with nobody able to lead, readiness says so', async () => {
    const a = await processOf();
    const b = await processOf();
    const c = await processOf({ canLead: false });
    expect([a.host.role, b.host.role, c.host.role]).toEqual(['leader', 'follower', 'follower']);

    // Written through one process, projected by the leader, awaited on a follower.
    await seedCatalogue(c.store);
    const head = await c.store.headPosition();
    expect(await b.host.waitForPosition(head, 10_000)).toBe(true);
    const ready = await b.host.readiness(5_000);
    expect({ ready: ready.ready, role: ready.role, leader: ready.leader, head: ready.head }).toEqual({
      ready: true,
      role: 'follower',
      leader: expect.stringMatching(/^conventions-cadre /),
      head: ready.head,
    });
    expect(ready.projections.map((projection) => projection.position)).toEqual(ready.projections.map(() => ready.head));

    // The leader stops: the other one able to lead takes over at its next try.
    await a.host.onApplicationShutdown();
    await until(() => b.host.role === 'leader', 5_000, 'b to lead');
    expect((await c.host.readiness(5_000)).ready).toBe(true);

    // Nobody left who can lead: not ready, and the reason says why.
    await b.host.onApplicationShutdown();
    const alone = await c.host.readiness(5_000);
    expect({ ready: alone.ready, role: alone.role, leader: alone.leader, reason: alone.reason }).toEqual({
      ready: false,
      role: 'follower',
      leader: undefined,
      reason: expect.stringMatching(/^No process leads the projections/),
    });
  });
});
