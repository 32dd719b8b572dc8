import { Position } from '@lib/event-store/event-store.port';
import { SqlExecutor } from '@lib/event-store/sql/sql-database';

/*
 * The checkpoint table: per projection key (its name plus the runner's suffix), the version of the
 * projection that wrote it and the position up to which every event is applied. Every statement on it
 * is here; the runner decides when each runs.
 */

const CHECKPOINTS = 'projection_checkpoints';

export interface Checkpoint {
  version: number;
  position: Position;
}

interface CheckpointRow {
  version: number | string;
  position_commit: number | string | bigint;
  position_prepare: number | string | bigint;
}

export async function ensureCheckpointTable(db: SqlExecutor): Promise<void> {
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${CHECKPOINTS} (
       name text PRIMARY KEY,
       version integer NOT NULL,
       position_commit bigint NOT NULL,
       position_prepare bigint NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
}

/**
 * The checkpoint under `key`, if any. `forUpdate` locks it until the transaction ends: a second runner
 * on the same projection then waits, and sees what this one committed.
 */
export async function readCheckpoint(tx: SqlExecutor, key: string, options: { forUpdate?: boolean } = {}): Promise<Checkpoint | undefined> {
  const { rows } = await tx.query<CheckpointRow>(
    `SELECT version, position_commit, position_prepare FROM ${CHECKPOINTS} WHERE name = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [key],
  );
  return rows[0] && { version: Number(rows[0].version), position: toPosition(rows[0]) };
}

/** Creates or replaces the checkpoint under `key`. */
export async function writeCheckpoint(tx: SqlExecutor, key: string, { version, position }: Checkpoint): Promise<void> {
  await tx.query(
    `INSERT INTO ${CHECKPOINTS} (name, version, position_commit, position_prepare) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name) DO UPDATE SET version = $2, position_commit = $3, position_prepare = $4, updated_at = now()`,
    [key, version, position.commit, position.prepare],
  );
}

/** Moves the checkpoint to `position`, in one statement and never backwards (no lock needed). */
export async function advanceCheckpoint(db: SqlExecutor, key: string, position: Position): Promise<void> {
  await db.query(
    `UPDATE ${CHECKPOINTS} SET position_commit = $2, position_prepare = $3, updated_at = now()
     WHERE name = $1 AND (position_commit, position_prepare) < ($2, $3)`,
    [key, position.commit, position.prepare],
  );
}

export async function deleteCheckpoint(tx: SqlExecutor, key: string): Promise<void> {
  await tx.query(`DELETE FROM ${CHECKPOINTS} WHERE name = $1`, [key]);
}

function toPosition(row: CheckpointRow): Position {
  // bigint columns arrive as strings (pg) or bigints (PGlite); positions stay below 2^53.
  return { commit: Number(row.position_commit), prepare: Number(row.position_prepare) };
}
