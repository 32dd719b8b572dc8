import { Client, ClientConfig, Pool, PoolClient, PoolConfig } from 'pg';
import { SqlDatabase, SqlExecutor, SqlResult, SqlSession } from './sql-database';
import { isConnectionFailure } from './connection-failure';

/**
 * Bounds on every database call, so that a database that is down or hung (its processes stopped: the
 * TCP connection stays open and nothing answers) costs a bounded wait and an error, never a hang.
 */
export interface PgTimeouts {
  /** Opening a connection, or waiting for a free one in the pool. */
  connectTimeoutMs: number;
  /** One statement, on the server (57014); the client gives up a little later if the server says nothing. */
  statementTimeoutMs: number;
  /** Waiting for a lock, on the server (55P03). */
  lockTimeoutMs: number;
  /** A transaction left idle (its client gone quiet), on the server (25P03). */
  idleInTransactionTimeoutMs: number;
}

export const DEFAULT_PG_TIMEOUTS: PgTimeouts = {
  connectTimeoutMs: 5_000,
  statementTimeoutMs: 15_000,
  lockTimeoutMs: 5_000,
  idleInTransactionTimeoutMs: 15_000,
};

/**
 * The client-side bound on a query, past the server's statement timeout: a live server answers 57014
 * first (and the connection stays usable); only a server that says nothing at all meets this one.
 */
const QUERY_TIMEOUT_MARGIN_MS = 2_000;

/** The LISTEN connection is opened again after a loss, waiting this long first (doubling up to the cap). */
const RELISTEN_DELAY_MS = { initial: 100, max: 5_000 };

export interface PgPoolDatabaseOptions {
  connectionString: string;
  /** A schema of its own (created if missing), so that test suites and tenants never see each other. */
  schema?: string;
  max?: number;
  timeouts?: Partial<PgTimeouts>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A quoted identifier for LISTEN/UNLISTEN (channels are ours, but never spliced raw). */
const channelName = (channel: string) => `"${channel.replace(/"/g, '')}"`;

export class PgPoolDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  private closing = false;

  private constructor(
    private readonly pool: Pool,
    readonly schema: string | undefined,
    /** What the pool's connections are opened with, for a session of its own (session()). */
    private readonly connection: ClientConfig,
  ) {}

  static async connect(options: PgPoolDatabaseOptions): Promise<PgPoolDatabase> {
    const { connectionString, schema, max = 10 } = options;
    const timeouts = { ...DEFAULT_PG_TIMEOUTS, ...options.timeouts };
    const bounds: PoolConfig = {
      connectionTimeoutMillis: timeouts.connectTimeoutMs,
      statement_timeout: timeouts.statementTimeoutMs,
      query_timeout: timeouts.statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
      lock_timeout: timeouts.lockTimeoutMs,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
      // A peer gone without a word (no RST) is noticed on idle connections too, the LISTEN one above all.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    };
    if (schema !== undefined) {
      if (!SCHEMA_NAME.test(schema)) throw new Error(`Invalid schema name: ${schema}`);
      const setup = new Pool({ connectionString, max: 1, ...bounds });
      setup.on('error', () => undefined);
      try {
        await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      } finally {
        await setup.end();
      }
    }
    // jit=off: on the default settings the sealer's statement (a join the planner over-estimates) was
    // JIT-compiled at every call, 200 ms of compilation for 0.06 ms of execution (EXPLAIN ANALYZE), and
    // it was most of a command's database time (pg_stat_statements). No statement here runs long
    // enough for JIT to pay.
    const settings = ['-c jit=off', ...(schema ? [`-c search_path=${schema}`] : [])].join(' ');
    const connection: ClientConfig = { connectionString, ...bounds, options: settings };
    const pool = new Pool({ ...connection, max });
    // A client's 'error' event (the server shutting down, the socket reset) with no listener would crash
    // the process. The pool listens only while a client is idle, and a checked-out client is handed over a
    // turn before its user can listen: a shutdown notice in the same packet as the hand-over crashed it.
    // So every client listens for its whole life; the query in flight rejects anyway, and a client that
    // failed is not queryable any more, so the pool drops it on release.
    pool.on('connect', (client) => client.on('error', () => undefined));
    pool.on('error', () => undefined);
    return new PgPoolDatabase(pool, schema, connection);
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
    // pg-pool releases the client with the error, so a connection that failed is not reused.
    const result = await this.pool.query(sql, params as unknown[]);
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A connection lost while checked out (its 'error' event; the pool-wide listener keeps it from
    // crashing the process) is released as broken, so that the pool does not hand it out again.
    let broken: Error | undefined;
    const onError = (error: Error) => void (broken ??= error);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(clientExecutor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection lost, unanswered or past a bound is thrown away: a ROLLBACK on it could only wait for
      // another timeout, and the server rolls back the transaction of a connection that ends.
      if (isConnectionFailure(error)) broken ??= error as Error;
      else await client.query('ROLLBACK').catch((rollbackError: Error) => void (broken ??= rollbackError));
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /**
   * LISTEN on a connection of its own, kept for as long as the listener is: when that connection is lost
   * (the server restarted), it is opened again with backoff, and `onNotify('')` is called once listening
   * again, since notifications sent meanwhile are lost. The first LISTEN must succeed: its error is thrown.
   */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    let stopped = false;
    let current: { client: PoolClient; letGo: (error?: Error) => void } | undefined;
    let retry: NodeJS.Timeout | undefined;
    let delay = RELISTEN_DELAY_MS.initial;
    const handler = (message: { channel: string; payload?: string }) => {
      if (message.channel === channel) onNotify(message.payload ?? '');
    };

    const open = async (): Promise<void> => {
      const client = await this.pool.connect();
      let released = false;
      const letGo = (error?: Error) => {
        if (released) return;
        released = true;
        client.off('notification', handler);
        client.off('error', onLost);
        client.off('end', onEnd);
        if (current?.client === client) current = undefined;
        client.release(error);
      };
      // 'error' (shut down, reset) or a bare 'end': either way this connection hears nothing any more.
      const onLost = (error: Error) => {
        letGo(error);
        if (!stopped && !this.closing) schedule();
      };
      const onEnd = () => onLost(new Error('LISTEN connection ended'));
      client.on('error', onLost);
      client.once('end', onEnd);
      client.on('notification', handler);
      try {
        await client.query(`LISTEN ${channelName(channel)}`);
      } catch (error) {
        letGo(error as Error);
        throw error;
      }
      if (released) throw new Error('LISTEN connection lost while starting');
      current = { client, letGo };
      delay = RELISTEN_DELAY_MS.initial;
    };

    const schedule = () => {
      if (retry) return;
      retry = setTimeout(() => {
        retry = undefined;
        if (stopped || this.closing) return;
        open().then(
          () => onNotify(''), // wake the subscribers: what was notified while deaf is read now
          () => {
            delay = Math.min(delay * 2, RELISTEN_DELAY_MS.max);
            if (!stopped && !this.closing) schedule();
          },
        );
      }, delay);
      retry.unref();
    };

    await open();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      const listening = current;
      if (!listening) return;
      const { client } = listening;
      client.off('notification', handler);
      const failed = await client.query(`UNLISTEN ${channelName(channel)}`).then(
        () => undefined,
        (error: Error) => error,
      );
      listening.letGo(failed);
    };
  }

  /**
   * A connection of its own (not a pool client, so it never goes back to the pool with its session state),
   * opened with the pool's bounds and search_path. Like pooled ones, it listens for `error` for its whole
   * life, so a lost connection never ends the process: `ended` resolves instead.
   */
  async session(): Promise<SqlSession> {
    const client = new Client(this.connection);
    const connectTimeoutMs = this.connection.connectionTimeoutMillis ?? DEFAULT_PG_TIMEOUTS.connectTimeoutMs;
    let end!: (error: Error | undefined) => void;
    const ended = new Promise<Error | undefined>((resolve) => (end = resolve));
    client.on('error', (error) => end(error));
    client.once('end', () => end(undefined));
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return {
      ended,
      async query<R>(sql: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
        const result = await client.query(sql, params as unknown[]);
        return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
      },
      async close() {
        // A hung server never answers the goodbye: past the connect bound the socket is destroyed instead.
        const ending = client.end().then(
          () => true,
          () => true,
        );
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, connectTimeoutMs, false)));
        if (!(await Promise.race([ending, late])))
          (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
        clearTimeout(timer);
        end(undefined);
      },
    };
  }

  async close(): Promise<void> {
    this.closing = true;
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
