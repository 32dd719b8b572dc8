import { Controller, Get, Headers, NotFoundException, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { FEED_SCHEMAS, FeedEnvelope, feedSchema } from '@lib/projections/feed';
import { Actor } from '../auth/actor';
import { CurrentActor, Public, Roles } from '../auth/auth.guard';
import { parseReadQuery } from '../http/read-query';
import { ValidationProblem } from '../problem-details';
import { ProjectionHost } from '../projections/projection-host';
import { FEED_PAGE_LIMIT } from './feed.config';
import { FeedService } from './feed.service';
import { FeedPageView, FeedSchemaSummaryView } from './feed.view';
import { parseFeedQuery } from './feed-query';
import { ApiPaging, ApiProblems, ApiReadQuery } from '../http/openapi';

const SCHEMA_VERSION = /^[1-9][0-9]{0,5}$/;

/**
 * The downstream feed (API.md; contract in docs/integration-events.md). Role `consumer`, and also
 * `admin` and `auditor`: they may already read everything the feed is derived from (entitlements,
 * ledgers), and an operator can then see what downstream systems receive. Not `commune`: the feed spans
 * every commune. A consumer token's `services` claim limits what it receives.
 */
@ApiTags('feed')
@Controller('feed')
export class FeedController {
  constructor(
    private readonly feed: FeedService,
    private readonly host: ProjectionHost,
  ) {}

  @Get()
  @ApiBearerAuth()
  @Roles('consumer', 'admin', 'auditor')
  @ApiOperation({ summary: 'Integration events after a position, in delivery order, each with its `position`; `next` is where to read on' })
  @ApiPaging(FEED_PAGE_LIMIT, {
    description: 'Exclusive: a `position` or `next` the feed gave; 0 or none for the beginning',
    schema: { type: 'string', pattern: '^\\d{1,15}$', example: '42' },
  })
  @ApiReadQuery('minPosition')
  @ApiOkResponse({ type: FeedPageView })
  @ApiProblems(401, 403)
  async page(@Query() query: Record<string, unknown>, @CurrentActor() actor: Actor): Promise<{ items: FeedEnvelope[]; next: string }> {
    const { after, limit, minPosition } = parseFeedQuery(query, ['after', 'limit', 'minPosition']);
    await this.host.ensureCaughtUp(minPosition);
    const page = await this.feed.page(after, limit, servicesOf(actor));
    return { items: page.items.map((item) => JSON.parse(item.body) as FeedEnvelope), next: String(page.next) };
  }

  @Get('stream')
  @ApiBearerAuth()
  @Roles('consumer', 'admin', 'auditor')
  @ApiOperation({
    summary:
      'The same events as Server-Sent Events, then live: `id:` is the position, `data:` the event (one line of JSON); a `: heartbeat` comment when idle',
    description:
      'Resumes after the `Last-Event-ID` header (sent by EventSource when it reconnects) or else after `after`. ' +
      'The server sends `retry:` first; it ends the stream when it shuts down, and the client reconnects with its last id: nothing is missed nor repeated.',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The last id the client handled', schema: { type: 'string' } })
  @ApiQuery({
    name: 'after',
    required: false,
    description: 'Exclusive start when there is no Last-Event-ID; 0 or none for the beginning',
    schema: { type: 'string', example: '42' },
  })
  @ApiProblems(400, 401, 403)
  @ApiOkResponse({
    description: 'An endless text/event-stream',
    content: {
      'text/event-stream': {
        schema: { type: 'string', example: 'id: 42\ndata: {"type":"EntitlementGranted","version":1,"position":"42",…}\n\n' },
      },
    },
  })
  stream(
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventId: string | undefined,
    @CurrentActor() actor: Actor,
    @Res() response: Response,
  ): void {
    const { after } = parseFeedQuery(query, ['after'], lastEventId);
    this.feed.open(response, after, servicesOf(actor));
  }

  @Get('schemas')
  @Public()
  @ApiOperation({ summary: 'Every published integration event schema: type, version, status (current or deprecated, with its sunset)' })
  @ApiOkResponse({ type: [FeedSchemaSummaryView] })
  @ApiProblems(400)
  schemas(@Query() query: Record<string, unknown>): FeedSchemaSummaryView[] {
    parseReadQuery(query, []);
    return FEED_SCHEMAS.map(({ type, version, status, sunset }) => ({
      type,
      version,
      status,
      ...(sunset ? { sunset } : {}),
      href: `/api/feed/schemas/${type}/${version}`,
    }));
  }

  @Get('schemas/:type/:version')
  @Public()
  @ApiOperation({ summary: "One version of an integration event's JSON Schema (draft 2020-12): the whole envelope, `data` included" })
  @ApiParam({ name: 'type', example: 'EntitlementGranted' })
  @ApiParam({ name: 'version', example: '1' })
  @ApiOkResponse({ description: 'The JSON Schema', content: { 'application/schema+json': { schema: { type: 'object' } } } })
  @ApiProblems(400, 404)
  schema(
    @Param('type') type: string,
    @Param('version') versionText: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) response: Response,
  ): Record<string, unknown> {
    parseReadQuery(query, []);
    if (!SCHEMA_VERSION.test(versionText))
      throw new ValidationProblem([{ field: 'version', message: 'version must be a whole number from 1' }]);
    const published = feedSchema(type, Number(versionText));
    if (!published) throw new NotFoundException(`No published schema for ${type} version ${versionText}; the list: /api/feed/schemas`);
    response.setHeader('Content-Type', 'application/schema+json; charset=utf-8');
    return published.schema;
  }
}

/** A consumer limited by its token's `services` claim; every other reader sees everything. */
function servicesOf(actor: Actor): readonly string[] | undefined {
  return actor.role === 'consumer' && actor.services ? actor.services : undefined;
}
