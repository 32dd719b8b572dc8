import { PgliteDatabase } from '../sql/pglite-database';
import { PostgresEventStore, PostgresEventStoreOptions } from '../postgres/postgres-event-store';

/**
 * The embedded store: PGlite (PostgreSQL 17 in WASM) with the PostgreSQL store's SQL. `dataDir`
 * undefined keeps everything in memory (tests); a data directory is locked to this process until `db`
 * closes (DataDirLockedError if another process holds it). The caller closes `db` after `store`; projections can
 * keep their tables in the same `db`.
 */
export async function createPgliteEventStore(
  dataDir?: string,
  options?: PostgresEventStoreOptions,
): Promise<{ store: PostgresEventStore; db: PgliteDatabase }> {
  const db = await PgliteDatabase.open(dataDir);
  try {
    return { store: await PostgresEventStore.create(db, options), db };
  } catch (error) {
    await db.close();
    throw error;
  }
}
