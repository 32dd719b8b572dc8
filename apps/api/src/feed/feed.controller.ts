import { Body, Controller, Get, Headers, HttpCode, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { FEED_SCHEMAS, FeedEnvelope, feedSchema } from '@lib/projections/feed';
import { Actor } from '../auth/actor';
import { AcceptsStreamToken, CurrentActor, Public, Roles } from '../auth/auth.guard';
import { StreamTokens } from '../auth/stream-tokens';
import { parseReadQuery } from '../http/read-query';
import { ValidationProblem } from '../problem-details';
import { ProjectionHost } from '../projections/projection-host';
import { FEED_PAGE_LIMIT } from './feed.config';
import { FeedService } from './feed.service';
import { FeedPageView, FeedSchemaSummaryView } from './feed.view';
import { parseFeedQuery } from './feed-query';
import { ApiAnswer, ApiPaging, ApiProblems, ApiReadQuery } from '../http/openapi';

/** No field: the stream has no filter beyond the token's services claim; any field sent is refused (400). */
class StreamTokenRequest {}

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
    private readonly streamTokens: StreamTokens,
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

  @Post('stream-tokens')
  @ApiBearerAuth()
  @Roles('consumer', 'admin', 'auditor')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'A short-lived token that opens GET /api/feed/stream as `?access_token=`, for a browser (EventSource sends no Authorization header)',
    description:
      "It carries the caller's sub, role and services claim, lives FEED_STREAM_TOKEN_TTL_SECONDS (60 s by default) and is accepted " +
      'by GET /api/feed/stream only, and only in the query; it is refused as a bearer token. It is needed to open a stream, not to keep ' +
      'it: EventSource reconnects with a new URL, so ask for a new token before each connection (docs/operations.md). No body, or `{}`.',
  })
  @ApiAnswer('StreamToken', { status: 201, description: 'A stream token' })
  @ApiProblems(400, 401, 403, 415)
  async streamToken(@Body() _body: StreamTokenRequest, @CurrentActor() actor: Actor): Promise<{ token: string; expiresAt: string }> {
    return this.streamTokens.issue(actor);
  }

  @Get('stream')
  @ApiBearerAuth()
  @Roles('consumer', 'admin', 'auditor')
  @AcceptsStreamToken()
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
  @ApiQuery({
    name: 'access_token',
    required: false,
    description: 'A stream token from POST /api/feed/stream-tokens, instead of the Authorization header (a browser); never a bearer token',
    schema: { type: 'string' },
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
    // access_token is the guard's (a stream token), read there.
    const { access_token: _streamToken, ...rest } = query;
    const { after } = parseFeedQuery(rest, ['after'], lastEventId);
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
