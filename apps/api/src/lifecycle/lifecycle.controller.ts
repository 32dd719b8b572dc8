import { Body, Controller, HttpCode, Inject, Logger, Post, Req, UseInterceptors } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { LifecycleService, SYSTEM_ACTOR } from '@lib/application';
import { parisDateOf } from '@lib/domain/shared/calendar-date';
import { comparePositions, formatPosition } from '@lib/event-store/event-store.port';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles } from '../auth/auth.guard';
import { CLOCK, Clock } from '../clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { commandContextOf, eventSummary } from '../http/command-http';
import { IdempotencyInterceptor, IdempotentRequest } from '../idempotency/idempotency.interceptor';
import { RunLifecycleRequest } from './lifecycle.requests';

@ApiTags('lifecycle')
@ApiBearerAuth()
@Controller('lifecycle')
@UseInterceptors(IdempotencyInterceptor)
export class LifecycleController {
  private readonly logger = new Logger('Lifecycle');

  constructor(
    private readonly lifecycle: LifecycleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('run')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record the tacit renewals, expiries and legacy ends due up to asOf (R-CONV-4, R-CONV-5, R-LEG-3); idempotent' })
  async run(@Body() body: RunLifecycleRequest, @CurrentActor() actor: Actor, @Req() request: IdempotentRequest) {
    const recorded = await this.lifecycle.run(body.asOf, commandContextOf(request, actor, body));
    const last = recorded.map((e) => e.position).sort(comparePositions).pop();
    return { asOf: body.asOf, recorded: recorded.map((e) => ({ streamId: e.streamId, ...eventSummary(e) })), position: last ? formatPosition(last) : null };
  }

  /** Every day just after midnight in Paris, for the day that begins (R-TIME-1: Europe/Paris calendar). */
  @Cron('5 0 * * *', { name: 'lifecycle', timeZone: 'Europe/Paris', disabled: process.env.LIFECYCLE_SCHEDULE === 'off' })
  async daily(): Promise<void> {
    if (!this.config.scheduler) return;
    const asOf = parisDateOf(this.clock.now());
    const commandId = randomUUID();
    try {
      const recorded = await this.lifecycle.run(asOf, { actor: SYSTEM_ACTOR, commandId, correlationId: commandId, reason: 'Daily lifecycle run', idempotent: false });
      this.logger.log(`Lifecycle run for ${asOf}: ${recorded.length} event(s) recorded`);
    } catch (error) {
      this.logger.error(`Lifecycle run for ${asOf} failed: ${error instanceof Error ? error.stack : String(error)}`);
    }
  }
}
