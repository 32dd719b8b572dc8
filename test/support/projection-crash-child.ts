/**
 * The projection of the runner's crash test (test/projection-runner-crash.int.spec.ts), and, run as a
 * script, a process that follows it until it is killed:
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register test/support/projection-crash-child.ts
 * with DATABASE_URL, SCHEMA and CHANNEL in its environment.
 */
import { PostgresEventStore } from '@lib/event-store/postgres/postgres-event-store';
import { PgPoolDatabase } from '@lib/event-store/sql/pg-pool-database';
import { Projection } from '@lib/projections/runner/projection';
import { ProjectionRunner } from '@lib/projections/runner/projection-runner';

/** Per stream: how many events, their sum, and the last revision — which must grow by exactly one. */
export const crashProjection: Projection<'stream_totals'> = {
  name: 'crash_totals',
  version: 1,
  tables: ['stream_totals'],
  handles: ['Deposited'],
  async setup(tx, t) {
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${t.stream_totals} (
         stream_id text PRIMARY KEY, count integer NOT NULL, sum bigint NOT NULL, last_revision integer NOT NULL)`,
    );
  },
  async apply(event, tx, t) {
    const { rows } = await tx.query<{ last_revision: number }>(`SELECT last_revision FROM ${t.stream_totals} WHERE stream_id = $1`, [
      event.streamId,
    ]);
    const expected = rows.length === 0 ? 0 : rows[0].last_revision + 1;
    // A skipped or repeated event breaks the sequence: stop rather than record a wrong total.
    if (event.revision !== expected) throw new Error(`${event.streamId}: revision ${event.revision}, expected ${expected}`);
    const { amount } = event.recorded.data as { amount: number };
    await tx.query(
      `INSERT INTO ${t.stream_totals} (stream_id, count, sum, last_revision) VALUES ($1, 1, $2, $3)
       ON CONFLICT (stream_id) DO UPDATE SET count = ${t.stream_totals}.count + 1, sum = ${t.stream_totals}.sum + $2, last_revision = $3`,
      [event.streamId, amount, event.revision],
    );
  },
};

async function main(): Promise<void> {
  const { DATABASE_URL, SCHEMA, CHANNEL } = process.env;
  if (!DATABASE_URL || !SCHEMA || !CHANNEL) throw new Error('DATABASE_URL, SCHEMA and CHANNEL are required');
  const db = await PgPoolDatabase.connect({ connectionString: DATABASE_URL, schema: SCHEMA, max: 4 });
  const store = await PostgresEventStore.create(db, { channel: CHANNEL });
  // Small batches: many transactions, so the kill lands among them (or inside one).
  const runner = new ProjectionRunner({ db, store, projections: [crashProjection], batchSize: 10 });
  await runner.start();
  process.stdout.write('started\n');
  // Follows until killed; a failure is reported and ends the process with an error.
  setInterval(() => {
    const [status] = runner.status();
    if (status.state === 'failed') {
      process.stderr.write(`failed: ${JSON.stringify(status.failure)}\n`);
      process.exit(1);
    }
  }, 100);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
