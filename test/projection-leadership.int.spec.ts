import { PgPoolDatabase } from '@lib/event-store/sql/pg-pool-database';
import { PgliteDatabase } from '@lib/event-store/sql/pglite-database';
import { ProjectionLeadership } from '../apps/api/src/projections/projection-leadership';
import { TestDatabase, describeWithPostgres, openTestDatabase } from './support/postgres';

/**
 * Leadership of the projections (apps/api/src/projections/projection-leadership.ts) between "processes"
 * (leaderships on pools of their own) on one real PostgreSQL schema: one leads at a time, a lost lock
 * connection deposes its holder at once and another takes over within a tick or two, a clean close
 * hands over, and with nobody left nobody is named. On PGlite the process simply leads.
 */

const TICK_MS = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = { log: () => undefined, warn: () => undefined };

describeWithPostgres('projection leadership on PostgreSQL', () => {
  let database: TestDatabase;
  const pools: PgPoolDatabase[] = [];
  const leaderships: ProjectionLeadership[] = [];
  /** Every election and deposition, in order, by name: the test reads who ran the projections when. */
  const journal: string[] = [];
  let running = 0;
  let overlaps = 0;

  const contender = async (name: string, options: { failStart?: boolean } = {}) => {
    const db = await database.connectAgain(2);
    pools.push(db);
    let leading = false;
    const leadership = new ProjectionLeadership({
      db,
      identity: `test ${database.schema} ${name}`,
      tickMs: TICK_MS,
      logger: quiet,
      onElected: async () => {
        if (options.failStart) throw new Error('cannot start');
        leading = true;
        if (++running > 1) overlaps++;
        journal.push(`${name} elected`);
      },
      // Called again after a failed start or a close: only a deposition of a running leader counts.
      onDeposed: async () => {
        if (!leading) return;
        leading = false;
        running--;
        journal.push(`${name} deposed`);
      },
    });
    leaderships.push(leadership);
    return leadership;
  };
  const until = async (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; journal: ${journal.join(', ')}`);
      await sleep(10);
    }
    return Date.now();
  };

  beforeAll(async () => {
    database = await openTestDatabase('leadership');
  });

  afterAll(async () => {
    for (const leadership of leaderships) await leadership.close();
    for (const pool of pools) await pool.close();
    await database.drop();
  });

  it('one leads; its lock connection killed, it stops at once and another leads within two ticks; a close hands over; then nobody is named', async () => {
    const a = await contender('a');
    const b = await contender('b');
    await a.start();
    await b.start();
    expect([a.role, b.role]).toEqual(['leader', 'follower']);
    expect(await b.holder()).toBe(a.identity);
    await sleep(3 * TICK_MS); // b keeps trying, and keeps failing
    expect({ a: a.role, b: b.role, journal }).toEqual({ a: 'leader', b: 'follower', journal: ['a elected'] });

    // The leader's session ends on the server (as when its process is killed -9 and PostgreSQL sees the socket close).
    const killedAt = Date.now();
    await database.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [a.identity]);
    const deposedAt = await until(() => a.role === 'follower', 1_000, 'a to step down');
    const electedAt = await until(() => b.role === 'leader', 3 * TICK_MS + 1_000, 'b to lead');
    process.stdout.write(`leadership: deposed after ${deposedAt - killedAt} ms, successor after ${electedAt - killedAt} ms\n`);
    expect(journal).toEqual(['a elected', 'a deposed', 'b elected']);
    expect(electedAt - killedAt).toBeLessThan(2 * TICK_MS + 500);
    expect(await a.holder()).toBe(b.identity);
    await sleep(3 * TICK_MS); // a, on a new connection, does not take it back
    expect([a.role, b.role]).toEqual(['follower', 'leader']);

    // A clean stop: b stops its projections, then gives the lock back; a takes it at its next tick.
    await b.close();
    await until(() => a.role === 'leader', 3 * TICK_MS + 1_000, 'a to lead again');
    expect(journal.slice(-2)).toEqual(['b deposed', 'a elected']);
    await a.close();
    expect(await (await contender('observer')).holder()).toBeUndefined();
    expect(overlaps).toBe(0);
  });

  it('a process that takes the lock but cannot start its projections gives it back, and another leads', async () => {
    const failing = await contender('failing', { failStart: true });
    await failing.start();
    expect(failing.role).toBe('follower');
    expect(await failing.holder()).toBeUndefined();
    const c = await contender('c');
    await c.start();
    await until(() => c.role === 'leader', 3 * TICK_MS + 1_000, 'c to lead'); // failing may hold it an instant at each of its tries
    await sleep(3 * TICK_MS);
    expect(failing.role).toBe('follower');
    await c.close();
    await failing.close();
  });
});

describe('projection leadership on PGlite', () => {
  it('leads at once: one process per DATA_DIR, nothing to contend for', async () => {
    const db = await PgliteDatabase.open();
    let elected = 0;
    const leadership = new ProjectionLeadership({
      db,
      logger: quiet,
      onElected: async () => void elected++,
      onDeposed: async () => undefined,
    });
    await leadership.start();
    expect({ shared: leadership.shared, role: leadership.role, elected, holder: await leadership.holder() }).toEqual({
      shared: false,
      role: 'leader',
      elected: 1,
      holder: leadership.identity,
    });
    await leadership.close();
    await db.close();
  }, 60_000); // PGlite's start alone takes seconds on a loaded machine
});
