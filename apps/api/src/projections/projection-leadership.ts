import { hostname } from 'node:os';
import { SqlDatabase, SqlSession } from '@lib/event-store/sql/sql-database';
import { withinBound } from './within-bound';

/**
 * The session-level advisory lock that makes one process the projection leader. The two-key form, keyed
 * by schema: advisory locks are database-wide, and processes on another schema (tests, tenants) lead
 * their own projections. It lives in its own key space (objsubid 2), apart from the one-key locks.
 */
const LOCK_KEYS = `hashtext(current_schema()), hashtext('conventions-cadre:projections')`;

/** How often a follower tries to take the lock, and the leader checks it still holds its connection. */
export const LEADERSHIP_TICK_MS = 1_000;
/**
 * The leader's check of its lock connection must answer within this, or it steps down: on a cut link it
 * then stops (about a tick plus this after the cut) before PostgreSQL frees the lock (SERVER_KEEPALIVE).
 */
const HEARTBEAT_BOUND_MS = 2_500;

/**
 * The server ends the lock session when it has been idle this long (idle_session_timeout, PostgreSQL 14+).
 * The leader's heartbeat keeps it busy every tick, so only a frozen leader (SIGSTOP, an event loop blocked
 * this long) meets it: its lock is freed, though its kernel still answers TCP keepalives.
 */
const IDLE_SESSION_TIMEOUT_MS = 5_000;

/**
 * Server-side TCP keepalive on the lock connection: a leader whose host vanishes (no FIN, no RST) is
 * noticed by PostgreSQL after about idle + interval × count = 5 s of silence, and its lock released.
 * The leader itself gives up sooner (its heartbeat bound), so it stops before another can take over.
 */
const SERVER_KEEPALIVE = { idle: 3, interval: 1, count: 2 } as const;

/** What an API process is for the projections: the one that runs them, or one that reads their checkpoints. */
export type ProjectionRole = 'leader' | 'follower';

export interface LeadershipLogger {
  log(message: string): void;
  warn(message: string): void;
}

export interface ProjectionLeadershipOptions {
  db: SqlDatabase;
  /** Runs the projections; called once the lock is held. A rejection gives the lock back (tried again at the next tick). */
  onElected(): Promise<void>;
  /** Stops the projections; called as soon as the lock is lost or given back. */
  onDeposed(): Promise<void>;
  /** Called after every change of role. */
  onChange?(role: ProjectionRole): void;
  logger: LeadershipLogger;
  tickMs?: number;
  /** Its name for the others (application_name); host:pid unless given (tests run several in one process). */
  identity?: string;
}

/**
 * Exactly one process runs the projections: the holder of a session-level advisory lock, held on a
 * connection of its own (SqlDatabase.session()). Every process tries to take it; the holder runs the
 * projections and checks its connection every tick; the others try again every tick. A holder killed
 * -9 loses its session when PostgreSQL sees the socket close (at once on loopback), so another takes
 * over within about a tick. A holder that loses its lock connection stops its projections at once
 * (even a late commit of the old leader is harmless: the checkpoint row's FOR UPDATE makes the two
 * take turns and skip what the other applied). Where there is no session to hold (PGlite: one process
 * per DATA_DIR), the process simply leads.
 */
export class ProjectionLeadership {
  /** This process's name in pg_stat_activity, so that a follower can say who leads. */
  readonly identity: string;
  private state: 'follower' | 'electing' | 'leader' = 'follower';
  private session: SqlSession | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private closed = false;
  /** A deposed leader waits until then before trying again: a process whose link just failed lets the others go first. */
  private restUntil = 0;
  private readonly tickMs: number;

  constructor(private readonly options: ProjectionLeadershipOptions) {
    this.tickMs = options.tickMs ?? LEADERSHIP_TICK_MS;
    this.identity = options.identity ?? `conventions-cadre ${hostname()}:${process.pid}`;
  }

  /** Whether leadership is contested at all: false where the database has one connection (PGlite). */
  get shared(): boolean {
    return typeof this.options.db.session === 'function';
  }

  get role(): ProjectionRole {
    return this.state === 'leader' ? 'leader' : 'follower';
  }

  /** Makes the first attempt (awaited: a lone process starts as leader), then keeps trying every tick. */
  async start(): Promise<void> {
    if (!this.shared) {
      await this.options.onElected();
      this.change('leader');
      return;
    }
    await this.tick();
  }

  /** Stops the projections first, then gives the lock back, so that the next leader starts after our last commit. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.ticking;
    if (this.state !== 'follower') await this.options.onDeposed();
    this.state = 'follower';
    await this.session?.close();
    this.session = undefined;
  }

  /**
   * The identity of the process holding the lock (its application_name), or undefined if none does.
   * Read from pg_locks, so it names whoever leads, whichever process asks.
   */
  async holder(): Promise<string | undefined> {
    if (!this.shared) return this.identity;
    const { rows } = await this.options.db.query<{ holder: string | null }>(
      `SELECT coalesce(a.application_name, '') AS holder
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND (l.classid, l.objid) = (SELECT k1::oid, k2::oid FROM (SELECT ${LOCK_KEYS}) AS keys(k1, k2))`,
    );
    return rows[0] ? rows[0].holder || 'an unnamed session' : undefined;
  }

  private tick(): Promise<void> {
    this.ticking = (this.state === 'leader' ? this.heartbeat() : this.tryToLead())
      .catch((error: unknown) => this.lose(error))
      .finally(() => {
        if (!this.closed) this.timer = setTimeout(() => void this.tick(), this.tickMs).unref();
      });
    return this.ticking;
  }

  private async tryToLead(): Promise<void> {
    if (Date.now() < this.restUntil) return;
    const session = (this.session ??= await this.open());
    const { rows } = await session.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEYS}) AS locked`);
    if (!rows[0]?.locked || this.closed) return;
    this.state = 'electing';
    // The start may take a while: the lock session must not look idle (idle_session_timeout) meanwhile.
    const keepBusy = setInterval(() => void session.query('SELECT 1').catch(() => undefined), this.tickMs);
    try {
      await this.options.onElected();
    } catch (error) {
      this.options.logger.warn(`Took the projections lock but could not start the projections: ${messageOf(error)}; giving it back`);
      await this.options.onDeposed().catch(() => undefined);
      await session.query(`SELECT pg_advisory_unlock(${LOCK_KEYS})`).catch(() => this.drop(session));
      this.state = 'follower';
      return;
    } finally {
      clearInterval(keepBusy);
    }
    if (this.session !== session || this.closed) {
      // Lost meanwhile: lose() saw 'electing' and stopped them; a start that finished after must stop too.
      await this.options.onDeposed();
      return;
    }
    this.options.logger.log(`This process leads the projections (${this.identity})`);
    this.change('leader');
  }

  /** The lock lives as long as its session: a session that answers still holds it. */
  private async heartbeat(): Promise<void> {
    const session = this.session;
    if (!session) throw new Error('the lock connection is gone');
    await withinBound(session.query('SELECT 1'), HEARTBEAT_BOUND_MS);
  }

  private async open(): Promise<SqlSession> {
    const session = await this.options.db.session!();
    void session.ended.then((error) => {
      if (this.session === session && !this.closed) this.lose(error ?? new Error('the lock connection ended'));
    });
    try {
      await session.query(`SELECT set_config('application_name', $1, false)`, [this.identity]);
      await session.query(
        `SELECT set_config('tcp_keepalives_idle', $1, false), set_config('tcp_keepalives_interval', $2, false),
                set_config('tcp_keepalives_count', $3, false)`,
        [String(SERVER_KEEPALIVE.idle), String(SERVER_KEEPALIVE.interval), String(SERVER_KEEPALIVE.count)],
      );
    } catch (error) {
      await session.close();
      throw error;
    }
    // Before PostgreSQL 14 there is no such setting: a frozen leader then keeps the lock until it is killed.
    await session.query(`SELECT set_config('idle_session_timeout', $1, false)`, [String(IDLE_SESSION_TIMEOUT_MS)]).catch(() => undefined);
    return session;
  }

  /** The lock connection failed or stopped answering: whatever it held is gone (or soon will be). */
  private lose(error: unknown): void {
    const session = this.session;
    if (session) this.drop(session);
    if (this.state === 'follower') return; // a follower tries again at the next tick, on a new connection
    this.options.logger.warn(`Lost the projections lock connection (${messageOf(error)}): stopping the projections, following`);
    this.restUntil = Date.now() + 2 * this.tickMs;
    this.change('follower');
    void this.options.onDeposed().catch(() => undefined);
  }

  /** Closing it ends the session on the server too, if it still lives: never two holders. */
  private drop(session: SqlSession): void {
    if (this.session === session) this.session = undefined;
    void session.close();
  }

  private change(role: ProjectionRole): void {
    this.state = role;
    this.options.onChange?.(role);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
