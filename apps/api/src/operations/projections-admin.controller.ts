import { Controller, Delete, Get, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { formatPosition } from '@lib/event-store/event-store.port';
import { Roles } from '../auth/auth.guard';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { ProjectionHost } from '../projections/projection-host';
import type { RebuildView } from '@lib/contract';
import { RebuildService } from './rebuild.service';
import { ApiAnswer, ApiIdempotent, ApiProblems, ApiRead } from '../http/openapi';

/** Operator routes for the read models (the CLI's rebuild-projections drives them). Role admin. */
@ApiTags('operations')
@ApiBearerAuth()
@Controller('admin/projections')
@UseInterceptors(IdempotencyInterceptor)
export class ProjectionsAdminController {
  constructor(
    private readonly rebuilds: RebuildService,
    private readonly host: ProjectionHost,
  ) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'Each live projection: state, checkpoint, failure' })
  @ApiRead('ProjectionStatus', { array: true })
  status() {
    return this.host.runner.status().map((status) => ({
      ...status,
      position: formatPosition(status.position),
      ...(status.failure ? { failure: { ...status.failure, position: formatPosition(status.failure.position) } } : {}),
    }));
  }

  @Post('rebuild')
  @Roles('admin')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Rebuild every projection from position 0 into fresh tables beside the live ones, then compare them (checksums)',
  })
  @ApiIdempotent()
  @ApiAnswer('Rebuild', { status: 202, description: 'Started: follow it with GET …/rebuild/{job}' })
  @ApiProblems(401, 403, 409, 503)
  start(): Promise<RebuildView> {
    return this.rebuilds.start();
  }

  @Get('rebuild/:job')
  @Roles('admin')
  @ApiOperation({ summary: "A rebuild's progress (events done, rate, remaining) and, once ready, its checks" })
  @ApiRead('Rebuild')
  @ApiProblems(404)
  progress(@Param('job') job: string): RebuildView {
    return this.rebuilds.get(job);
  }

  @Post('rebuild/:job/swap')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Swap the rebuilt tables in for the live ones, each projection in one transaction, without stopping the API' })
  @ApiIdempotent()
  @ApiAnswer('Rebuild')
  @ApiProblems(401, 403, 404, 409, 503)
  swap(@Param('job') job: string): Promise<RebuildView> {
    return this.rebuilds.swap(job);
  }

  @Delete('rebuild/:job')
  @Roles('admin')
  @ApiOperation({ summary: 'Give a rebuild up: its tables are dropped, the live ones stay' })
  @ApiAnswer('Rebuild')
  @ApiProblems(401, 403, 404, 409, 503)
  cancel(@Param('job') job: string): Promise<RebuildView> {
    return this.rebuilds.cancel(job);
  }
}
