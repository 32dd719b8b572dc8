/**
 * The few things the PostgreSQL-family code needs from a database, so that one SQL text serves both
 * `pg` (a pool) and PGlite (embedded). Projections keep their tables and checkpoints through it too.
 */
export interface SqlResult<R> {
  rows: R[];
  rowCount: number;
}

export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<SqlResult<R>>;
}

export interface SqlDatabase extends SqlExecutor {
  readonly dialect: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** LISTEN on a channel; the returned function stops listening. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /**
   * A connection of its own, outside the pool, for state that lives as long as a session (a session-level
   * advisory lock: projection leadership). Absent where there is one connection only (PGlite).
   */
  session?(): Promise<SqlSession>;
}

/** One database session on a connection of its own; what it holds (locks) ends with it. */
export interface SqlSession extends SqlExecutor {
  /** Resolves (never rejects) once the connection is lost or closed, with the error that ended it, if any. */
  readonly ended: Promise<Error | undefined>;
  /** Ends the session (and so releases what it holds); never rejects. */
  close(): Promise<void>;
}
