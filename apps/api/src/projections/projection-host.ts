import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, ServiceUnavailableException } from '@nestjs/common';
import { EVENT_STORE, EventStore, Position } from '@lib/event-store/event-store.port';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { PROJECTIONS, ProjectionRunner } from '@lib/projections';

/** How long a read with `minPosition` waits for its read model before answering 503 (API.md). */
export const MIN_POSITION_WAIT_MS = 5_000;

/** Runs every projection of the registry in this process, from its checkpoint, while the API is up. */
@Injectable()
export class ProjectionHost implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly runner: ProjectionRunner;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(SQL_DATABASE) db: SqlDatabase,
  ) {
    this.runner = new ProjectionRunner({ db, store, projections: [...PROJECTIONS], logger: new Logger('Projections') });
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
}
