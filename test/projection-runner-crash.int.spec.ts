import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { EventToAppend, Position, comparePositions } from '@lib/event-store/event-store.port';
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { ProjectionRunner } from '@lib/projections';
import { crashProjection } from './support/projection-crash-child';
import { DATABASE_URL, TestDatabase, describeWithPostgres, openTestDatabase } from './support/postgres';

const ROOT = resolve(__dirname, '..');
const EVENTS = 20_000;
const STREAMS = 97;
const WRITERS = 4;
const PER_APPEND = 10;

interface Row {
  stream_id: string;
  count: number;
  sum: string;
  last_revision: number;
}

describeWithPostgres('Projection runner killed in the middle of a long stream', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    database = await openTestDatabase('projection_crash');
    store = await PostgresEventStore.create(database.db, { channel: database.channel });
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await store?.close();
    await database?.drop();
  }, 60_000);

  const checkpoint = async (): Promise<Position | undefined> => {
    const { rows } = await database.db
      .query<{ c: string; p: string }>(
        `SELECT position_commit::text AS c, position_prepare::text AS p FROM projection_checkpoints WHERE name = 'crash_totals'`,
      )
      .catch(() => ({ rows: [] as { c: string; p: string }[] })); // the child may not have created the table yet
    return rows[0] && { commit: Number(rows[0].c), prepare: Number(rows[0].p) };
  };
  const totals = async (table: string) =>
    (await database.db.query<Row>(`SELECT stream_id, count, sum::text, last_revision FROM ${table} ORDER BY stream_id`)).rows;

  /** Spawns the child runner and kills it (SIGKILL) once its checkpoint has reached `mark`. */
  async function runChildUntil(mark: Position): Promise<{ exit: string; output: string }> {
    child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'test/support/projection-crash-child.ts'],
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL, SCHEMA: database.schema, CHANNEL: database.channel },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const running = child;
    let output = '';
    running.stdout!.on('data', (chunk) => (output += chunk));
    running.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<string>((done) => running.on('exit', (code, signal) => done(signal ?? `exit code ${code}`)));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && running.exitCode === null) {
      const reached = await checkpoint();
      if (reached && comparePositions(reached, mark) >= 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    running.kill('SIGKILL');
    return { exit: await exited, output };
  }

  it('killed four times and restarted, its read model equals a clean rebuild and every event is applied once', async () => {
    // The expected totals, worked out from what is written: amount k goes to stream k mod STREAMS.
    const expected = new Map<string, { count: number; sum: number }>();
    for (let k = 1; k <= EVENTS; k++) {
      const entry = expected.get(`account-${k % STREAMS}`) ?? { count: 0, sum: 0 };
      expected.set(`account-${k % STREAMS}`, { count: entry.count + 1, sum: entry.sum + k });
    }

    // Batches of one stream's amounts, interleaved across streams, taken by concurrent writers so that
    // transactions interleave in the global order as in production.
    const batches: { stream: string; amounts: number[] }[] = [];
    for (let s = 0; s < STREAMS; s++) {
      const amounts: number[] = [];
      for (let k = s === 0 ? STREAMS : s; k <= EVENTS; k += STREAMS) amounts.push(k);
      for (let i = 0; i < amounts.length; i += PER_APPEND)
        batches.push({ stream: `account-${s}`, amounts: amounts.slice(i, i + PER_APPEND) });
    }
    batches.sort((a, b) => a.amounts[0] - b.amounts[0]);
    const positions: Position[] = [];
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        for (let batch = batches.shift(); batch; batch = batches.shift()) {
          const events: EventToAppend[] = batch.amounts.map((amount) => ({
            id: randomUUID(),
            type: 'Deposited',
            schemaVersion: 1,
            data: { amount },
            metadata: {},
          }));
          positions.push((await store.appendToStream(batch.stream, events)).position);
        }
      }),
    );
    const head = await store.headPosition();
    const order = [...positions].sort(comparePositions);

    // A runner in another process, killed (SIGKILL) once past a fifth of the stream, restarted, killed again
    // past two fifths, and so on: each kill lands at a random point, inside a transaction or between two.
    for (const fraction of [0.2, 0.4, 0.6, 0.8]) {
      const mark = order[Math.floor(order.length * fraction)];
      const { exit, output } = await runChildUntil(mark);
      expect({ exit, output }).toEqual({ exit: 'SIGKILL', output: 'started\n' });
      const atKill = await checkpoint();
      // Killed in the middle: past the mark, short of the end.
      expect(comparePositions(atKill!, mark)).toBeGreaterThanOrEqual(0);
      expect(comparePositions(atKill!, head)).toBe(-1);
    }

    // Restart (in this process) from the checkpoint the killed process left.
    const restarted = new ProjectionRunner({ db: database.db, store, projections: [crashProjection] });
    await restarted.start();
    try {
      // The status says why if it did not catch up (e.g. a handler refusing a repeated event).
      expect({ caughtUp: await restarted.waitForPosition(head, 120_000), status: restarted.status()[0] }).toMatchObject({
        caughtUp: true,
        status: { state: 'running', position: head },
      });
    } finally {
      await restarted.stop();
    }

    // Exactly once: every stream's count and sum are those written.
    const live = await totals('stream_totals');
    expect(live.map(({ stream_id, count, sum }) => ({ stream_id, count, sum: Number(sum) }))).toEqual(
      [...expected.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([stream_id, { count, sum }]) => ({ stream_id, count, sum })),
    );

    // A clean rebuild from position 0 into fresh tables gives the same read model.
    const fresh = new ProjectionRunner({ db: database.db, store, projections: [crashProjection], suffix: '_fresh' });
    try {
      await fresh.rebuild('crash_totals');
    } finally {
      await fresh.stop();
    }
    expect(await totals('stream_totals_fresh')).toEqual(live);
  }, 300_000);
});
