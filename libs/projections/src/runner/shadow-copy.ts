import { Position, START, comparePositions } from '@lib/event-store/event-store.port';
import { SqlDatabase, SqlExecutor } from '@lib/event-store/sql/sql-database';
import { readCheckpoint } from './checkpoints';
import { Projection, TableNames } from './projection';

/*
 * A shadow copy: a projection built under another suffix beside its live tables (a rebuild), compared
 * with them, then swapped in for them. The runner pauses and resumes the lanes around these steps.
 */

/** A projection's tables summed up: rows and a digest of their content, whatever their physical order. */
export interface TableChecksum {
  table: string;
  rows: number;
  md5: string;
}

/** The live tables and a copy (another suffix) of one projection, read in one snapshot. */
export interface CopyComparison {
  name: string;
  live: { position: Position; tables: TableChecksum[] };
  copy: { position: Position; tables: TableChecksum[] };
  /** Both at the same checkpoint: only then does comparing their content mean anything. */
  samePosition: boolean;
  /** Same checkpoint and same content, table by table. */
  equal: boolean;
}

/** One side of a comparison: the checkpoint key and the physical tables. */
export interface TableSet {
  key: string;
  tables: TableNames;
}

/**
 * Compares a projection's live tables with a copy of them, in one snapshot: each side's checkpoint and,
 * per table, its row count and an md5 of its rows (each row's md5, sorted, digested), so that the
 * physical order of rows does not matter.
 */
export function compareWithCopy(db: SqlDatabase, projection: Projection, live: TableSet, copy: TableSet): Promise<CopyComparison> {
  return db.transaction(async (tx) => {
    // One snapshot for both sides (the first statement of the transaction sets it).
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const side = async ({ key, tables }: TableSet) => {
      const checkpoint = await readCheckpoint(tx, key);
      const checksums: TableChecksum[] = [];
      for (const logical of projection.tables) checksums.push({ ...(await tableChecksum(tx, tables[logical])), table: logical });
      return { position: checkpoint?.position ?? START, tables: checksums };
    };
    const liveSide = await side(live);
    const copySide = await side(copy);
    const samePosition = comparePositions(liveSide.position, copySide.position) === 0;
    const sameContent = liveSide.tables.every((table, i) => table.rows === copySide.tables[i].rows && table.md5 === copySide.tables[i].md5);
    return { name: projection.name, live: liveSide, copy: copySide, samePosition, equal: samePosition && sameContent };
  });
}

/**
 * In the caller's transaction: drops the live tables and gives the copy's tables, and their indexes,
 * the live names. (The checkpoint is the caller's to carry over, in the same transaction.)
 */
export async function swapInCopy(tx: SqlExecutor, projection: Projection, liveTables: TableNames, copyTables: TableNames): Promise<void> {
  for (const logical of projection.tables) {
    const [live, copy] = [liveTables[logical], copyTables[logical]];
    await tx.query(`DROP TABLE IF EXISTS ${live} CASCADE`);
    await tx.query(`ALTER TABLE ${copy} RENAME TO ${live}`);
    // Index names stay on RENAME: give the copy's the live names, so the next copy can reuse its own.
    const { rows: indexes } = await tx.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1`,
      [live],
    );
    for (const { indexname } of indexes) {
      if (indexname.startsWith(copy)) await tx.query(`ALTER INDEX ${indexname} RENAME TO ${live}${indexname.slice(copy.length)}`);
    }
  }
}

/** Row count and md5 of the sorted md5s of the rows' text: independent of physical order, cheap in memory. */
async function tableChecksum(tx: SqlExecutor, table: string): Promise<Omit<TableChecksum, 'table'>> {
  const { rows } = await tx.query<{ rows: string | number; md5: string }>(
    `SELECT count(*) AS rows, md5(coalesce(string_agg(r.digest, '' ORDER BY r.digest), '')) AS md5
     FROM (SELECT md5(t::text) AS digest FROM ${table} t) r`,
  );
  return { rows: Number(rows[0].rows), md5: rows[0].md5 };
}
