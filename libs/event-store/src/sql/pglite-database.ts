import { PGlite, Transaction } from '@electric-sql/pglite';
import { SqlDatabase, SqlExecutor, SqlResult } from './sql-database';

/** The embedded PostgreSQL (WASM). `dataDir` undefined keeps it in memory (tests only). */
export class PgliteDatabase implements SqlDatabase {
  readonly dialect = 'pglite' as const;

  private constructor(private readonly db: PGlite) {}

  static async open(dataDir?: string): Promise<PgliteDatabase> {
    const db = dataDir ? new PGlite(dataDir) : new PGlite();
    await db.waitReady;
    return new PgliteDatabase(db);
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
    const result = await this.db.query<R>(sql, params as unknown[]);
    return { rows: result.rows, rowCount: result.rows.length > 0 ? result.rows.length : (result.affectedRows ?? 0) };
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(transactionExecutor(tx)));
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const unsubscribe = await this.db.listen(channel, onNotify);
    return async () => unsubscribe();
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}

function transactionExecutor(tx: Transaction): SqlExecutor {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
      const result = await tx.query<R>(sql, params as unknown[]);
      return { rows: result.rows, rowCount: result.rows.length > 0 ? result.rows.length : (result.affectedRows ?? 0) };
    },
  };
}
