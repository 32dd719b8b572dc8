import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';

export interface StoredAnswer {
  requestHash: string;
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/**
 * The first answer to each (caller, Idempotency-Key), kept in the projections' database. `json`, not
 * `jsonb`: a replay sends the very bytes of the first answer, key order included.
 */
@Injectable()
export class IdempotencyStore implements OnModuleInit {
  constructor(@Inject(SQL_DATABASE) private readonly db: SqlDatabase) {}

  async onModuleInit(): Promise<void> {
    await this.db.query(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      scope text NOT NULL,
      key text NOT NULL,
      request_hash text NOT NULL,
      status integer NOT NULL,
      body json NOT NULL,
      headers json NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (scope, key))`);
  }

  async find(scope: string, key: string): Promise<StoredAnswer | undefined> {
    const { rows } = await this.db.query<{ request_hash: string; status: number; body: unknown; headers: Record<string, string> }>(
      'SELECT request_hash, status, body, headers FROM idempotency_keys WHERE scope = $1 AND key = $2',
      [scope, key],
    );
    const row = rows[0];
    return row && { requestHash: row.request_hash, status: row.status, body: row.body, headers: row.headers };
  }

  /** Keeps the first answer: a concurrent duplicate that finished second does not overwrite it. */
  async save(scope: string, key: string, answer: StoredAnswer): Promise<StoredAnswer> {
    const { rowCount } = await this.db.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status, body, headers) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (scope, key) DO NOTHING`,
      [scope, key, answer.requestHash, answer.status, JSON.stringify(answer.body ?? null), JSON.stringify(answer.headers)],
    );
    if (rowCount === 1) return answer;
    return (await this.find(scope, key)) ?? answer;
  }
}
