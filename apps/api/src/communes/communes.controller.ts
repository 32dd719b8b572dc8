import { ApiProblems, ApiRead, ApiReadQuery } from '../http/openapi';
import { Controller, Get, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ConventionState, currentPeriod } from '@lib/domain/convention';
import { CalendarDate, parisDateOf } from '@lib/domain/shared/calendar-date';
import { computeLedgerLines, feeLedgerTotals, foldLedgerFacts } from '@lib/domain/ledger';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { ENTITLEMENTS_TABLES, readEntitlements } from '@lib/projections/entitlements';
import { FEE_LEDGER_TABLES, readLedgerFacts } from '@lib/projections/fee-ledger';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles, assertMayReadCommune } from '../auth/auth.guard';
import { CLOCK, Clock } from '../clock';
import { conventionView } from '../conventions/convention.view';
import { entitlementView } from '../entitlements/entitlement.view';
import { ReadQuery, parseReadQuery } from '../http/read-query';
import { CATALOGUE_ID, INSEE_FORMAT, isApiDate } from '../http/validators';
import { FieldError, ValidationProblem } from '../problem-details';
import { ProjectionHost } from '../projections/projection-host';
import { CommuneGeography } from './commune-geography';
import { ApiPaging, Page, page, pagingOf } from './paging';
import { FoldedFacts, foldFacts } from './reference-facts';

type Signed = Exclude<ConventionState, { status: 'none' }>;

/**
 * The back office's lists (docs/communes.md): the communes the Métropole deals with, one commune with
 * everything about it, and conventions, populations, Syntec values, legacy conventions and catalogue
 * decisions with filters. Each is paged alike ({items, next, total}) and read as known at `knownAt`
 * from the read models (reference-facts.ts, the entitlements projection).
 */
@ApiTags('lists')
@ApiBearerAuth()
@Controller()
export class CommunesController {
  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    private readonly host: ProjectionHost,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('communes')
  @Roles('admin', 'auditor')
  @ApiOperation({ summary: 'The communes the Métropole deals with: any with a convention, a legacy convention or a population' })
  @ApiReadQuery('knownAt', 'minPosition')
  @ApiPaging()
  @ApiRead('CommunePage')
  async communes(@Query() query: Record<string, unknown>): Promise<Page<CommuneSummary>> {
    const { paging, rest } = pagingOf(query);
    const read = await this.readQuery(rest, ['knownAt', 'minPosition']);
    const facts = await foldFacts(this.db, read);
    // Grouped once: a filter per commune was quadratic (35 000 communes × 35 000 conventions nationally).
    const conventionsByCommune = new Map<string, Signed[]>();
    for (const c of facts.conventions.values()) {
      const list = conventionsByCommune.get(c.communeInsee);
      if (list) list.push(c);
      else conventionsByCommune.set(c.communeInsee, [c]);
    }
    const codes = new Set([...facts.communes.keys(), ...conventionsByCommune.keys()]);
    const geography = CommuneGeography.official();
    const items = [...codes].sort().map((insee): CommuneSummary => {
      const conventions = conventionsByCommune.get(insee) ?? [];
      const commune = facts.communes.get(insee);
      return {
        communeInsee: insee,
        communeName: geography.member(insee)?.name ?? conventions[0]?.communeName ?? commune?.legacyConventions[0]?.communeName ?? insee,
        conventions: conventions.map((c) => ({ conventionId: c.conventionId, status: c.status })),
        legacyConventions: commune?.legacyConventions.length ?? 0,
        populations: commune?.populations.length ?? 0,
      };
    });
    return page(items, paging);
  }

  @Get('communes/:insee')
  @Roles('admin', 'auditor', 'commune')
  @ApiOperation({
    summary:
      'One commune: its conventions, legacy conventions, populations, entitlements in force on `on` and its total in the ledger of the year of `on`, as known at `knownAt`',
  })
  @ApiReadQuery('on', 'knownAt', 'minPosition')
  @ApiRead('CommuneDetail')
  @ApiProblems(404)
  async commune(
    @Param('insee') insee: string,
    @Query() query: Record<string, unknown>,
    @CurrentActor() actor: Actor,
  ): Promise<CommuneDetail> {
    if (!INSEE_FORMAT.test(insee))
      throw new ValidationProblem([{ field: 'insee', message: 'insee must be a 5-character INSEE code such as 69123 or 2A004' }]);
    assertMayReadCommune(actor, insee);
    const official = CommuneGeography.official().member(insee);
    if (!official) throw new NotFoundException(`${insee} is not a commune of the Métropole de Lyon (R-COM-1, R-COM-2)`);
    const read = await this.readQuery(query, ['on', 'knownAt', 'minPosition']);
    const on = read.on ?? parisDateOf(this.clock.now());
    const facts = await foldFacts(this.db, { knownAt: read.knownAt, communeInsee: insee });
    const commune = facts.communes.get(insee);
    const year = Number(on.slice(0, 4));
    const lines = computeLedgerLines(
      year,
      foldLedgerFacts(await readLedgerFacts(this.db, FEE_LEDGER_TABLES, { year, knownAt: read.knownAt, communeInsee: insee })),
      insee,
    );
    const total = feeLedgerTotals(lines).byCommune.find((line) => line.communeInsee === insee);
    const entitlements = await readEntitlements(this.db, ENTITLEMENTS_TABLES, {
      communeInsee: insee,
      on,
      ...(read.knownAt ? { knownAt: read.knownAt } : {}),
    });
    return {
      communeInsee: insee,
      communeName: official.name,
      on,
      conventions: [...facts.conventions.values()].map((c) => conventionItem(c)),
      legacyConventions: commune?.legacyConventions ?? [],
      populations: commune?.populations ?? [],
      entitlements: entitlements.map(entitlementView),
      ledger: { year, total: total?.total ?? '0.00', pendingLines: total?.pendingLines ?? 0, lines: lines.length },
    };
  }

  @Get('conventions')
  @Roles('admin', 'auditor')
  @ApiOperation({ summary: 'Conventions by commune, status, service (an annex of it, ever) and end of the current period before a date' })
  @ApiQuery({ name: 'communeInsee', required: false, schema: { type: 'string' } })
  @ApiQuery({ name: 'status', required: false, enum: ['active', 'ended'] })
  @ApiQuery({ name: 'serviceId', required: false, schema: { type: 'string' } })
  @ApiQuery({
    name: 'expiringBefore',
    required: false,
    schema: { type: 'string', format: 'date' },
    description: 'Active conventions whose current period ends before this date',
  })
  @ApiReadQuery('on', 'knownAt', 'minPosition')
  @ApiPaging()
  @ApiRead('ConventionPage')
  async conventions(@Query() query: Record<string, unknown>): Promise<Page<ConventionItem>> {
    const { paging, rest } = pagingOf(query);
    const { filters, rest: others } = filtersOf(rest, ['communeInsee', 'status', 'serviceId', 'expiringBefore']);
    const read = await this.readQuery(others, ['on', 'knownAt', 'minPosition']);
    const facts = await foldFacts(this.db, { knownAt: read.knownAt, communeInsee: filters.communeInsee });
    const items = [...facts.conventions.values()].filter(
      (c) =>
        (filters.status === undefined || c.status === filters.status) &&
        (filters.serviceId === undefined || c.annexes.some((annex) => annex.serviceId === filters.serviceId)) &&
        (filters.expiringBefore === undefined || (c.status === 'active' && currentPeriod(c).end < filters.expiringBefore)) &&
        (read.on === undefined || inForce(c, read.on)),
    );
    return page(items.map(conventionItem), paging);
  }

  @Get('reference/populations')
  @Roles('admin', 'auditor')
  @ApiOperation({ summary: 'Population figures (R-FEE-2), by commune, with the date each came into force' })
  @ApiQuery({ name: 'communeInsee', required: false, schema: { type: 'string' } })
  @ApiReadQuery('knownAt', 'minPosition')
  @ApiPaging()
  @ApiRead('PopulationPage')
  async populations(@Query() query: Record<string, unknown>): Promise<Page<PopulationItem>> {
    const { paging, rest } = pagingOf(query);
    const { filters, rest: others } = filtersOf(rest, ['communeInsee']);
    const read = await this.readQuery(others, ['knownAt', 'minPosition']);
    const facts = await foldFacts(this.db, { knownAt: read.knownAt, communeInsee: filters.communeInsee });
    const items = [...facts.communes]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([communeInsee, state]) => state.populations.map((entry) => ({ communeInsee, ...entry })));
    return page(items, paging);
  }

  @Get('reference/syntec')
  @Roles('admin', 'auditor')
  @ApiOperation({ summary: 'Syntec index values (R-FEE-3), in recording order, corrections included' })
  @ApiReadQuery('knownAt', 'minPosition')
  @ApiPaging()
  @ApiRead('SyntecPage')
  async syntec(@Query() query: Record<string, unknown>): Promise<Page<FoldedFacts['syntec'][number]['data'] & { recordedAt: string }>> {
    const { paging, rest } = pagingOf(query);
    const read = await this.readQuery(rest, ['knownAt', 'minPosition']);
    const facts = await foldFacts(this.db, read);
    return page(
      facts.syntec.map((fact) => ({ ...fact.data, recordedAt: fact.recordedAt })),
      paging,
    );
  }

  @Get('legacy-conventions')
  @Roles('admin', 'auditor')
  @ApiOperation({ summary: 'Legacy conventions (R-LEG-1) by commune and service, with the end of their access once recorded (R-LEG-3)' })
  @ApiQuery({ name: 'communeInsee', required: false, schema: { type: 'string' } })
  @ApiQuery({ name: 'serviceId', required: false, schema: { type: 'string' } })
  @ApiReadQuery('knownAt', 'minPosition')
  @ApiPaging()
  @ApiRead('LegacyConventionPage')
  async legacyConventions(@Query() query: Record<string, unknown>): Promise<Page<LegacyItem>> {
    const { paging, rest } = pagingOf(query);
    const { filters, rest: others } = filtersOf(rest, ['communeInsee', 'serviceId']);
    const read = await this.readQuery(others, ['knownAt', 'minPosition']);
    const facts = await foldFacts(this.db, { knownAt: read.knownAt, communeInsee: filters.communeInsee });
    // The end of a legacy access is not a ledger fact: it is read from the entitlements, on the same recording axis.
    const legacyEntitlements = (
      await readEntitlements(this.db, ENTITLEMENTS_TABLES, {
        ...(filters.communeInsee ? { communeInsee: filters.communeInsee } : {}),
        ...(read.knownAt ? { knownAt: read.knownAt } : {}),
      })
    ).filter((e) => e.source.kind === 'legacy');
    const legacyUntil = new Map<string, string | null>();
    for (const e of legacyEntitlements) {
      const key = `${e.communeInsee}/${e.serviceId}`;
      if (!legacyUntil.has(key)) legacyUntil.set(key, e.until);
    }
    const items = [...facts.communes]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([, state]) => state.legacyConventions)
      .filter((legacy) => filters.serviceId === undefined || legacy.serviceId === filters.serviceId)
      .map((legacy) => {
        const { accessEnded: _ignored, ...recorded } = legacy;
        return { ...recorded, accessUntil: legacyUntil.get(`${legacy.communeInsee}/${legacy.serviceId}`) ?? null };
      });
    return page(items, paging);
  }

  @Get('catalogue/history')
  @Roles('admin', 'auditor')
  @ApiOperation({ summary: "The catalogue's decisions in recording order: services entered, offers opened, fee schedules replaced" })
  @ApiQuery({ name: 'serviceId', required: false, schema: { type: 'string' } })
  @ApiReadQuery('knownAt', 'minPosition')
  @ApiPaging()
  @ApiRead('CatalogueHistoryPage')
  async catalogueHistory(@Query() query: Record<string, unknown>): Promise<Page<FoldedFacts['catalogue'][number]>> {
    const { paging, rest } = pagingOf(query);
    const { filters, rest: others } = filtersOf(rest, ['serviceId']);
    const read = await this.readQuery(others, ['knownAt', 'minPosition']);
    const facts = await foldFacts(this.db, read);
    return page(
      facts.catalogue.filter((fact) => filters.serviceId === undefined || fact.data.serviceId === filters.serviceId),
      paging,
    );
  }

  private async readQuery(query: Record<string, unknown>, allowed: string[]): Promise<ReadQuery> {
    const read = parseReadQuery(query, allowed);
    await this.host.ensureCaughtUp(read.minPosition);
    return read;
  }
}

interface Filters {
  communeInsee?: string;
  status?: 'active' | 'ended';
  serviceId?: string;
  expiringBefore?: CalendarDate;
}

/** The route's own filters out of the query, each checked (400 naming the field); the rest goes to parseReadQuery. */
function filtersOf(query: Record<string, unknown>, names: (keyof Filters)[]): { filters: Filters; rest: Record<string, unknown> } {
  const filters: Filters = {};
  const rest: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (!(names as string[]).includes(name)) {
      rest[name] = value;
      continue;
    }
    const text = typeof value === 'string' ? value : undefined;
    if (name === 'communeInsee') {
      if (text !== undefined && INSEE_FORMAT.test(text)) filters.communeInsee = text;
      else errors.push({ field: name, message: 'communeInsee must be a 5-character INSEE code such as 69123' });
    } else if (name === 'status') {
      if (text === 'active' || text === 'ended') filters.status = text;
      else errors.push({ field: name, message: 'status must be active or ended' });
    } else if (name === 'serviceId') {
      if (text !== undefined && CATALOGUE_ID.test(text)) filters.serviceId = text;
      else errors.push({ field: name, message: 'serviceId must be a catalogue service id such as toodego' });
    } else if (name === 'expiringBefore') {
      if (text !== undefined && isApiDate(text)) filters.expiringBefore = text;
      else errors.push({ field: name, message: 'expiringBefore must be a real calendar date YYYY-MM-DD', rule: 'R-TIME-1' });
    }
  }
  if (errors.length > 0) throw new ValidationProblem(errors);
  return { filters, rest };
}

function inForce(c: Signed, on: CalendarDate): boolean {
  const lastDay = c.status === 'ended' ? c.end.lastDay : c.periods[c.periods.length - 1].end;
  return c.effectiveFrom <= on && on <= lastDay;
}

export interface CommuneSummary {
  communeInsee: string;
  communeName: string;
  conventions: { conventionId: string; status: 'active' | 'ended' }[];
  legacyConventions: number;
  populations: number;
}

export type ConventionItem = Omit<ReturnType<typeof conventionView>, 'version'> & { currentPeriodEnd: string };

function conventionItem(c: Signed): ConventionItem {
  const { version: _version, ...view } = conventionView(c, 0);
  return { ...view, currentPeriodEnd: currentPeriod(c).end };
}

export interface PopulationItem {
  communeInsee: string;
  population: number;
  effectiveDate: string;
  source: string;
}

export interface LegacyItem {
  communeInsee: string;
  communeName: string;
  serviceId: string;
  offerId: string;
  annualContribution: string | null;
  year: number;
  startDate: string | null;
  /** The last day of legacy access once recorded (R-LEG-2, R-LEG-3); null while it runs. */
  accessUntil: string | null;
}

export interface CommuneDetail {
  communeInsee: string;
  communeName: string;
  on: string;
  conventions: ConventionItem[];
  legacyConventions: readonly unknown[];
  populations: readonly unknown[];
  entitlements: ReturnType<typeof entitlementView>[];
  ledger: { year: number; total: string; pendingLines: number; lines: number };
}
