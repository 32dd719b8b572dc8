import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, EventStore } from '@lib/event-store/event-store.port';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Public } from '../auth/auth.guard';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** 200 once the event store and the projections' database answer; 503 otherwise. */
  @Public()
  @Get()
  @HttpCode(200)
  async health(): Promise<{ status: 'ok'; eventStore: string }> {
    try {
      await this.store.ping();
      await this.db.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableException('The event store is not reachable');
    }
    return { status: 'ok', eventStore: this.config.eventStore };
  }
}
