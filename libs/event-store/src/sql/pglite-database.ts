import { mkdirSync } from 'node:fs';
import { PGlite, Transaction } from '@electric-sql/pglite';
import { DataDirLock, lockDataDir } from '../pglite/data-dir-lock';
import { SqlDatabase, SqlExecutor, SqlResult } from './sql-database';

/**
 * The embedded PostgreSQL (WASM). `dataDir` undefined keeps it in memory (tests only). A data directory
 * is locked to this process from before PGlite opens it until it is closed (pglite/data-dir-lock.ts):
 * a second opener gets a DataDirLockedError instead of corrupting it.
 */
export class PgliteDatabase implements SqlDatabase {
  readonly dialect = 'pglite' as const;

  private constructor(
    private readonly db: PGlite,
    private readonly lock: DataDirLock | undefined,
  ) {}

  static async open(dataDir?: string): Promise<PgliteDatabase> {
    if (!dataDir) {
      const db = new PGlite();
      await db.waitReady;
      return new PgliteDatabase(db, undefined);
    }
    mkdirSync(dataDir, { recursive: true });
    // Before PGlite: the damage a second process does happens when it opens the directory.
    const lock = lockDataDir(dataDir);
    try {
      const db = new PGlite(dataDir);
      await db.waitReady;
      return new PgliteDatabase(db, lock);
    } catch (error) {
      lock.release();
      throw error;
    }
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
    // Not released if the close failed: this process may still write there; its exit releases it.
    this.lock?.release();
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
