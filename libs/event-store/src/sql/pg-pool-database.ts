import { Pool, PoolClient } from 'pg';
import { SqlDatabase, SqlExecutor, SqlResult } from './sql-database';

export interface PgPoolDatabaseOptions {
  connectionString: string;
  /** A schema of its own (created if missing), so that test suites and tenants never see each other. */
  schema?: string;
  max?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class PgPoolDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;

  private constructor(
    private readonly pool: Pool,
    readonly schema: string | undefined,
  ) {}

  static async connect(options: PgPoolDatabaseOptions): Promise<PgPoolDatabase> {
    const { connectionString, schema, max = 10 } = options;
    if (schema !== undefined) {
      if (!SCHEMA_NAME.test(schema)) throw new Error(`Invalid schema name: ${schema}`);
      const setup = new Pool({ connectionString, max: 1 });
      try {
        await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      } finally {
        await setup.end();
      }
    }
    const pool = new Pool({
      connectionString,
      max,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    // An idle client's error (the server restarting) must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    return new PgPoolDatabase(pool, schema);
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
    const result = await this.pool.query(sql, params as unknown[]);
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(clientExecutor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const client = await this.pool.connect();
    // A dropped connection must not crash the process: the client is then released as broken, and
    // subscriptions carry on through their fallback poll.
    let broken: Error | undefined;
    client.on('error', (error) => {
      broken = error;
    });
    const handler = (message: { channel: string; payload?: string }) => {
      if (message.channel === channel) onNotify(message.payload ?? '');
    };
    client.on('notification', handler);
    await client.query(`LISTEN "${channel.replace(/"/g, '')}"`);
    return async () => {
      client.off('notification', handler);
      if (!broken) await client.query(`UNLISTEN "${channel.replace(/"/g, '')}"`).catch(() => undefined);
      client.release(broken);
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function clientExecutor(client: PoolClient): SqlExecutor {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
      const result = await client.query(sql, params as unknown[]);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    },
  };
}
