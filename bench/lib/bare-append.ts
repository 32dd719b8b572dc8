import { Pool } from 'pg';
import { AppendOne } from './append';

/**
 * The ceiling of an append: one INSERT per transaction into a plain events table whose unique
 * (stream_id, revision) is the only guard (the stream's next revision worked out in the same statement).
 * No chain, no notification, no expected-revision check beyond the constraint.
 */
export async function bareAppender(
  connectionString: string,
  schema: string,
  max = 10,
): Promise<{ append: AppendOne; close(): Promise<void> }> {
  const pool = new Pool({ connectionString, max, options: `-c search_path=${schema}` });
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${schema}.bare_events (
       global_position bigserial PRIMARY KEY, stream_id text NOT NULL, revision bigint NOT NULL, event_id uuid NOT NULL,
       type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),
       UNIQUE (stream_id, revision))`,
  );
  return {
    append: (streamId, event) =>
      pool.query(
        `INSERT INTO bare_events (stream_id, revision, event_id, type, data, metadata)
         SELECT $1, coalesce(max(revision) + 1, 0), $2, $3, $4, $5 FROM bare_events WHERE stream_id = $1`,
        [streamId, event.id, event.type, event.data, event.metadata],
      ),
    close: () => pool.end(),
  };
}
