import { Client } from 'pg';
import { ApiProcess, spawnApi } from './support/api-process';
import { ThrowawayPostgres, describeWithThrowawayPostgres, startThrowawayPostgres } from './support/throwaway-postgres';

/**
 * API.md: a retried Idempotency-Key gets the first answer. The answer of a command that recorded events
 * is sent before it is kept (IdempotencyStore.keepAfter): this kills the API with SIGKILL in that window,
 * held open by a lock on the table of kept answers, and retries on a new process.
 */
describeWithThrowawayPostgres('Idempotency-Key across a kill -9 between the append and the kept answer', () => {
  let pg: ThrowawayPostgres;
  let api: ApiProcess | undefined;

  beforeAll(async () => {
    pg = await startThrowawayPostgres('idempotency-crash');
  }, 120_000);

  afterAll(async () => {
    await api?.kill('SIGKILL');
    await pg?.destroy();
  }, 60_000);

  const start = async (): Promise<ApiProcess> => {
    const started = await spawnApi({ EVENT_STORE: 'postgres', DATABASE_URL: pg.url });
    await started.waitHealthy(120_000);
    return started;
  };
  const sign = (on: ApiProcess) =>
    fetch(`${on.url}/api/conventions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${on.token('admin')}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'crash-69003' },
      body: JSON.stringify({
        communeInsee: '69003',
        communeName: 'Albigny-sur-Saône',
        signedOn: '2025-11-15',
        effectiveFrom: '2026-01-01',
        annexes: [{ serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: '2026-01-01' }],
      }),
      signal: AbortSignal.timeout(30_000),
    }).then(async (response) => ({ status: response.status, text: await response.text(), headers: response.headers }));
  const signed = async () =>
    Number((await pg.query<{ n: string }>("SELECT count(*) AS n FROM events WHERE type = 'ConventionSigned'"))[0].n);
  const kept = async () => Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM idempotency_keys'))[0].n);

  it('answers the retry on a new process with the very bytes of the first answer, and records nothing twice', async () => {
    api = await start();
    // Writes to the kept answers wait (EXCLUSIVE lets reads through): the window stays open.
    const holder = new Client({ connectionString: pg.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE idempotency_keys IN EXCLUSIVE MODE');
    let first: Awaited<ReturnType<typeof sign>>;
    try {
      first = await sign(api);
      expect(first.status).toBe(201);
      expect(await signed()).toBe(1);
      expect(await kept()).toBe(0); // answered, not kept yet
      await api.kill('SIGKILL');
      // The dead process's sessions end with it; the server would notice only when it next writes to them.
      await holder.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
      );
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(await kept()).toBe(0); // the process died with the answer unwritten

    api = await start();
    const retried = await sign(api);
    expect({
      status: retried.status,
      text: retried.text,
      etag: retried.headers.get('etag'),
      location: retried.headers.get('location'),
    }).toEqual({
      status: 201,
      text: first.text,
      etag: first.headers.get('etag'),
      location: first.headers.get('location'),
    });
    expect(await signed()).toBe(1);

    // The retry's answer is kept in its turn: a third try is a replay of it.
    for (let waited = 0; (await kept()) === 0 && waited < 5_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    const replayed = await sign(api);
    expect({ status: replayed.status, text: replayed.text, replayed: replayed.headers.get('idempotent-replayed') }).toEqual({
      status: 201,
      text: first.text,
      replayed: 'true',
    });
    expect(await signed()).toBe(1);
  }, 300_000);
});
