import { Client } from 'pg';
import { DATABASE_URL, TestDatabase, describeWithPostgres, openTestDatabase } from '../../../../test/support/postgres';
import { isConnectionFailure } from './connection-failure';
import { PgPoolDatabase } from './pg-pool-database';

/**
 * The pool's connections lost under it, on the shared server: only this suite's own backends are
 * terminated (pg_terminate_backend, which a server shutdown also sends: 57P01), never the server.
 */
describeWithPostgres('PgPoolDatabase when its connections are terminated', () => {
  let database: TestDatabase;
  let admin: Client;

  beforeAll(async () => {
    database = await openTestDatabase('pgpool');
    admin = new Client({ connectionString: DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await database.drop();
  });

  /** Terminates this suite's backends whose current query matches (and waits until one was). */
  const terminate = async (queryLike: string) => {
    for (let tries = 0; tries < 100; tries++) {
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() AND query LIKE $1`,
        [queryLike],
      );
      if (rows.length > 0) return rows.length;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no backend running ${queryLike}`);
  };

  it('a transaction whose connection is terminated rejects (a connection failure), the process stays up, and the pool serves again', async () => {
    const tag = `pgpool_tx_${Date.now()}`;
    const running = database.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_sleep(10) AS ${tag}`);
    });
    await terminate(`%${tag}%`);
    const error = await running.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isConnectionFailure(error)).toBe(true);
    // The connection was thrown away, not reused: every pooled query answers.
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => database.db.query<{ n: number }>('SELECT $1::int AS n', [i])));
    expect(answers.map((answer) => answer.rows[0].n)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('a transaction idle between statements when its connection is terminated does not crash the process', async () => {
    const tag = `pgpool_idle_${Date.now()}`;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = database.db.transaction(async (tx) => {
      await tx.query(`SELECT 1 AS ${tag}`);
      await gate; // idle in transaction: the FATAL notice arrives with no query in flight ('error' event)
      await tx.query('SELECT 2');
    });
    await terminate(`%${tag}%`);
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the notice and the close arrive
    release();
    await expect(running).rejects.toThrow();
    expect((await database.db.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('LISTEN opens its connection again after it was terminated, and says so with an empty notification', async () => {
    const channel = `${database.channel}_relisten`;
    const received: string[] = [];
    const unlisten = await database.db.listen(channel, (payload) => received.push(payload));
    try {
      await terminate(`LISTEN "${channel}"`);
      // Back within the backoff (100 ms first): the empty wake-up, then notifications again.
      const notifyUntilHeard = async () => {
        for (let tries = 0; tries < 100; tries++) {
          await database.db.query('SELECT pg_notify($1, $2)', [channel, 'after']);
          if (received.includes('after')) return true;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return false;
      };
      expect(await notifyUntilHeard()).toBe(true);
      expect(received[0]).toBe('');
    } finally {
      await unlisten();
    }
    // Stopped for good: no connection is opened again, nothing is heard.
    const heard = received.length;
    await database.db.query('SELECT pg_notify($1, $2)', [channel, 'late']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.length).toBe(heard);
  });

  it('a session of its own keeps the schema and its session state, outside the pool; terminated, `ended` says why and the process stays up', async () => {
    const session = await database.db.session();
    const tag = `pgpool_session_${Date.now()}`;
    await session.query(`SELECT set_config('application_name', $1, false)`, [tag]);
    expect((await session.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0].schema).toBe(database.schema);
    // Session state stays with it (a session-level advisory lock), and the pool's connections are other sessions.
    await session.query('SELECT pg_advisory_lock(hashtext(current_schema()), 1)');
    const tryLock = () =>
      database.db.transaction(async (tx) => {
        const { rows } = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext(current_schema()), 1) AS locked');
        return rows[0].locked;
      });
    expect(await tryLock()).toBe(false);
    const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [tag]);
    expect(killed.rowCount).toBe(1);
    const ended = await session.ended;
    expect({ ended: ended?.message, failure: ended !== undefined && isConnectionFailure(ended) }).toEqual({
      ended: expect.any(String),
      failure: true,
    });
    await expect(session.close()).resolves.toBeUndefined(); // never rejects, even once lost
    // Its lock went with it (once the backend has finished exiting).
    let free = await tryLock();
    for (let tries = 0; !free && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      free = await tryLock();
    }
    expect(free).toBe(true);
  });

  it('runs without JIT on every connection it opens, pooled, in a transaction and in a session of its own (the server default is on)', async () => {
    expect((await admin.query<{ jit: string }>('SHOW jit')).rows[0].jit).toBe('on');
    const session = await database.db.session();
    try {
      const settings = [
        (await database.db.query<{ jit: string }>('SHOW jit')).rows[0].jit,
        await database.db.transaction(async (tx) => (await tx.query<{ jit: string }>('SHOW jit')).rows[0].jit),
        (await session.query<{ jit: string }>('SHOW jit')).rows[0].jit,
        (await session.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0].schema,
      ];
      expect(settings).toEqual(['off', 'off', 'off', database.schema]);
    } finally {
      await session.close();
    }
  });

  it('bounds a statement by DATABASE_STATEMENT_TIMEOUT_MS (57014, a connection-level failure: 503)', async () => {
    const bounded = await PgPoolDatabase.connect({
      connectionString: DATABASE_URL,
      schema: database.schema,
      max: 2,
      timeouts: { statementTimeoutMs: 200 },
    });
    try {
      const error = await bounded.query('SELECT pg_sleep(5)').then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect({ code: (error as { code?: string }).code, transient: isConnectionFailure(error) }).toEqual({
        code: '57014',
        transient: true,
      });
      expect((await bounded.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await bounded.close();
    }
  });
});
