import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommandContext, ExecuteCommuneCommand, ExecuteSyntecCommand, StreamCommandResult } from '@lib/application';
import { Roles } from '../auth/auth.guard';
import { CommandCtx } from '../http/command-http';
import { CommandRoute } from '../http/command-route';
import { CommuneCheck } from '../communes/commune-check';
import { RecordLegacyConventionRequest, RecordPopulationRequest, RecordSyntecRequest } from './reference.requests';
import { ApiCommand } from '../http/openapi';

/** The reference facts that fees and entitlements are computed from (R-FEE-2, R-FEE-3, R-LEG-1). */
@ApiTags('reference facts')
@ApiBearerAuth()
@Controller()
export class ReferenceController {
  constructor(
    private readonly commands: CommandBus,
    private readonly communes: CommuneCheck,
  ) {}

  @Post('reference/populations')
  @Roles('admin')
  @HttpCode(201)
  @CommandRoute()
  @ApiOperation({ summary: "Record a commune's legal population with the date it came into force (R-FEE-2)" })
  @ApiCommand({ status: 201 })
  population(@Body() body: RecordPopulationRequest, @CommandCtx() context: CommandContext): Promise<StreamCommandResult> {
    const { insee: communeInsee } = this.communes.recordable(body.communeInsee); // R-COM-1, R-COM-2
    const { population, effectiveDate, source, reason } = body;
    return this.commands.execute(
      new ExecuteCommuneCommand(
        { type: 'RecordPopulation', data: { communeInsee, population, effectiveDate, source, ...(reason ? { reason } : {}) } },
        context,
      ),
    );
  }

  @Post('reference/syntec')
  @Roles('admin')
  @HttpCode(201)
  @CommandRoute()
  @ApiOperation({ summary: 'Record a Syntec index value with its publication date (R-FEE-3)' })
  @ApiCommand({ status: 201 })
  syntec(@Body() body: RecordSyntecRequest, @CommandCtx() context: CommandContext): Promise<StreamCommandResult> {
    const { period, value, publishedOn, reason } = body;
    return this.commands.execute(
      new ExecuteSyntecCommand({ type: 'RecordSyntecIndex', data: { period, value, publishedOn, ...(reason ? { reason } : {}) } }, context),
    );
  }

  @Post('legacy-conventions')
  @Roles('admin')
  @HttpCode(201)
  @CommandRoute()
  @ApiOperation({ summary: 'Record a legacy convention (convention de mise à disposition) and its 2025 contribution (R-LEG-1)' })
  @ApiCommand({ status: 201 })
  legacyConvention(@Body() body: RecordLegacyConventionRequest, @CommandCtx() context: CommandContext): Promise<StreamCommandResult> {
    const { insee: communeInsee, name: communeName } = this.communes.recordable(body.communeInsee, body.communeName); // R-COM-1..3
    const { serviceId, offerId, annualContribution, year, startDate, reason } = body;
    return this.commands.execute(
      new ExecuteCommuneCommand(
        {
          type: 'RecordLegacyConvention',
          data: {
            communeInsee,
            communeName,
            serviceId,
            offerId,
            annualContribution: annualContribution ?? null,
            year,
            startDate: startDate ?? null,
            ...(reason ? { reason } : {}),
          },
        },
        context,
      ),
    );
  }
}
