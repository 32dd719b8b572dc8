import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';

export interface StoredAnswer {
  requestHash: string;
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** Answers written in one statement at most: a bound on its size, not a wait. */
const MAX_BATCH = 500;

/**
 * The first answer to each (caller, Idempotency-Key), kept in the projections' database. `json`, not
 * `jsonb`: a replay sends the very bytes of the first answer, key order included.
 *
 * Two ways to keep one. `save` writes it before it is sent: for an answer nothing else records (a
 * command that recorded nothing, the lifecycle run). `keepAfter` sends it first and writes it behind,
 * many answers to a statement: for an answer made of the events one stream recorded, which carry their
 * command id, so that a retry that finds no kept answer (the API stopped before writing it) gets the
 * same answer from the events (executeStreamCommand), and the store's idempotent append, with event ids
 * derived from the key, records nothing twice. Until written, an answer is found here, in memory.
 */
@Injectable()
export class IdempotencyStore implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Idempotency');
  private readonly unwritten = new Map<string, { scope: string; key: string; answer: StoredAnswer }>();
  private writing: Promise<void> | undefined;

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
    const unwritten = this.unwritten.get(entryKey(scope, key));
    if (unwritten) return unwritten.answer;
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

  /** Keeps the first answer, written behind the response (see the class). */
  keepAfter(scope: string, key: string, answer: StoredAnswer): StoredAnswer {
    const id = entryKey(scope, key);
    const first = this.unwritten.get(id);
    if (first) return first.answer;
    this.unwritten.set(id, { scope, key, answer });
    this.writing ??= this.writeUnwritten().finally(() => (this.writing = undefined));
    return answer;
  }

  /** What is still unwritten is written before the database closes (a stop, not a crash). */
  async beforeApplicationShutdown(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async writeUnwritten(): Promise<void> {
    // One statement per turn of the event loop's worth of answers: the commands of a burst share it.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.unwritten.size > 0) {
      const batch = [...this.unwritten].slice(0, MAX_BATCH);
      try {
        await this.db.query(
          `INSERT INTO idempotency_keys (scope, key, request_hash, status, body, headers)
           SELECT r.scope, r.key, r.request_hash, r.status, r.body, r.headers
             FROM json_to_recordset($1::json) AS r(scope text, key text, request_hash text, status integer, body json, headers json)
           ON CONFLICT (scope, key) DO NOTHING`,
          [
            JSON.stringify(
              batch.map(([, { scope, key, answer }]) => ({
                scope,
                key,
                request_hash: answer.requestHash,
                status: answer.status,
                body: answer.body ?? null,
                headers: answer.headers,
              })),
            ),
          ],
        );
      } catch (error) {
        // Not lost: a retry gets the same answer from the recorded events.
        this.logger.warn(`${batch.length} answers not kept, retries will be answered from their events: ${String(error)}`);
      }
      for (const [id, entry] of batch) if (this.unwritten.get(id) === entry) this.unwritten.delete(id);
    }
  }
}

function entryKey(scope: string, key: string): string {
  return `${scope}\n${key}`;
}
