import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { ExecuteCatalogueCommand, StreamCommandResult, loadCatalogue } from '@lib/application';
import { CatalogueCommand, CatalogueState } from '@lib/domain/catalogue';
import { parisDateOf } from '@lib/domain/shared/calendar-date';
import { EVENT_STORE, EventStore } from '@lib/event-store/event-store.port';
import { Actor } from '../auth/actor';
import { CLOCK, Clock } from '../clock';
import { CurrentActor, Roles } from '../auth/auth.guard';
import { CommandAnswer, commandAnswer, commandContextOf } from '../http/command-http';
import { CATALOGUE_ID } from '../http/validators';
import { IdempotencyInterceptor, IdempotentRequest } from '../idempotency/idempotency.interceptor';
import { AddServiceRequest, OpenOfferRequest, ReplaceFeeScheduleRequest, feeScheduleOf } from './catalogue.requests';

@ApiTags('catalogue')
@ApiBearerAuth()
@Controller('catalogue')
@UseInterceptors(IdempotencyInterceptor)
export class CatalogueController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @Roles('admin', 'auditor', 'commune', 'consumer')
  @ApiOperation({ summary: 'The catalogue: services, offers, whether open, fee schedules by billing year (R-CAT-1..5)' })
  catalogue(): Promise<CatalogueState> {
    return loadCatalogue(this.store);
  }

  @Post('services')
  @Roles('admin')
  @HttpCode(201)
  @ApiOperation({ summary: 'A service enters the catalogue by amendment, with its offers and fee schedules (R-CAT-1, R-CAT-4)' })
  async addService(
    @Body() body: AddServiceRequest,
    @CurrentActor() actor: Actor,
    @Req() request: IdempotentRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommandAnswer> {
    const command: CatalogueCommand = {
      type: 'AddServiceToCatalogue',
      data: {
        serviceId: body.serviceId,
        name: body.name,
        legalReference: body.legalReference,
        effectiveFrom: body.effectiveFrom ?? parisDateOf(this.clock.now()),
        offers: body.offers.map((offer) => ({ offerId: offer.offerId, name: offer.name, open: offer.open, feeSchedule: feeScheduleOf(offer.feeSchedule) })),
      },
    };
    return commandAnswer(response, await this.execute(command, commandContextOf(request, actor, body)));
  }

  @Post('services/:serviceId/offers/:offerId/open')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Open an offer from a date: annexes with it are accepted from then (R-CAT-3)' })
  async openOffer(
    @Param('serviceId') serviceId: string,
    @Param('offerId') offerId: string,
    @Body() body: OpenOfferRequest,
    @CurrentActor() actor: Actor,
    @Req() request: IdempotentRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommandAnswer> {
    const command: CatalogueCommand = {
      type: 'OpenOffer',
      data: { serviceId: catalogueId(serviceId), offerId: catalogueId(offerId), openedOn: body.openedOn, legalReference: body.legalReference },
    };
    return commandAnswer(response, await this.execute(command, commandContextOf(request, actor, body)));
  }

  @Post('services/:serviceId/offers/:offerId/fee-schedules')
  @Roles('admin')
  @HttpCode(201)
  @ApiOperation({ summary: 'Replace a fee schedule for billing years ≥ fromYear by a later decision (R-CAT-5)' })
  async replaceFeeSchedule(
    @Param('serviceId') serviceId: string,
    @Param('offerId') offerId: string,
    @Body() body: ReplaceFeeScheduleRequest,
    @CurrentActor() actor: Actor,
    @Req() request: IdempotentRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommandAnswer> {
    const command: CatalogueCommand = {
      type: 'ReplaceFeeSchedule',
      data: { serviceId: catalogueId(serviceId), offerId: catalogueId(offerId), fromYear: body.fromYear, feeSchedule: feeScheduleOf(body.feeSchedule), legalReference: body.legalReference },
    };
    return commandAnswer(response, await this.execute(command, commandContextOf(request, actor, body)));
  }

  private execute(command: CatalogueCommand, context: ReturnType<typeof commandContextOf>): Promise<StreamCommandResult> {
    return this.commands.execute(new ExecuteCatalogueCommand(command, context));
  }
}

function catalogueId(id: string): string {
  if (!CATALOGUE_ID.test(id)) throw new NotFoundException(`No ${id} in the catalogue`);
  return id;
}
