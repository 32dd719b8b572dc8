import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, ServiceUnavailableException } from '@nestjs/common';
import { EVENT_STORE, EventStore, Position, comparePositions, formatPosition } from '@lib/event-store/event-store.port';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { PROJECTIONS, ProjectionRunner, ProjectionState } from '@lib/projections';

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
  state: ProjectionState;
  position: string;
  /** Events of the store after its checkpoint (at most LAG_COUNT_CAP); absent if the store did not answer. */
  lagEvents?: number;
  failure?: string;
}

export interface Readiness {
  ready: boolean;
  /** Why not, when not. */
  reason?: string;
  head?: string;
  projections: ProjectionReadiness[];
}

/** Runs every projection of the registry in this process, from its checkpoint, while the API is up. */
@Injectable()
export class ProjectionHost implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly runner: ProjectionRunner;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SQL_DATABASE) db: SqlDatabase,
  ) {
    this.runner = new ProjectionRunner({
      db,
      store,
      projections: [...PROJECTIONS],
      logger: new Logger('Projections'),
      retry: PROJECTION_RETRY,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }

  /**
   * API.md: a read with `minPosition=P` answers once its read model has caught up with P, or 503 with
   * Retry-After after a bounded wait. Without P the read answers from what is projected now.
   */
  async ensureCaughtUp(position: Position | undefined): Promise<void> {
    if (!position) return;
    if (await this.runner.waitForPosition(position, MIN_POSITION_WAIT_MS)) return;
    throw new ServiceUnavailableException({ message: 'The read model has not caught up with minPosition yet', retryAfterSeconds: 1 });
  }

  /**
   * Ready: the store answers within `boundMs`, and every projection is running and reaches the head read
   * now within READY_LAG_MS. Otherwise each projection's state, checkpoint and lag say why not.
   */
  async readiness(boundMs: number): Promise<Readiness> {
    let head: Position;
    try {
      head = await withinBound(this.store.headPosition(), boundMs);
    } catch (error) {
      return { ready: false, reason: `The event store does not answer: ${messageOf(error)}`, projections: this.describe() };
    }
    const caughtUp = await this.runner.waitForPosition(head, READY_LAG_MS);
    const projections = this.describe();
    const notRunning = projections.filter((projection) => projection.state !== 'running');
    if (caughtUp && notRunning.length === 0) return { ready: true, head: formatPosition(head), projections };
    await Promise.all(
      projections.map(async (projection, i) => {
        const status = this.runner.status()[i];
        if (comparePositions(status.position, head) >= 0) return void (projection.lagEvents = 0);
        projection.lagEvents = await withinBound(this.countAfter(status.position), boundMs).catch(() => undefined);
      }),
    );
    const reason =
      notRunning.length > 0
        ? `Projection(s) not running: ${notRunning.map((projection) => `${projection.name} (${projection.state})`).join(', ')}`
        : `Projection(s) more than ${READY_LAG_MS} ms behind the head`;
    return { ready: false, reason, head: formatPosition(head), projections };
  }

  private describe(): ProjectionReadiness[] {
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

/**
 * The promise's answer, or a rejection once `ms` have passed. The call itself goes on (pg has no way to
 * cancel it) but is bounded too: the pool's query timeout ends it and throws its connection away.
 */
export function withinBound<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined); // the loser of the race must not become an unhandled rejection
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
