import { Body, Controller, Get, Headers, HttpCode, Inject, NotAcceptableException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { CommandContext } from '@lib/application';
import { IssueLedgerCommand, IssueLedgerResult } from '@lib/application/ledgers';
import { EVENT_STORE, EventStore, formatPosition } from '@lib/event-store/event-store.port';
import { ledgerStreamId, pendingLineRefs } from '@lib/domain/ledger';
import { Actor } from '../auth/actor';
import { CLOCK, Clock } from '../clock';
import { CurrentActor, Roles, assertMayReadCommune } from '../auth/auth.guard';
import { CommandCtx, expectedVersionOf } from '../http/command-http';
import { CommandRoute, HttpCommandAnswer } from '../http/command-route';
import { OptionalReasonRequest } from '../http/command-requests';
import { knownAtFilter, parseReadQuery } from '../http/read-query';
import { INSEE_FORMAT } from '../http/validators';
import { ValidationProblem } from '../problem-details';
import { ProjectionHost } from '../projections/projection-host';
import { LedgerReader } from './ledger-reader';
import { streamYearLedger } from './ledger-stream';
import { ledgerCsv } from './ledger.csv';
import type { CommuneLedgerView } from '@lib/contract';
import { communeLedgerView, ledgerView } from './ledger.view';
import { ApiCommand, ApiRead, ApiReadQuery } from '../http/openapi';

/** Billing years the API accepts: far wider than any convention's life, narrow enough to refuse a typo. */
export const LEDGER_YEARS = { min: 2000, max: 2100 } as const;

@ApiTags('ledgers')
@ApiBearerAuth()
@Controller()
export class LedgersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly reader: LedgerReader,
    private readonly host: ProjectionHost,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('ledgers/:year')
  @Roles('admin', 'auditor')
  @ApiOperation({
    summary:
      'The fee ledger of a billing year (R-FEE-1..9) as known at knownAt (R-TIME-1), with issued amounts and differences once issued',
  })
  @ApiReadQuery('knownAt', 'minPosition')
  @ApiRead('Ledger', { etag: true, csv: true })
  async ledger(
    @Param('year') yearParam: string,
    @Query() query: Record<string, unknown>,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const year = yearOf(yearParam);
    const { knownAt, minPosition } = parseReadQuery(query, ['knownAt', 'minPosition']);
    const csv = wantsCsv(request);
    await this.host.ensureCaughtUp(minPosition);
    const source = await this.reader.yearLedger(year, knownAt);
    // The version is the number of issues: known before any line, so the ETag goes with the headers.
    const headers: Record<string, string> = {
      ETag: `"${source.issued.issues.length}"`,
      ...(csv ? csvHeaders(`redevances-${year}.csv`) : { 'Content-Type': 'application/json; charset=utf-8' }),
    };
    await streamYearLedger(response, headers, csv ? 'csv' : 'json', year, knownAt ?? this.clock.now().toISOString(), source);
  }

  @Get('communes/:insee/ledgers/:year')
  @Roles('admin', 'auditor', 'commune')
  @ApiOperation({ summary: "One commune's fee ledger lines and total for a billing year, as known at knownAt" })
  @ApiReadQuery('knownAt', 'minPosition')
  @ApiRead('CommuneLedger', { etag: true, csv: true })
  async communeLedger(
    @Param('insee') insee: string,
    @Param('year') yearParam: string,
    @Query() query: Record<string, unknown>,
    @CurrentActor() actor: Actor,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommuneLedgerView | string> {
    if (!INSEE_FORMAT.test(insee))
      throw new ValidationProblem([{ field: 'insee', message: 'insee must be a 5-character INSEE code such as 69123 or 2A004' }]);
    assertMayReadCommune(actor, insee);
    const year = yearOf(yearParam);
    const { knownAt, minPosition } = parseReadQuery(query, ['knownAt', 'minPosition']);
    const csv = wantsCsv(request);
    await this.host.ensureCaughtUp(minPosition);
    const { lines, issued } = await this.reader.ledger(year, knownAt, insee);
    const view = ledgerView(year, knownAt ?? this.clock.now().toISOString(), lines, issued, insee);
    response.setHeader('ETag', `"${view.version}"`);
    return csv ? sendCsv(response, ledgerCsv(view), `redevances-${year}-${insee}.csv`) : communeLedgerView(view, insee);
  }

  @Post('ledgers/:year/issue')
  @Roles('admin')
  @HttpCode(201)
  @CommandRoute(issueAnswer)
  @ApiOperation({
    summary:
      'Issue the year (titres de recettes): the first time every final line, later only regularisations (issued, current, difference, reason, causes). Pending lines are never issued. 201 when an issue is recorded, 200 when there was nothing to issue.',
  })
  @ApiCommand({
    status: 201,
    also: { status: 200, description: 'Nothing to issue: nothing recorded, what is pending' },
    answer: 'LedgerIssueAnswer',
    ifMatch: 'The ledger version (ETag of GET /api/ledgers/{year}); a stale one gets 409 and nothing is recorded',
  })
  issue(
    @Param('year') yearParam: string,
    // Read for its reason and legalReference (CommandCtx), once validated; and documented.
    @Body() _body: OptionalReasonRequest,
    @Headers('if-match') ifMatch: string | undefined,
    @CommandCtx() context: CommandContext,
  ): Promise<IssueLedgerResult> {
    return this.commands.execute(new IssueLedgerCommand(yearOf(yearParam), context, expectedVersionOf(ifMatch)));
  }

  @Get('ledgers/:year/issues')
  @Roles('admin', 'auditor')
  @ApiOperation({ summary: 'Every issue of the year as recorded: lines, regularisations with their causes, pending lines, who and when' })
  @ApiReadQuery('knownAt')
  @ApiRead('LedgerIssues')
  async issues(@Param('year') yearParam: string, @Query() query: Record<string, unknown>) {
    const year = yearOf(yearParam);
    const { knownAt } = parseReadQuery(query, ['knownAt']);
    const known = knownAtFilter(knownAt);
    const issues = [];
    for await (const event of this.store.readStream(ledgerStreamId(year))) {
      if (known && !known(event)) break;
      issues.push({
        ...(event.data as object),
        eventId: event.id,
        position: formatPosition(event.position),
        recordedAt: event.recordedAt,
        actor: event.metadata.actor ?? null,
        reason: event.metadata.reason ?? null,
      });
    }
    return { year, issues, version: issues.length };
  }
}

/** 201 with the issue recorded; 200 when there was nothing to issue, with what is pending. */
function issueAnswer({ year, version, position, issued, computed }: IssueLedgerResult): HttpCommandAnswer {
  return {
    version,
    ...(issued ? {} : { status: 200 }),
    body: {
      year,
      recorded: issued !== null,
      issueNumber: issued?.issueNumber ?? null,
      version,
      position: position ? formatPosition(position) : null,
      basedOn: issued?.basedOn ?? computed.basedOn,
      lines: issued?.lines ?? [],
      regularisations: issued?.regularisations ?? [],
      pendingLines: issued?.pendingLines ?? pendingLineRefs(computed.lines),
      totals: issued?.totals ?? { byCommune: [], grandTotal: '0.00' },
    },
  };
}

function yearOf(text: string): number {
  const year = /^\d{4}$/.test(text) ? Number(text) : NaN;
  if (!(year >= LEDGER_YEARS.min && year <= LEDGER_YEARS.max))
    throw new ValidationProblem([
      { field: 'year', message: `year must be a billing year from ${LEDGER_YEARS.min} to ${LEDGER_YEARS.max}` },
    ]);
  return year;
}

/** JSON unless the client asks for CSV (API.md: `Accept: text/csv`); a type we cannot give is a 406. */
function wantsCsv(request: Request): boolean {
  const chosen = request.accepts(['application/json', 'text/csv']);
  if (chosen === false) throw new NotAcceptableException('This resource is available as application/json or text/csv');
  return chosen === 'text/csv';
}

function csvHeaders(filename: string): Record<string, string> {
  return { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${filename}"` };
}

function sendCsv(response: Response, csv: string, filename: string): string {
  for (const [name, value] of Object.entries(csvHeaders(filename))) response.setHeader(name, value);
  return csv;
}
