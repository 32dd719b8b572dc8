import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, ServiceUnavailableException } from '@nestjs/common';
import { EVENT_STORE, EventStore, Position, START, comparePositions, formatPosition } from '@lib/event-store/event-store.port';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { PROJECTIONS, ProjectionRunner, ProjectionState } from '@lib/projections';
import { CheckpointBoard } from './checkpoint-board';
import { ProjectionLeadership, ProjectionRole } from './projection-leadership';
import { withinBound } from './within-bound';

/** How long a read with `minPosition` waits for its read model before answering 503 (API.md). */
export const MIN_POSITION_WAIT_MS = 5_000;

/** A projection that failed (the database went away, say) is tried again after 100 ms, doubling up to 5 s. */
export const PROJECTION_RETRY = { initialDelayMs: 100, maxDelayMs: 5_000 } as const;

/** Ready means every projection reaches the head of the store, read now, within this long. */
export const READY_LAG_MS = 2_000;

/** Events behind are counted up to this many (a count, not a scan of the whole log). */
const LAG_COUNT_CAP = 1_000;

/** One projection as readiness reports it. */
export interface ProjectionReadiness {
  name: string;
  /** Its state in the runner: on the leader only (a follower sees the leader's checkpoints, not its runner). */
  state?: ProjectionState;
  position: string;
  /** Events of the store after its checkpoint (at most LAG_COUNT_CAP); absent if the store did not answer. */
  lagEvents?: number;
  failure?: string;
}

export interface Readiness {
  ready: boolean;
  /** Why not, when not. */
  reason?: string;
  /** Whether this process runs the projections or follows the checkpoints of the one that does. */
  role: ProjectionRole;
  /** Who runs the projections (application_name of the lock holder: host:pid), when known. */
  leader?: string;
  head?: string;
  projections: ProjectionReadiness[];
}

/** While a read waits for a position, it also looks this often (the runner does not say when a projection fails). */
const WAIT_RECHECK_MS = 250;

/**
 * The projections of the registry for this process. One API process on a database runs them (the
 * leader, ProjectionLeadership); the others (followers) serve the same read models and answer
 * `minPosition` waits, readiness and the feed's wake-ups from the leader's committed checkpoints
 * (CheckpointBoard), which the leader announces after each batch.
 */
@Injectable()
export class ProjectionHost implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly runner: ProjectionRunner;
  private readonly leadership: ProjectionLeadership;
  /** The leader's checkpoints as read from the database; only where several processes may share it. */
  private board: CheckpointBoard | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Set<() => void>();
  private recheck: NodeJS.Timeout | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
  ) {
    this.runner = new ProjectionRunner({
      db,
      store,
      projections: [...PROJECTIONS],
      logger: new Logger('Projections'),
      retry: PROJECTION_RETRY,
      onCommitted: () => this.committed(),
    });
    this.leadership = new ProjectionLeadership({
      db,
      logger: new Logger('Leadership'),
      onElected: () => this.runner.start(),
      onDeposed: () => this.runner.stop(),
      onChange: (role) => {
        this.board?.poll(role === 'follower');
        if (role === 'follower') void this.board?.refresh().catch(() => undefined);
        this.changed();
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.leadership.shared) {
      // NOTIFY channels are database-wide: one per schema, hashed to stay within an identifier's 63 bytes.
      const { rows } = await this.db.query<{ channel: string }>(`SELECT 'projections_' || left(md5(current_schema()), 16) AS channel`);
      this.board = new CheckpointBoard(
        this.db,
        PROJECTIONS.map((projection) => projection.name),
        rows[0].channel,
        () => this.changed(),
      );
      await this.board.listen();
      this.board.poll(true);
      await this.board.refresh();
    }
    await this.leadership.start();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.recheck);
    await this.leadership.close();
    await this.board?.close();
  }

  get role(): ProjectionRole {
    return this.leadership.role;
  }

  /** How far a projection is: the runner's own position on the leader, the committed checkpoint on a follower. */
  positionOf(name: string): Position {
    if (this.role === 'leader' || !this.board) return this.runner.status().find((status) => status.name === name)?.position ?? START;
    return this.board.position(name);
  }

  /** Every projection of the registry with its position (metrics: read on each scrape). */
  progress(): Array<{ name: string; position: Position }> {
    return PROJECTIONS.map((projection) => ({ name: projection.name, position: this.positionOf(projection.name) }));
  }

  /** Every projection's lag behind the store's head now, in events (at most LAG_COUNT_CAP); reads bounded by `boundMs`. */
  async lags(boundMs: number): Promise<Array<{ name: string; lagEvents: number }>> {
    const head = await withinBound(this.store.headPosition(), boundMs);
    return Promise.all(
      this.progress().map(async ({ name, position }) => ({
        name,
        lagEvents: comparePositions(position, head) >= 0 ? 0 : await withinBound(this.countAfter(position), boundMs),
      })),
    );
  }

  /** Calls `listener` whenever a projection may have moved (a commit here, or the leader's checkpoints read again). */
  onProgress(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * API.md: a read with `minPosition=P` answers once its read model has caught up with P, or 503 with
   * Retry-After after a bounded wait. Without P the read answers from what is projected now.
   */
  async ensureCaughtUp(position: Position | undefined): Promise<void> {
    if (!position) return;
    if (await this.waitForPosition(position, MIN_POSITION_WAIT_MS)) return;
    throw new ServiceUnavailableException({ message: 'The read model has not caught up with minPosition yet', retryAfterSeconds: 1 });
  }

  /**
   * True once every projection has applied everything up to `position`; false after `timeoutMs`, or at
   * once on the leader if a projection that is behind has failed. Leader or follower, whichever this
   * process is meanwhile.
   */
  waitForPosition(position: Position, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const settle = (result: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (this.waiters.size === 0) {
          clearInterval(this.recheck);
          this.recheck = undefined;
        }
        resolve(result);
      };
      const check = () => {
        const result = this.reached(position);
        if (result !== undefined) settle(result);
      };
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.waiters.add(check);
      this.recheck ??= setInterval(() => this.changed(), WAIT_RECHECK_MS).unref();
      check();
    });
  }

  /**
   * Ready: the store answers within `boundMs`, and every projection reaches the head read now within
   * READY_LAG_MS: on the leader, running in this process; on a follower, the leader's checkpoints, and a
   * leader exists. Otherwise the role, each projection's checkpoint (and state, on the leader) and lag say why not.
   */
  async readiness(boundMs: number): Promise<Readiness> {
    const role = this.role;
    let head: Position;
    try {
      head = await withinBound(this.store.headPosition(), boundMs);
      if (role === 'follower') await withinBound(this.board!.refresh(), boundMs);
    } catch (error) {
      return { ready: false, role, reason: `The event store does not answer: ${messageOf(error)}`, projections: this.describe() };
    }
    const caughtUp = await this.waitForPosition(head, READY_LAG_MS);
    const leader =
      role === 'leader' ? this.leadership.identity : await withinBound(this.leadership.holder(), boundMs).catch(() => undefined);
    const projections = this.describe();
    const notRunning = role === 'leader' ? projections.filter((projection) => projection.state !== 'running') : [];
    if (caughtUp && notRunning.length === 0 && leader) return { ready: true, role, leader, head: formatPosition(head), projections };
    await Promise.all(
      projections.map(async (projection) => {
        const position = this.positionOf(projection.name);
        if (comparePositions(position, head) >= 0) return void (projection.lagEvents = 0);
        projection.lagEvents = await withinBound(this.countAfter(position), boundMs).catch(() => undefined);
      }),
    );
    const reason = !leader
      ? 'No process leads the projections (nobody holds the projections lock): the read models do not move until one takes it'
      : notRunning.length > 0
        ? `Projection(s) not running: ${notRunning.map((projection) => `${projection.name} (${projection.state})`).join(', ')}`
        : `Projection(s) more than ${READY_LAG_MS} ms behind the head`;
    return { ready: false, reason, role, ...(leader ? { leader } : {}), head: formatPosition(head), projections };
  }

  private reached(position: Position): boolean | undefined {
    if (this.role === 'leader' || !this.board) {
      const behind = this.runner.status().filter((status) => comparePositions(status.position, position) < 0);
      if (behind.length === 0) return true;
      return behind.some((status) => status.state === 'failed') ? false : undefined;
    }
    const board = this.board;
    return PROJECTIONS.every((projection) => comparePositions(board.position(projection.name), position) >= 0) ? true : undefined;
  }

  private committed(): void {
    this.changed();
    // Followers read the checkpoints again when told; a lost notification costs them a poll interval.
    if (this.board) void this.board.announce().catch(() => undefined);
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) waiter();
    for (const listener of [...this.listeners]) listener();
  }

  private describe(): ProjectionReadiness[] {
    if (this.role === 'follower' && this.board) {
      const board = this.board;
      return PROJECTIONS.map((projection) => ({ name: projection.name, position: formatPosition(board.position(projection.name)) }));
    }
    return this.runner.status().map((status) => ({
      name: status.name,
      state: status.state,
      position: formatPosition(status.position),
      ...(status.failure ? { failure: status.failure.message } : {}),
    }));
  }

  private async countAfter(position: Position): Promise<number> {
    let count = 0;
    for await (const _event of this.store.readAll({ after: position, maxCount: LAG_COUNT_CAP })) count++;
    return count;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
