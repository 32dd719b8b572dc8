import { ConflictException, Inject, Injectable, Logger, NotFoundException, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { EVENT_STORE, EventStore, formatPosition } from '@lib/event-store/event-store.port';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { CopyComparison, PROJECTIONS, ProjectionRunner } from '@lib/projections';
import type { RebuildState, RebuildView } from '@lib/contract';
import { ProjectionHost } from '../projections/projection-host';

/** The suffix of the fresh tables a rebuild fills beside the live ones. */
export const REBUILD_SUFFIX = '_rebuild';
/** How long the check waits for the copy and the live tables to stand at the same checkpoint. */
const SETTLE_MS = 10_000;

interface Job {
  id: string;
  state: RebuildState;
  startedAt: number;
  totalEvents: number;
  runner: ProjectionRunner;
  checks: CopyComparison[];
  error?: string;
  finishedAt?: number;
}

/**
 * The operator's replay (README, "Entitlements, audit and replay"): every projection rebuilt from
 * position 0 into fresh tables (suffix `_rebuild`) while the live ones keep serving; once caught up,
 * each is compared with its live twin at the same checkpoint (row counts and md5); on request the
 * copies are swapped in, one projection at a time, each in one transaction (ProjectionRunner.adopt).
 * One job at a time; the CLI drives it over HTTP (rebuild-projections).
 */
@Injectable()
export class RebuildService implements OnApplicationShutdown {
  private readonly logger = new Logger('Rebuild');
  private job: Job | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    private readonly host: ProjectionHost,
  ) {}

  async start(): Promise<RebuildView> {
    this.onLeader();
    if (this.job && ['rebuilding', 'checking', 'ready', 'swapping'].includes(this.job.state))
      throw new ConflictException(`Rebuild ${this.job.id} is ${this.job.state}: swap or cancel it first`);
    const runner = new ProjectionRunner({
      db: this.db,
      store: this.store,
      projections: [...PROJECTIONS],
      suffix: REBUILD_SUFFIX,
      logger: this.logger,
    });
    const job: Job = {
      id: randomUUID(),
      state: 'rebuilding',
      startedAt: Date.now(),
      totalEvents: await this.store.eventCount(),
      runner,
      checks: [],
    };
    this.job = job;
    void this.run(job);
    return this.view(job);
  }

  get(id: string): RebuildView {
    return this.view(this.find(id));
  }

  async swap(id: string): Promise<RebuildView> {
    const job = this.find(id);
    if (job.state !== 'ready') throw new ConflictException(`Rebuild ${id} is ${job.state}: only a ready rebuild can be swapped in`);
    this.onLeader();
    job.state = 'swapping';
    try {
      await job.runner.stop();
      for (const projection of PROJECTIONS) await this.host.runner.adopt(projection.name, REBUILD_SUFFIX);
      job.state = 'swapped';
    } catch (error) {
      this.fail(job, error);
    }
    job.finishedAt = Date.now();
    return this.view(job);
  }

  async cancel(id: string): Promise<RebuildView> {
    const job = this.find(id);
    if (['swapping', 'swapped', 'cancelled'].includes(job.state)) throw new ConflictException(`Rebuild ${id} is ${job.state}`);
    await job.runner.discard();
    job.state = 'cancelled';
    job.finishedAt = Date.now();
    return this.view(job);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job?.runner.stop();
  }

  private async run(job: Job): Promise<void> {
    try {
      // Together: one read of the log feeds every copy.
      await job.runner.rebuild(PROJECTIONS.map((projection) => projection.name));
      if (job.state !== 'rebuilding') return;
      job.state = 'checking';
      for (const projection of PROJECTIONS) job.checks.push(await this.compare(projection.name));
      if (job.state === 'checking') job.state = 'ready';
      this.logger.log(
        `Rebuild ${job.id}: ready, ${job.checks.filter((check) => !check.equal).length} projection(s) differ from the live ones`,
      );
    } catch (error) {
      if (job.state === 'rebuilding' || job.state === 'checking') this.fail(job, error);
    }
  }

  /** The copy and the live tables both follow the store: compare them once they stand at the same checkpoint. */
  private async compare(name: string): Promise<CopyComparison> {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const comparison = await this.host.runner.compareWithCopy(name, REBUILD_SUFFIX);
      if (comparison.samePosition || Date.now() > deadline) return comparison;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private fail(job: Job, error: unknown): void {
    job.state = 'failed';
    job.error = error instanceof Error ? error.message : String(error);
    this.logger.error(`Rebuild ${job.id} failed: ${job.error}`);
  }

  /** The swap restarts the live projections in this process: only the one that leads them may (docs/deployment.md). */
  private onLeader(): void {
    if (this.host.role !== 'leader')
      throw new ConflictException('This process follows the projections of another one (GET /api/health/ready names it): rebuild there');
  }

  private find(id: string): Job {
    if (!this.job || this.job.id !== id) throw new NotFoundException(`No rebuild ${id}`);
    return this.job;
  }

  private view(job: Job): RebuildView {
    const counts = job.runner.eventsSinceStart();
    const statuses = job.runner.status();
    const eventsDone = Math.min(job.totalEvents, ...statuses.map((status) => counts[status.name] ?? 0));
    const seconds = ((job.finishedAt ?? Date.now()) - job.startedAt) / 1000;
    const rate = seconds > 0 ? eventsDone / seconds : 0;
    const remaining = Math.max(0, job.totalEvents - eventsDone);
    return {
      jobId: job.id,
      state: job.state,
      startedAt: new Date(job.startedAt).toISOString(),
      totalEvents: job.totalEvents,
      eventsDone,
      eventsPerSecond: Math.round(rate),
      remainingSeconds: job.state !== 'rebuilding' ? 0 : rate > 0 ? Math.ceil(remaining / rate) : null,
      projections: statuses.map((status) => {
        const check = job.checks.find((c) => c.name === status.name);
        return {
          name: status.name,
          eventsDone: counts[status.name] ?? 0,
          position: formatPosition(status.position),
          state: status.failure ? `failed: ${status.failure.message}` : status.state,
          ...(check
            ? {
                check: {
                  equal: check.equal,
                  samePosition: check.samePosition,
                  position: formatPosition(check.copy.position),
                  live: check.live.tables,
                  rebuilt: check.copy.tables,
                },
              }
            : {}),
        };
      }),
      ...(job.error ? { error: job.error } : {}),
    };
  }
}
