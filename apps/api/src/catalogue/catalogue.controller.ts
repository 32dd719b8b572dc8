import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommandContext, ExecuteCatalogueCommand, StreamCommandResult, loadCatalogue } from '@lib/application';
import { CatalogueCommand, CatalogueState } from '@lib/domain/catalogue';
import { parisDateOf } from '@lib/domain/shared/calendar-date';
import { EVENT_STORE, EventStore } from '@lib/event-store/event-store.port';
import { CLOCK, Clock } from '../clock';
import { Roles } from '../auth/auth.guard';
import { CommandCtx } from '../http/command-http';
import { CommandRoute } from '../http/command-route';
import { CATALOGUE_ID } from '../http/validators';
import { AddServiceRequest, OpenOfferRequest, ReplaceFeeScheduleRequest, feeScheduleOf } from './catalogue.requests';
import { ApiCommand, ApiRead } from '../http/openapi';

@ApiTags('catalogue')
@ApiBearerAuth()
@Controller('catalogue')
export class CatalogueController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @Roles('admin', 'auditor', 'commune', 'consumer')
  @ApiOperation({ summary: 'The catalogue: services, offers, whether open, fee schedules by billing year (R-CAT-1..5)' })
  @ApiRead('Catalogue')
  catalogue(): Promise<CatalogueState> {
    return loadCatalogue(this.store);
  }

  @Post('services')
  @Roles('admin')
  @HttpCode(201)
  @CommandRoute()
  @ApiOperation({ summary: 'A service enters the catalogue by amendment, with its offers and fee schedules (R-CAT-1, R-CAT-4)' })
  @ApiCommand({ status: 201 })
  addService(@Body() body: AddServiceRequest, @CommandCtx() context: CommandContext): Promise<StreamCommandResult> {
    const command: CatalogueCommand = {
      type: 'AddServiceToCatalogue',
      data: {
        serviceId: body.serviceId,
        name: body.name,
        legalReference: body.legalReference,
        effectiveFrom: body.effectiveFrom ?? parisDateOf(this.clock.now()),
        offers: body.offers.map((offer) => ({
          offerId: offer.offerId,
          name: offer.name,
          open: offer.open,
          feeSchedule: feeScheduleOf(offer.feeSchedule),
        })),
      },
    };
    return this.execute(command, context);
  }

  @Post('services/:serviceId/offers/:offerId/open')
  @Roles('admin')
  @HttpCode(200)
  @CommandRoute()
  @ApiOperation({ summary: 'Open an offer from a date: annexes with it are accepted from then (R-CAT-3)' })
  @ApiCommand({ status: 200 })
  openOffer(
    @Param('serviceId') serviceId: string,
    @Param('offerId') offerId: string,
    @Body() body: OpenOfferRequest,
    @CommandCtx() context: CommandContext,
  ): Promise<StreamCommandResult> {
    const command: CatalogueCommand = {
      type: 'OpenOffer',
      data: {
        serviceId: catalogueId(serviceId),
        offerId: catalogueId(offerId),
        openedOn: body.openedOn,
        legalReference: body.legalReference,
      },
    };
    return this.execute(command, context);
  }

  @Post('services/:serviceId/offers/:offerId/fee-schedules')
  @Roles('admin')
  @HttpCode(201)
  @CommandRoute()
  @ApiOperation({ summary: 'Replace a fee schedule for billing years ≥ fromYear by a later decision (R-CAT-5)' })
  @ApiCommand({ status: 201 })
  replaceFeeSchedule(
    @Param('serviceId') serviceId: string,
    @Param('offerId') offerId: string,
    @Body() body: ReplaceFeeScheduleRequest,
    @CommandCtx() context: CommandContext,
  ): Promise<StreamCommandResult> {
    const command: CatalogueCommand = {
      type: 'ReplaceFeeSchedule',
      data: {
        serviceId: catalogueId(serviceId),
        offerId: catalogueId(offerId),
        fromYear: body.fromYear,
        feeSchedule: feeScheduleOf(body.feeSchedule),
        legalReference: body.legalReference,
      },
    };
    return this.execute(command, context);
  }

  private execute(command: CatalogueCommand, context: CommandContext): Promise<StreamCommandResult> {
    return this.commands.execute(new ExecuteCatalogueCommand(command, context));
  }
}

function catalogueId(id: string): string {
  if (!CATALOGUE_ID.test(id)) throw new NotFoundException(`No ${id} in the catalogue`);
  return id;
}
