import { Controller, Get, Headers, HttpCode, HttpException, HttpStatus, Param, Post, Query, Res, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { ApiAnswer, ApiIdempotent, ApiProblems, ApiRead } from '../http/openapi';
import { POSITION } from '../http/openapi-schemas';
import { Response } from 'express';
import { formatPosition, parsePosition } from '@lib/event-store/event-store.port';
import { eventLeafHash } from '@lib/event-store/integrity/offline-verifier';
import { SignedTreeHead } from '@lib/event-store/integrity/tree-head';
import { ProofError, verifyInclusion } from '@lib/event-store/integrity/merkle';
import { Public, Roles } from '../auth/auth.guard';
import { ValidationProblem } from '../problem-details';
import { NoVerifiableLogError, TreeHeadsService, TreeTamperedError } from './tree-heads.service';

/** The event as the export writes it (docs/audit.md): every field its leaf hash covers. */
interface ProvenEvent {
  position: string;
  id: string;
  streamId: string;
  revision: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: unknown;
  recordedAt: string;
}

function problem(status: HttpStatus, type: string, message: string, rule?: string): HttpException {
  return new HttpException({ message, problem: { type, ...(rule ? { rule } : {}) } }, status);
}

const HEADS_PAGE = { default: 20, max: 1000 } as const;

/**
 * The verifiable log (docs/audit.md): signed tree heads, inclusion and consistency proofs, the public
 * key. What an auditor fetches once and then checks offline (`cli verify-proof`, `cli verify-archive`).
 */
@ApiTags('audit')
@Controller('audit')
export class VerifiableLogController {
  constructor(private readonly heads: TreeHeadsService) {}

  private log() {
    try {
      return this.heads.verifiableLog();
    } catch (error) {
      if (error instanceof NoVerifiableLogError) throw problem(HttpStatus.NOT_IMPLEMENTED, '/problems/no-verifiable-log', error.message);
      throw error;
    }
  }

  @Get('public-key')
  @Public()
  @ApiOperation({
    summary: 'The Ed25519 public key that signs the tree heads (no token): JSON, or the PEM itself with Accept: application/x-pem-file',
  })
  @ApiResponse({
    status: 200,
    description: 'The key (JSON), or its PEM with Accept: application/x-pem-file',
    content: {
      'application/json': { schema: { $ref: '#/components/schemas/PublicKey' } },
      'application/x-pem-file': { schema: { type: 'string', description: 'SubjectPublicKeyInfo, PEM' } },
    },
  })
  @ApiProblems(501)
  publicKey(@Headers('accept') accept: string | undefined, @Res({ passthrough: true }) response: Response) {
    this.log();
    const pem = this.heads.publicKeyPem();
    if (accept?.includes('application/x-pem-file')) {
      response.type('application/x-pem-file');
      return pem;
    }
    return { algorithm: 'Ed25519', keyId: this.heads.keyId, publicKeyPem: pem };
  }

  @Post('heads')
  @HttpCode(201)
  @Roles('auditor', 'admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Signs a tree head now over the tree as it stands (a fresh timestamp even when it has not grown)' })
  @UseInterceptors(IdempotencyInterceptor)
  @ApiIdempotent()
  @ApiAnswer('SignedTreeHead', { status: 201, description: 'Signed and recorded' })
  @ApiProblems(401, 403, 409, 501, 503)
  async sign(): Promise<SignedTreeHead> {
    this.log();
    try {
      return await this.heads.sign();
    } catch (error) {
      if (error instanceof TreeTamperedError) throw problem(HttpStatus.CONFLICT, '/problems/tree-tampered', error.message, 'R-AUD-1');
      throw error;
    }
  }

  @Get('heads')
  @Roles('auditor', 'admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed tree heads, newest first, paged (`next` → `before`)' })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: `1..${HEADS_PAGE.max}, default ${HEADS_PAGE.default}`,
    schema: { type: 'integer', minimum: 1, maximum: HEADS_PAGE.max, default: HEADS_PAGE.default },
  })
  @ApiQuery({ name: 'before', required: false, description: '`next` of the previous page', schema: { type: 'string', pattern: '^\\d+$' } })
  @ApiRead('TreeHeadPage')
  @ApiProblems(400, 501)
  async list(@Query() query: Record<string, unknown>): Promise<{ heads: SignedTreeHead[]; next: string | null }> {
    const { limit: limitText, before: beforeText, ...rest } = query;
    const errors = unknownFields(rest);
    const limit = wholeNumber(limitText, 'limit', 1, HEADS_PAGE.max, errors) ?? HEADS_PAGE.default;
    const before = wholeNumber(beforeText, 'before', 1, Number.MAX_SAFE_INTEGER, errors);
    if (errors.length > 0) throw new ValidationProblem(errors);
    const page = await this.log().heads({ limit: limit + 1, before });
    const heads = page.slice(0, limit);
    return { heads: heads.map((h) => h.head), next: page.length > limit ? String(heads[heads.length - 1].id) : null };
  }

  @Get('heads/latest')
  @Roles('auditor', 'admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The latest signed tree head (404 before the first)' })
  @ApiRead('SignedTreeHead')
  @ApiProblems(400, 404, 501)
  async latest(@Query() query: Record<string, unknown>): Promise<SignedTreeHead> {
    const errors = unknownFields(query);
    if (errors.length > 0) throw new ValidationProblem(errors);
    const head = await this.log().latestHead();
    if (!head) throw problem(HttpStatus.NOT_FOUND, '/problems/no-signed-head', 'No tree head has been signed yet');
    return head;
  }

  @Get('events/:position/proof')
  @Roles('auditor')
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'The inclusion proof (RFC 9162 audit path) of an event in the tree of treeSize events: by default the latest signed head, ' +
      'or the whole tree when no head covers the event yet',
  })
  @ApiParam({ name: 'position', description: 'The event’s position, as the history and the export give it', schema: POSITION })
  @ApiQuery({
    name: 'treeSize',
    required: false,
    description: 'The tree to prove it in: a signed head’s treeSize',
    schema: { type: 'integer', minimum: 1 },
  })
  @ApiRead('InclusionProof')
  @ApiProblems(400, 404, 409, 501)
  async inclusion(@Param('position') positionText: string, @Query() query: Record<string, unknown>) {
    const { treeSize: sizeText, ...rest } = query;
    const errors = unknownFields(rest);
    const position = parsePosition(positionText);
    if (!position) errors.push({ field: 'position', message: 'position must be a position (as the history gives it)' });
    const askedSize = wholeNumber(sizeText, 'treeSize', 1, Number.MAX_SAFE_INTEGER, errors);
    if (errors.length > 0 || !position) throw new ValidationProblem(errors);
    const log = this.log();
    const [leaf, tree, latest] = await Promise.all([log.leafOf(position), log.tree(), log.latestHead()]);
    if (!leaf)
      throw problem(HttpStatus.NOT_FOUND, '/problems/not-in-tree', `No event at ${positionText} in the tree (not sealed yet, or none)`);
    const treeSize = askedSize ?? (latest && latest.treeSize > leaf.leafIndex ? latest.treeSize : tree.size);
    if (treeSize > tree.size) throw new ValidationProblem([{ field: 'treeSize', message: `the tree holds ${tree.size} events` }]);
    if (treeSize <= leaf.leafIndex)
      throw new ValidationProblem([
        { field: 'treeSize', message: `the event is leaf ${leaf.leafIndex}: a tree of ${treeSize} does not hold it` },
      ]);
    const [auditPath, root, signedHead] = await Promise.all([
      log.inclusionProof(leaf.leafIndex, treeSize),
      log.rootAt(treeSize),
      latest?.treeSize === treeSize ? Promise.resolve(latest) : log.headCovering(treeSize),
    ]);
    const leafHash = eventLeafHash(leaf.event);
    // An honest server never hands out a proof that does not hold: a node changed in the database shows here.
    try {
      verifyInclusion(
        Buffer.from(leafHash, 'hex'),
        leaf.leafIndex,
        treeSize,
        auditPath,
        signedHead?.treeSize === treeSize ? Buffer.from(signedHead.rootHash, 'hex') : root,
      );
    } catch (error) {
      if (!(error instanceof ProofError)) throw error;
      throw problem(
        HttpStatus.CONFLICT,
        '/problems/tree-tampered',
        `The stored tree gives no valid proof of leaf ${leaf.leafIndex}: ${error.message}`,
        'R-AUD-1',
      );
    }
    const { id, streamId, revision, type, schemaVersion, data, metadata, recordedAt } = leaf.event;
    const event: ProvenEvent = {
      position: formatPosition(position),
      id,
      streamId,
      revision,
      type,
      schemaVersion,
      data,
      metadata,
      recordedAt,
    };
    return {
      leafIndex: leaf.leafIndex,
      treeSize,
      leafHash,
      auditPath: auditPath.map((h) => h.toString('hex')),
      rootHash: root.toString('hex'),
      signedHead: signedHead?.treeSize === treeSize ? signedHead : null,
      event,
    };
  }

  @Get('consistency')
  @Roles('auditor')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The consistency proof (RFC 9162) that the tree of `to` events extends the tree of `from` events' })
  @ApiQuery({
    name: 'from',
    required: true,
    description: 'The older tree size (a signed head’s treeSize)',
    schema: { type: 'integer', minimum: 0 },
  })
  @ApiQuery({
    name: 'to',
    required: false,
    description: 'The newer tree size; default: the latest signed head’s',
    schema: { type: 'integer', minimum: 0 },
  })
  @ApiRead('ConsistencyProof')
  @ApiProblems(400, 501)
  async consistency(@Query() query: Record<string, unknown>) {
    const { from: fromText, to: toText, ...rest } = query;
    const errors = unknownFields(rest);
    const from = wholeNumber(fromText, 'from', 0, Number.MAX_SAFE_INTEGER, errors);
    if (fromText === undefined) errors.push({ field: 'from', message: 'from is required' });
    const askedTo = wholeNumber(toText, 'to', 0, Number.MAX_SAFE_INTEGER, errors);
    if (errors.length > 0 || from === undefined) throw new ValidationProblem(errors);
    const log = this.log();
    const [tree, latest] = await Promise.all([log.tree(), log.latestHead()]);
    const to = askedTo ?? latest?.treeSize ?? tree.size;
    if (to > tree.size) throw new ValidationProblem([{ field: 'to', message: `the tree holds ${tree.size} events` }]);
    if (from > to) throw new ValidationProblem([{ field: 'from', message: `from must not exceed to (${to})` }]);
    const [proof, fromRoot, toRoot] = await Promise.all([log.consistencyProof(from, to), log.rootAt(from), log.rootAt(to)]);
    return { from, to, fromRoot: fromRoot.toString('hex'), toRoot: toRoot.toString('hex'), proof: proof.map((h) => h.toString('hex')) };
  }
}

function unknownFields(rest: Record<string, unknown>): { field: string; message: string }[] {
  return Object.keys(rest).map((field) => ({ field, message: `${field} is not a parameter of this route` }));
}

function wholeNumber(
  value: unknown,
  field: string,
  min: number,
  max: number,
  errors: { field: string; message: string }[],
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value) || Number(value) < min || Number(value) > max) {
    errors.push({ field, message: `${field} must be a whole number from ${min} to ${max}` });
    return undefined;
  }
  return Number(value);
}
