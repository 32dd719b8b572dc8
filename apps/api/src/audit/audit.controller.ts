import { Controller, Get, Inject, Logger, NotFoundException, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { once } from 'node:events';
import { CONVENTION_ID_FORMAT } from '@lib/application';
import { conventionStreamId } from '@lib/domain/convention';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { EVENT_STORE, EventStore, Position, formatPosition, parsePosition } from '@lib/event-store/event-store.port';
import { SealHead, StoredChainVerification } from '@lib/event-store/integrity/event-hash';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { AUDIT_TABLES, AuditEntry, auditEntryOf, readAuditPage } from '@lib/projections/audit';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles, assertMayReadCommune } from '../auth/auth.guard';
import { parseReadQuery } from '../http/read-query';
import { ValidationProblem } from '../problem-details';
import { ProjectionHost } from '../projections/projection-host';
import { parseAuditQuery } from './audit-query';
import { IntegrityService } from './integrity.service';
import { CLOCK, Clock } from '../clock';
import { ApiPaging, ApiProblems, ApiRead, ApiReadQuery } from '../http/openapi';
import { POSITION } from '../http/openapi-schemas';

/** GET /api/audit/verify's answer (API.md), positions as strings. */
interface VerifyView {
  ok: boolean;
  checked: number;
  firstBrokenPosition?: string;
  headHash: string | null;
  sealedHead?: Omit<SealHead, 'position'> & { position: string | null };
  unsealedTail?: StoredChainVerification['unsealedTail'];
  tree?: StoredChainVerification['tree'];
  signedHead?: StoredChainVerification['signedHead'];
}

/** A convention's history (API.md `GET /api/conventions/{id}/history`), read from its stream: always complete. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('conventions')
export class ConventionHistoryController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get(':id/history')
  @Roles('admin', 'auditor', 'commune')
  @ApiOperation({
    summary: 'Every event of the convention in order: business date, recording instant, actor, reason, legal reference, ids (R-AUD-1)',
  })
  @ApiReadQuery('minPosition')
  @ApiRead('ConventionHistory')
  @ApiProblems(404)
  async history(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @CurrentActor() actor: Actor,
  ): Promise<{ conventionId: string; events: AuditEntry[] }> {
    const match = CONVENTION_ID_FORMAT.exec(id);
    if (!match) throw new NotFoundException(`No convention ${id}`);
    assertMayReadCommune(actor, match[1]);
    parseReadQuery(query, ['minPosition']); // read from the store itself: always up to date
    const events: AuditEntry[] = [];
    for await (const event of this.store.readStream(conventionStreamId(id))) events.push(auditEntryOf(event));
    if (events.length === 0) throw new NotFoundException(`No convention ${id}`);
    return { conventionId: id, events };
  }
}

/** The audit team's routes (API.md): the global history, the integrity chain, the archive export. Role auditor. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  private readonly logger = new Logger('Audit');

  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    private readonly host: ProjectionHost,
    private readonly integrity: IntegrityService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('events')
  @Roles('auditor')
  @ApiOperation({
    summary: 'The global history in global order, paged (`next` → `after`), filtered by type, actor, recording instants (from/to)',
  })
  @ApiPaging({ default: 100, max: 1000 }, { description: 'A position (exclusive): `next` of the previous page' })
  @ApiReadQuery('minPosition')
  @ApiRead('AuditPage')
  @ApiQuery({
    name: 'type',
    required: false,
    description: 'An event type, or several separated by commas',
    schema: { type: 'string', example: 'ConventionSigned,AnnexAdded' },
  })
  @ApiQuery({
    name: 'actor',
    required: false,
    description: 'An actor id (the `sub` of the token that caused it)',
    schema: { type: 'string', example: 'admin-alice' },
  })
  @ApiQuery({
    name: 'from',
    required: false,
    description: 'Recorded at or after: an instant, or a date (the whole day in Europe/Paris)',
    schema: { type: 'string', example: '2026-03-01' },
  })
  @ApiQuery({
    name: 'to',
    required: false,
    description: 'Recorded at or before: an instant, or a date (the whole day in Europe/Paris)',
    schema: { type: 'string', example: '2026-03-31T23:59:59Z' },
  })
  async events(@Query() query: Record<string, unknown>): Promise<{ events: AuditEntry[]; next: string | null }> {
    const { minPosition: _, ...filters } = query;
    const audit = parseAuditQuery(filters);
    await this.host.ensureCaughtUp(minPositionOf(query.minPosition));
    const page = await readAuditPage(this.db, AUDIT_TABLES, audit);
    return { events: page.events, next: page.next ? formatPosition(page.next) : null };
  }

  @Get('verify')
  @Roles('auditor')
  @ApiOperation({
    summary:
      'Recomputes the integrity chain over every sealed event: {ok, checked, firstBrokenPosition?, headHash}, and on PostgreSQL/PGlite ' +
      'the seal head and the unsealed tail (ok is false when an acknowledged event has stayed unsealed longer than boundMs), ' +
      'the Merkle tree (its stored root recomputed from the events) and the latest signed head (its signature and its root)',
  })
  @ApiReadQuery()
  @ApiRead('Verification')
  @ApiOkResponse({
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/Verification' },
        example: {
          ok: true,
          checked: 1042,
          headHash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
          sealedHead: { position: '1897-1042', size: 1042, hash: '9f86d0…', sealedAt: '2026-12-02T06:00:00.120Z' },
          unsealedTail: { count: 3, oldestRecordedAt: '2026-12-02T06:00:00.101Z', oldestAgeMs: 24, boundMs: 1000, overdue: false },
        },
      },
    },
  })
  async verify(@Query() query: Record<string, unknown>): Promise<VerifyView> {
    parseReadQuery(query, []);
    const { ok, checked, firstBrokenPosition, headHash, sealedHead, unsealedTail, tree, signedHead } = await this.integrity.verify();
    return {
      ok,
      checked,
      ...(firstBrokenPosition ? { firstBrokenPosition: formatPosition(firstBrokenPosition) } : {}),
      headHash,
      ...(sealedHead
        ? { sealedHead: { ...sealedHead, position: sealedHead.position === null ? null : formatPosition(sealedHead.position) } }
        : {}),
      ...(unsealedTail ? { unsealedTail } : {}),
      ...(tree ? { tree } : {}),
      ...(signedHead ? { signedHead } : {}),
    };
  }

  @Get('export')
  @Roles('auditor')
  @ApiOperation({
    summary: 'The whole history for archives, as JSON Lines: one event a line with its hash and the previous hash, streamed',
  })
  @ApiQuery({
    name: 'after',
    required: false,
    description: 'Only the events after this position (an incremental export)',
    schema: POSITION,
  })
  @ApiOkResponse({
    description:
      'JSON Lines, one event a line: position, id, streamId, revision, type, schemaVersion, data, metadata, recordedAt, previousHash, hash',
    content: { 'application/x-ndjson': { schema: { type: 'string' } } },
  })
  @ApiProblems(400, 401, 403, 503)
  async export(@Query() query: Record<string, unknown>, @Res() response: Response): Promise<void> {
    const { after: afterText, ...rest } = query;
    parseReadQuery(rest, []);
    const after = afterText === undefined ? undefined : typeof afterText === 'string' ? parsePosition(afterText) : undefined;
    if (afterText !== undefined && !after) throw new ValidationProblem([{ field: 'after', message: 'after must be a position' }]);
    const links = await this.integrity.links(after);
    response.status(200);
    response.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    response.setHeader(
      'Content-Disposition',
      `attachment; filename="history-${this.clock.now().toISOString().replace(/[:.]/g, '-')}.jsonl"`,
    );
    let previousHash: string | null = null;
    try {
      for await (const { event, hash } of links) {
        // The fields the hash covers (docs/audit.md), then the hash: each line can be checked on its own.
        const { id, streamId, revision, type, schemaVersion, data, metadata, recordedAt } = event;
        const line =
          JSON.stringify({
            position: formatPosition(event.position),
            id,
            streamId,
            revision,
            type,
            schemaVersion,
            data,
            metadata,
            recordedAt,
            previousHash,
            hash,
          }) + '\n';
        previousHash = hash;
        // Backpressure: never more than the socket's buffer in memory, whatever the size of the log.
        if (!response.write(line)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
        if (response.destroyed) return; // the client went away: stop reading the log
      }
    } catch (error) {
      // The status line is gone: cut the stream short, so the client sees an incomplete export, not a complete one.
      this.logger.error(`Export failed: ${error instanceof Error ? error.stack : String(error)}`);
      response.destroy(error instanceof Error ? error : undefined);
      return;
    }
    response.end();
  }
}

function minPositionOf(value: unknown): Position | undefined {
  return value === undefined ? undefined : parseReadQuery({ minPosition: value }, ['minPosition']).minPosition;
}
