import { Body, Controller, HttpCode, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { ExecuteCommuneCommand, ExecuteSyntecCommand, StreamCommandResult } from '@lib/application';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles } from '../auth/auth.guard';
import { CommandAnswer, commandAnswer, commandContextOf } from '../http/command-http';
import { IdempotencyInterceptor, IdempotentRequest } from '../idempotency/idempotency.interceptor';
import { RecordLegacyConventionRequest, RecordPopulationRequest, RecordSyntecRequest } from './reference.requests';

/** The reference facts that fees and entitlements are computed from (R-FEE-2, R-FEE-3, R-LEG-1). */
@ApiTags('reference facts')
@ApiBearerAuth()
@Controller()
@UseInterceptors(IdempotencyInterceptor)
export class ReferenceController {
  constructor(private readonly commands: CommandBus) {}

  @Post('reference/populations')
  @Roles('admin')
  @HttpCode(201)
  @ApiOperation({ summary: "Record a commune's legal population with the date it came into force (R-FEE-2)" })
  async population(
    @Body() body: RecordPopulationRequest,
    @CurrentActor() actor: Actor,
    @Req() request: IdempotentRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommandAnswer> {
    const { communeInsee, population, effectiveDate, source, reason } = body;
    const result: StreamCommandResult = await this.commands.execute(
      new ExecuteCommuneCommand({ type: 'RecordPopulation', data: { communeInsee, population, effectiveDate, source, ...(reason ? { reason } : {}) } }, commandContextOf(request, actor, body)),
    );
    return commandAnswer(response, result);
  }

  @Post('reference/syntec')
  @Roles('admin')
  @HttpCode(201)
  @ApiOperation({ summary: 'Record a Syntec index value with its publication date (R-FEE-3)' })
  async syntec(
    @Body() body: RecordSyntecRequest,
    @CurrentActor() actor: Actor,
    @Req() request: IdempotentRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommandAnswer> {
    const { period, value, publishedOn, reason } = body;
    const result: StreamCommandResult = await this.commands.execute(
      new ExecuteSyntecCommand({ type: 'RecordSyntecIndex', data: { period, value, publishedOn, ...(reason ? { reason } : {}) } }, commandContextOf(request, actor, body)),
    );
    return commandAnswer(response, result);
  }

  @Post('legacy-conventions')
  @Roles('admin')
  @HttpCode(201)
  @ApiOperation({ summary: 'Record a legacy convention (convention de mise à disposition) and its 2025 contribution (R-LEG-1)' })
  async legacyConvention(
    @Body() body: RecordLegacyConventionRequest,
    @CurrentActor() actor: Actor,
    @Req() request: IdempotentRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommandAnswer> {
    const { communeInsee, communeName, serviceId, offerId, annualContribution, year, startDate, reason } = body;
    const result: StreamCommandResult = await this.commands.execute(
      new ExecuteCommuneCommand(
        {
          type: 'RecordLegacyConvention',
          data: { communeInsee, communeName, serviceId, offerId, annualContribution: annualContribution ?? null, year, startDate: startDate ?? null, ...(reason ? { reason } : {}) },
        },
        commandContextOf(request, actor, body),
      ),
    );
    return commandAnswer(response, result);
  }
}
