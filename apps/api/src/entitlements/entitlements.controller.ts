import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CalendarDate, parisDateOf } from '@lib/domain/shared/calendar-date';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { Position, parsePosition } from '@lib/event-store/event-store.port';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { ENTITLEMENTS_TABLES, EntitlementQuery, readEntitlements } from '@lib/projections/entitlements';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles, assertMayReadCommune } from '../auth/auth.guard';
import { parseReadQuery } from '../http/read-query';
import { INSEE_FORMAT } from '../http/validators';
import { FieldError, ValidationProblem } from '../problem-details';
import { CLOCK, Clock } from '../clock';
import { ProjectionHost } from '../projections/projection-host';
import { CommuneEntitlementsView, EntitlementView, entitlementView, groupedByCommune } from './entitlement.view';
import { ApiProblems, ApiReadQuery } from '../http/openapi';

const READ_PARAMETERS = ['on', 'knownAt', 'asOfPosition', 'minPosition'];

/**
 * Who may use what, on a date, as known at an instant (R-TIME-1): API.md's entitlement routes, read from
 * the entitlements projection (libs/projections/src/entitlements).
 */
@ApiTags('entitlements')
@ApiBearerAuth()
@Controller()
export class EntitlementsController {
  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    private readonly host: ProjectionHost,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('communes/:insee/entitlements')
  @Roles('admin', 'auditor', 'commune', 'consumer')
  @ApiOperation({
    summary:
      "A commune's access in force on `on` (default today, Europe/Paris), as known at `knownAt` (default now) or right after `asOfPosition`",
  })
  @ApiReadQuery('on', 'knownAt', 'asOfPosition', 'minPosition')
  @ApiOkResponse({ type: [EntitlementView] })
  @ApiProblems(401, 403)
  async ofCommune(
    @Param('insee') insee: string,
    @Query() query: Record<string, unknown>,
    @CurrentActor() actor: Actor,
  ): Promise<EntitlementView[]> {
    if (!INSEE_FORMAT.test(insee))
      throw new ValidationProblem([{ field: 'insee', message: 'insee must be a 5-character INSEE code such as 69123 or 2A004' }]);
    assertMayReadCommune(actor, insee);
    const entitlements = await this.read({ ...(await this.query(query, actor)), communeInsee: insee });
    return entitlements.map(entitlementView);
  }

  @Get('entitlements')
  @Roles('admin', 'auditor', 'consumer')
  @ApiOperation({ summary: "Every commune's access in force on `on`, as known at `knownAt`, grouped by commune" })
  @ApiReadQuery('on', 'knownAt', 'asOfPosition', 'minPosition')
  @ApiOkResponse({ type: [CommuneEntitlementsView] })
  @ApiProblems(401, 403)
  async all(@Query() query: Record<string, unknown>, @CurrentActor() actor: Actor): Promise<CommuneEntitlementsView[]> {
    return groupedByCommune(await this.read(await this.query(query, actor)));
  }

  private read(query: EntitlementQuery) {
    return readEntitlements(this.db, ENTITLEMENTS_TABLES, query);
  }

  /** Both axes at once; a consumer token's `services` claim limits what it sees. */
  private async query(query: Record<string, unknown>, actor: Actor): Promise<EntitlementQuery & { on: CalendarDate }> {
    const { on, knownAt, minPosition } = parseReadQuery(query, READ_PARAMETERS);
    const asOfPosition = asOfPositionOf(query.asOfPosition, knownAt);
    await this.host.ensureCaughtUp(minPosition ?? asOfPosition);
    return {
      on: on ?? parisDateOf(this.clock.now()),
      ...(knownAt ? { knownAt } : {}),
      ...(asOfPosition ? { asOfPosition } : {}),
      ...(actor.role === 'consumer' && actor.services ? { services: actor.services } : {}),
    };
  }
}

/** `asOfPosition`: a position as formatPosition writes it; not with knownAt (one recording axis at a time). */
export function asOfPositionOf(value: unknown, knownAt: string | undefined): Position | undefined {
  if (value === undefined) return undefined;
  const errors: FieldError[] = [];
  const position = typeof value === 'string' ? parsePosition(value) : undefined;
  if (!position) errors.push({ field: 'asOfPosition', message: 'asOfPosition must be a position as returned by a command' });
  if (knownAt !== undefined) errors.push({ field: 'asOfPosition', message: 'give knownAt or asOfPosition, not both', rule: 'R-TIME-1' });
  if (errors.length > 0) throw new ValidationProblem(errors);
  return position;
}
