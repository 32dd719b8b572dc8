import { Body, Controller, Get, Headers, HttpCode, Inject, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import {
  CONVENTION_ID_FORMAT,
  CommandContext,
  ExecuteConventionCommand,
  SignConventionCommand,
  SignConventionResult,
  StreamCommandResult,
  loadConvention,
} from '@lib/application';
import { EVENT_STORE, EventStore } from '@lib/event-store/event-store.port';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles, assertMayReadCommune } from '../auth/auth.guard';
import { CommandCtx, expectedVersionOf } from '../http/command-http';
import { CommandRoute, streamAnswer } from '../http/command-route';
import { CATALOGUE_ID } from '../http/validators';
import {
  AddAnnexRequest,
  ChangeOfferRequest,
  NonRenewalRequest,
  SignConventionRequest,
  StopServiceRequest,
  TerminationRequest,
} from './convention.requests';
import { ConventionView, conventionView } from './convention.view';
import { knownAtFilter, parseReadQuery } from '../http/read-query';
import { ApiCommand, ApiProblems, ApiRead, ApiReadQuery } from '../http/openapi';
import { CommuneCheck } from '../communes/commune-check';

type ExistingConventionCommand = ExecuteConventionCommand['command'];
/** Every convention command answers with the convention's id first (streamAnswer keeps it first). */
type ConventionResult = StreamCommandResult & { conventionId: string };

@ApiTags('conventions')
@ApiBearerAuth()
@Controller('conventions')
export class ConventionsController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly communes: CommuneCheck,
  ) {}

  @Post()
  @Roles('admin')
  @HttpCode(201)
  @CommandRoute((result: SignConventionResult) => ({ ...streamAnswer(result), location: `/api/conventions/${result.conventionId}` }))
  @ApiOperation({ summary: 'Sign a convention (R-CONV-1, R-CONV-2), with its first annexes (R-ANX-1)' })
  @ApiCommand({ status: 201, answer: 'ConventionCommandAnswer', location: true })
  sign(@Body() body: SignConventionRequest, @CommandCtx() context: CommandContext): Promise<SignConventionResult> {
    // The application numbers the convention (SignConventionHandler).
    const commune = this.communes.recordable(body.communeInsee, body.communeName); // R-COM-1..3
    const data = {
      communeInsee: commune.insee,
      communeName: commune.name,
      signedOn: body.signedOn,
      effectiveFrom: body.effectiveFrom,
      ...(body.legalReference ? { legalReference: body.legalReference } : {}),
      ...(body.annexes
        ? { annexes: body.annexes.map(({ serviceId, offerId, effectiveFrom }) => ({ serviceId, offerId, effectiveFrom })) }
        : {}),
    };
    return this.commands.execute(new SignConventionCommand(data, context));
  }

  @Post(':id/annexes')
  @Roles('admin')
  @HttpCode(201)
  @CommandRoute()
  @ApiOperation({ summary: 'Add an annex: one service, one offer, from a date (R-ANX-1, R-ANX-2, R-CAT-3)' })
  @ApiCommand({ status: 201, answer: 'ConventionCommandAnswer', ifMatch: true })
  addAnnex(
    @Param('id') id: string,
    @Body() body: AddAnnexRequest,
    @Headers('if-match') ifMatch: string | undefined,
    @CommandCtx() context: CommandContext,
  ): Promise<ConventionResult> {
    const conventionId = this.conventionId(id);
    const command: ExistingConventionCommand = {
      type: 'AddAnnex',
      data: { conventionId, serviceId: body.serviceId, offerId: body.offerId, effectiveFrom: body.effectiveFrom },
    };
    return this.execute(command, context, expectedVersionOf(ifMatch));
  }

  @Post(':id/annexes/:serviceId/stop')
  @Roles('admin')
  @HttpCode(200)
  @CommandRoute()
  @ApiOperation({ summary: 'Stop one service from a date; the others continue (R-ANX-3)' })
  @ApiCommand({ status: 200, answer: 'ConventionCommandAnswer', ifMatch: true })
  stop(
    @Param('id') id: string,
    @Param('serviceId') serviceId: string,
    @Body() body: StopServiceRequest,
    @Headers('if-match') ifMatch: string | undefined,
    @CommandCtx() context: CommandContext,
  ): Promise<ConventionResult> {
    const conventionId = this.conventionId(id);
    const command: ExistingConventionCommand = {
      type: 'StopService',
      data: { conventionId, serviceId: this.serviceId(serviceId), effectiveOn: body.effectiveOn, reason: body.reason },
    };
    return this.execute(command, context, expectedVersionOf(ifMatch));
  }

  @Post(':id/annexes/:serviceId/offer-change')
  @Roles('admin')
  @HttpCode(200)
  @CommandRoute()
  @ApiOperation({ summary: "Change an annex's offer from a date (R-ANX-4)" })
  @ApiCommand({ status: 200, answer: 'ConventionCommandAnswer', ifMatch: true })
  changeOffer(
    @Param('id') id: string,
    @Param('serviceId') serviceId: string,
    @Body() body: ChangeOfferRequest,
    @Headers('if-match') ifMatch: string | undefined,
    @CommandCtx() context: CommandContext,
  ): Promise<ConventionResult> {
    const conventionId = this.conventionId(id);
    const command: ExistingConventionCommand = {
      type: 'ChangeOffer',
      data: { conventionId, serviceId: this.serviceId(serviceId), offerId: body.offerId, effectiveFrom: body.effectiveFrom },
    };
    return this.execute(command, context, expectedVersionOf(ifMatch));
  }

  @Post(':id/non-renewal')
  @Roles('admin')
  @HttpCode(200)
  @CommandRoute()
  @ApiOperation({ summary: 'Notify non-renewal: the convention expires at the end of the period (R-CONV-5)' })
  @ApiCommand({ status: 200, answer: 'ConventionCommandAnswer', ifMatch: true })
  nonRenewal(
    @Param('id') id: string,
    @Body() body: NonRenewalRequest,
    @Headers('if-match') ifMatch: string | undefined,
    @CommandCtx() context: CommandContext,
  ): Promise<ConventionResult> {
    const conventionId = this.conventionId(id);
    const command: ExistingConventionCommand = {
      type: 'NotifyNonRenewal',
      data: { conventionId, notifiedOn: body.notifiedOn, by: body.by, reason: body.reason },
    };
    return this.execute(command, context, expectedVersionOf(ifMatch));
  }

  @Post(':id/termination')
  @Roles('admin')
  @HttpCode(200)
  @CommandRoute()
  @ApiOperation({ summary: 'Terminate the convention and every annex from a date (R-CONV-6, R-CONV-7)' })
  @ApiCommand({ status: 200, answer: 'ConventionCommandAnswer', ifMatch: true })
  terminate(
    @Param('id') id: string,
    @Body() body: TerminationRequest,
    @Headers('if-match') ifMatch: string | undefined,
    @CommandCtx() context: CommandContext,
  ): Promise<ConventionResult> {
    const conventionId = this.conventionId(id);
    const command: ExistingConventionCommand = {
      type: 'TerminateConvention',
      data: { conventionId, effectiveOn: body.effectiveOn, by: body.by, reason: body.reason },
    };
    return this.execute(command, context, expectedVersionOf(ifMatch));
  }

  @Get(':id')
  @Roles('admin', 'auditor', 'commune')
  @ApiOperation({ summary: 'The convention: status, periods, annexes with their offers, version (as known at knownAt)' })
  @ApiReadQuery('knownAt', 'minPosition')
  @ApiRead('ConventionView', { etag: true })
  @ApiProblems(404)
  async read(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ConventionView> {
    const conventionId = this.conventionId(id);
    assertMayReadCommune(actor, conventionId.split('-')[0]);
    const { knownAt } = parseReadQuery(query, ['knownAt', 'minPosition']);
    const { state, version } = await loadConvention(this.store, conventionId, knownAtFilter(knownAt));
    if (state.status === 'none') throw new NotFoundException(`No convention ${conventionId}${knownAt ? ` as known at ${knownAt}` : ''}`);
    response.setHeader('ETag', `"${version}"`);
    return conventionView(state, version);
  }

  private async execute(command: ExistingConventionCommand, context: CommandContext, expectedVersion?: number): Promise<ConventionResult> {
    return {
      conventionId: command.data.conventionId,
      ...(await this.commands.execute(new ExecuteConventionCommand(command, context, expectedVersion))),
    };
  }

  /** An id that cannot name a convention is an unknown id (404), not a malformed request. */
  private conventionId(id: string): string {
    if (!CONVENTION_ID_FORMAT.test(id)) throw new NotFoundException(`No convention ${id}`);
    return id;
  }

  private serviceId(id: string): string {
    if (!CATALOGUE_ID.test(id)) throw new NotFoundException(`No service ${id}`);
    return id;
  }
}
