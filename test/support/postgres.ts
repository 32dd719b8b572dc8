import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { PgPoolDatabase } from '@lib/event-store/sql/pg-pool-database';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Jest must know when it loads a file whether a suite runs, and cannot await there. So the probe is
 * synchronous: a child Node process connects with `pg` to DATABASE_URL itself and runs SELECT 1 (unlike
 * pg_isready, this also checks credentials and that the database exists, and needs no client binaries).
 * It costs about 0.2 s per file. Undefined when PostgreSQL answers, otherwise the reason.
 */
function whyPostgresIsUnreachable(): string | undefined {
  const script =
    `const { Client } = require('pg');` +
    `const client = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 5000 });` +
    `client.connect().then(() => client.query('SELECT 1')).then(() => client.end())` +
    `.then(() => process.exit(0), (error) => { console.error(error.message); process.exit(1); });`;
  const probe = spawnSync(process.execPath, ['-e', script, DATABASE_URL], {
    cwd: resolve(__dirname, '..', '..'),
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (probe.status === 0) return undefined;
  return probe.error?.message ?? (probe.stderr.trim().split('\n').pop() || `probe exit code ${probe.status}`);
}

let unreachable: string | undefined | null = null;

/**
 * `describe` when PostgreSQL answers. Otherwise: in CI (CI=true) a suite that fails, since PostgreSQL is
 * required there; elsewhere a skipped suite and one line saying why.
 */
export function describeWithPostgres(name: string, body: () => void): void {
  if (unreachable === null) unreachable = whyPostgresIsUnreachable();
  if (unreachable === undefined) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    const reason = unreachable;
    describe(name, () => {
      it('needs PostgreSQL (required in CI)', () => {
        throw new Error(`PostgreSQL is unreachable at ${DATABASE_URL}: ${reason}`);
      });
    });
  } else {
    // Straight to stdout: console.log in Jest prints a multi-line block with a stack location.
    process.stdout.write(`${name} skipped: PostgreSQL is unreachable at ${DATABASE_URL} (${unreachable})\n`);
    describe.skip(name, body);
  }
}

export interface TestDatabase {
  db: PgPoolDatabase;
  schema: string;
  /** A NOTIFY channel of this schema's own: notifications are database-wide and suites run in parallel. */
  channel: string;
  /** Another pool on the same schema (another "process"). The caller closes it. */
  connectAgain(max?: number): Promise<PgPoolDatabase>;
  /** Drops the schema and closes the pool. */
  drop(): Promise<void>;
}

/** A fresh schema of its own for a suite, dropped at teardown. */
export async function openTestDatabase(label: string, max = 10): Promise<TestDatabase> {
  const schema = `t_${label.replace(/[^a-z0-9]/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const db = await PgPoolDatabase.connect({ connectionString: DATABASE_URL, schema, max });
  return {
    db,
    schema,
    channel: `events_${schema}`,
    connectAgain: (otherMax = 10) => PgPoolDatabase.connect({ connectionString: DATABASE_URL, schema, max: otherMax }),
    async drop() {
      try {
        await db.query(`DROP SCHEMA ${schema} CASCADE`);
      } finally {
        await db.close();
      }
    },
  };
}
