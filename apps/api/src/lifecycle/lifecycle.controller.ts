import { Body, Controller, HttpCode, Inject, Logger, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Cron } from '@nestjs/schedule';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommandContext, LifecycleRunResult, RunLifecycleCommand, systemCommandContext } from '@lib/application';
import { parisDateOf } from '@lib/domain/shared/calendar-date';
import { comparePositions, formatPosition } from '@lib/event-store/event-store.port';
import { Roles } from '../auth/auth.guard';
import { CLOCK, Clock } from '../clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { CommandCtx, eventSummary } from '../http/command-http';
import { CommandRoute, HttpCommandAnswer } from '../http/command-route';
import { RunLifecycleRequest } from './lifecycle.requests';
import { ApiCommand } from '../http/openapi';

/** A run writes many streams: no ETag; each recorded event names its stream. */
function lifecycleAnswer({ asOf, recorded }: LifecycleRunResult): HttpCommandAnswer {
  const last = recorded
    .map((e) => e.position)
    .sort(comparePositions)
    .pop();
  return {
    body: {
      asOf,
      recorded: recorded.map((e) => ({ streamId: e.streamId, ...eventSummary(e) })),
      position: last ? formatPosition(last) : null,
    },
  };
}

@ApiTags('lifecycle')
@ApiBearerAuth()
@Controller('lifecycle')
export class LifecycleController {
  private readonly logger = new Logger('Lifecycle');

  constructor(
    private readonly commands: CommandBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('run')
  @Roles('admin')
  @HttpCode(200)
  @CommandRoute(lifecycleAnswer)
  @ApiOperation({ summary: 'Record the tacit renewals, expiries and legacy ends due up to asOf (R-CONV-4, R-CONV-5, R-LEG-3); idempotent' })
  @ApiCommand({ status: 200, answer: 'LifecycleRunAnswer', etag: false })
  run(@Body() body: RunLifecycleRequest, @CommandCtx() context: CommandContext): Promise<LifecycleRunResult> {
    return this.commands.execute(new RunLifecycleCommand(body.asOf, context));
  }

  /** Every day just after midnight in Paris, for the day that begins (R-TIME-1: Europe/Paris calendar). */
  @Cron('5 0 * * *', { name: 'lifecycle', timeZone: 'Europe/Paris', disabled: process.env.LIFECYCLE_SCHEDULE === 'off' })
  async daily(): Promise<void> {
    if (!this.config.scheduler) return;
    const asOf = parisDateOf(this.clock.now());
    try {
      const { recorded } = await this.commands.execute(new RunLifecycleCommand(asOf, systemCommandContext('Daily lifecycle run')));
      this.logger.log(`Lifecycle run for ${asOf}: ${recorded.length} event(s) recorded`);
    } catch (error) {
      this.logger.error(`Lifecycle run for ${asOf} failed: ${error instanceof Error ? error.stack : String(error)}`);
    }
  }
}
