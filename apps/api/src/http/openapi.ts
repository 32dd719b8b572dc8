import { INestApplication, applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiProperty, ApiQuery, ApiResponse, DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { CATALOGUE_ID_SCHEMA, CONVENTION_ID, DATE, INSEE, INSTANT, MONEY, OPENAPI_SCHEMAS, POSITION } from './openapi-schemas';

/*
 * The OpenAPI document is the contract (docs/api.md): these decorators say, on each route, what API.md
 * says once for all (headers, read parameters, problems), so that a new route documents itself by
 * stacking a few of them. test/openapi.e2e.spec.ts walks the document and names any operation that
 * misses one.
 */

type Schema = Record<string, unknown>;
const ref = (name: keyof typeof OPENAPI_SCHEMAS): Schema => ({ $ref: `#/components/schemas/${name}` });

export type ProblemStatus = 400 | 401 | 403 | 404 | 406 | 409 | 413 | 415 | 422 | 501 | 503;

const PROBLEMS: Record<ProblemStatus, { description: string; schema: keyof typeof OPENAPI_SCHEMAS }> = {
  400: { description: 'Malformed or invalid input: every invalid field, naming its rule where one applies', schema: 'ValidationProblem' },
  401: { description: 'No token, or a token that is malformed, expired or not ours', schema: 'Problem' },
  403: { description: 'The token’s role (or commune) may not do this', schema: 'Problem' },
  404: { description: 'Unknown id', schema: 'Problem' },
  406: { description: 'The Accept header asks for a type this resource is not available as', schema: 'Problem' },
  409: { description: 'A stale If-Match, or a conflict with the current state (naming its rule)', schema: 'ConflictProblem' },
  413: { description: 'The body is too large', schema: 'Problem' },
  415: { description: 'The body is not application/json', schema: 'Problem' },
  422: {
    description: 'A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body',
    schema: 'RuleProblem',
  },
  501: { description: 'This event store keeps no Merkle tree (EventStoreDB): no signed heads nor proofs', schema: 'Problem' },
  503: { description: 'The store or a read model cannot answer in time: retry after Retry-After', schema: 'Problem' },
};

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } } };
const ETAG = {
  ETag: { description: 'The version, quoted: send it back in If-Match', schema: { type: 'string', pattern: '^"\\d+"$', example: '"3"' } },
};
const LOCATION = { Location: { description: 'The created resource', schema: { type: 'string', example: '/api/conventions/69123-1' } } };

/** The problem+json answers a route can give, each with its schema (RFC 9457; `rule` on 409/422). */
export function ApiProblems(...statuses: ProblemStatus[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...[...new Set(statuses)].map((status) =>
      ApiResponse({
        status,
        description: PROBLEMS[status].description,
        content: { 'application/problem+json': { schema: ref(PROBLEMS[status].schema) } },
        ...(status === 503 ? { headers: RETRY_AFTER } : {}),
      }),
    ),
  );
}

/** Every command (API.md): the same key with the same body answers the first answer again; with another body, 422. */
export function ApiIdempotent(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422',
      schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7E]+$', example: 'lyon-convention' },
    }),
    ApiProblems(400, 422),
  );
}

/** A command on an existing stream (API.md): `If-Match: "<version>"`, a stale one 409 and nothing recorded. */
export function ApiIfMatch(description = 'The version read (ETag); a stale one gets 409 and nothing is recorded'): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'If-Match',
      required: false,
      description,
      schema: { type: 'string', pattern: '^(\\*|(W/)?"?\\d{1,9}"?)$', example: '"3"' },
    }),
    ApiProblems(400, 409),
  );
}

export type ReadParameter = 'on' | 'knownAt' | 'asOfPosition' | 'minPosition';

const READ_PARAMETERS: Record<ReadParameter, { description: string; schema: Schema }> = {
  on: { description: 'What was in force that day (Europe/Paris); default today (R-TIME-1)', schema: { ...DATE, example: '2026-03-01' } },
  knownAt: {
    description: 'Only the facts recorded up to this instant (R-TIME-1), with its offset; default now',
    schema: { ...INSTANT, example: '2026-03-01T12:00:00Z' },
  },
  asOfPosition: {
    description: 'The state as known right after this position of the global order (as a command returned it); not with knownAt',
    schema: POSITION,
  },
  minPosition: {
    description: 'A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait)',
    schema: POSITION,
  },
};

/** The read parameters of API.md a route accepts (anything else is a 400 naming it). */
export function ApiReadQuery(...names: ReadParameter[]): MethodDecorator {
  return applyDecorators(
    ...names.map((name) => ApiQuery({ name, required: false, ...READ_PARAMETERS[name] })),
    ApiProblems(400, ...(names.includes('minPosition') || names.includes('asOfPosition') ? [503 as const] : [])),
  );
}

/** A page through the global order: `after` (exclusive, the previous page's `next`) and `limit`. */
export function ApiPaging(limit: { default: number; max: number }, after: { description?: string; schema?: Schema } = {}): MethodDecorator {
  return applyDecorators(
    ApiQuery({
      name: 'after',
      required: false,
      description: after.description ?? 'Exclusive: the `next` of the previous page; 0 or none for the beginning',
      schema: after.schema ?? POSITION,
    }),
    ApiQuery({
      name: 'limit',
      required: false,
      description: `At most this many items (1..${limit.max}, default ${limit.default})`,
      schema: { type: 'integer', minimum: 1, maximum: limit.max, default: limit.default },
    }),
    ApiProblems(400),
  );
}

export interface AnswerOptions {
  status?: 200 | 201 | 202;
  description?: string;
  /** The answer carries ETag (a version to send back in If-Match). */
  etag?: boolean;
  location?: boolean;
  /** Also available as text/csv (`Accept: text/csv`; 406 for a type it cannot give). */
  csv?: boolean;
  /** An array of the schema. */
  array?: boolean;
}

/** The success answer: a JSON body of one of OPENAPI_SCHEMAS, with its headers. */
export function ApiAnswer(schema: keyof typeof OPENAPI_SCHEMAS, options: AnswerOptions = {}): MethodDecorator {
  const body = options.array ? { type: 'array', items: ref(schema) } : ref(schema);
  return applyDecorators(
    ApiResponse({
      status: options.status ?? 200,
      description: options.description ?? 'OK',
      content: {
        'application/json': { schema: body },
        ...(options.csv
          ? { 'text/csv': { schema: { type: 'string', description: 'A French spreadsheet: `;`, decimal comma, UTF-8 with BOM' } } }
          : {}),
      },
      headers: { ...(options.etag ? ETAG : {}), ...(options.location ? LOCATION : {}) },
    }),
    ...(options.csv ? [ApiProblems(406)] : []),
  );
}

export interface CommandOptions {
  /** The success status (the route's @HttpCode). */
  status: 200 | 201;
  /** Another success status it may answer, and when (e.g. 200 when nothing was recorded). */
  also?: { status: 200 | 201; description: string };
  answer?: keyof typeof OPENAPI_SCHEMAS;
  /** A command on an existing stream: If-Match (API.md). */
  ifMatch?: boolean | string;
  location?: boolean;
  /** Whether the answer carries ETag (a single-stream command does). */
  etag?: boolean;
}

/**
 * A command route (API.md): Idempotency-Key, If-Match when on an existing stream, its answer, and the
 * problems every command can give (body checks, auth, unknown id, a rule, a conflict, the store away).
 */
export function ApiCommand(options: CommandOptions): MethodDecorator {
  const answer = options.answer ?? 'CommandAnswer';
  const headers = { etag: options.etag ?? true, location: options.location };
  return applyDecorators(
    ApiIdempotent(),
    ApiHeader({
      name: 'X-Correlation-Id',
      required: false,
      description: 'Recorded on every event the command causes (R-AUD-1); default: the command’s own id',
      schema: { type: 'string', minLength: 1, maxLength: 200, example: 'back-office-request-42' },
    }),
    ...(options.ifMatch ? [ApiIfMatch(typeof options.ifMatch === 'string' ? options.ifMatch : undefined)] : []),
    ApiAnswer(answer, { status: options.status, description: 'Recorded: sent once the events are stored', ...headers }),
    ...(options.also
      ? [ApiAnswer(answer, { status: options.also.status, description: options.also.description, etag: headers.etag })]
      : []),
    ApiProblems(400, 401, 403, 404, 409, 413, 415, 422, 503),
  );
}

/** A read of state: its answer and the problems any authenticated read can give. */
export function ApiRead(schema: keyof typeof OPENAPI_SCHEMAS, options: AnswerOptions = {}): MethodDecorator {
  return applyDecorators(ApiAnswer(schema, options), ApiProblems(401, 403, 503));
}

/** A request field that is a date `YYYY-MM-DD` (class-validator's `Type` would otherwise read as `object`). */
export function ApiDateProperty(options: { example?: string; description?: string; required?: boolean; nullable?: boolean } = {}) {
  return ApiProperty({ type: 'string', format: 'date', pattern: DATE.pattern as string, ...options });
}

/** A request field that is money: a decimal string with two decimals. */
export function ApiMoneyProperty(options: { example?: string; description?: string; required?: boolean; nullable?: boolean } = {}) {
  return ApiProperty({ type: 'string', pattern: MONEY.pattern as string, ...options });
}

/**
 * Path parameters mean the same under every route that names them: their schema is given here once,
 * so a new route with `:id` or `:insee` is documented without a decorator. An unknown id is a 404
 * (a year or an INSEE code out of shape, a 400), whatever the pattern says.
 */
const PATH_PARAMETERS: Record<string, Schema> = {
  id: CONVENTION_ID,
  insee: INSEE,
  year: { type: 'string', pattern: '^\\d{4}$', example: '2026', description: 'A billing year, 2000 to 2100' },
  serviceId: CATALOGUE_ID_SCHEMA,
  offerId: { ...CATALOGUE_ID_SCHEMA, example: 'partenaire' },
  type: { type: 'string', example: 'EntitlementGranted' },
  version: { type: 'string', pattern: '^[1-9][0-9]{0,5}$', example: '1' },
  job: { type: 'string', example: 'rebuild-1' },
};

/** The routes that need no token (ApiBearerAuth is on every other controller). */
export const PUBLIC_OPERATIONS = [
  'GET /api/health',
  'GET /api/health/live',
  'GET /api/health/ready',
  'GET /api/feed/schemas',
  'GET /api/feed/schemas/{type}/{version}',
  'GET /api/audit/public-key',
  'POST /api/dev/tokens',
];

interface Operation {
  security?: unknown[];
  parameters?: Array<{ in?: string; name?: string; schema?: Schema }>;
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
}

/** The document served at /api/docs-json and written by `npm run openapi` (scripts/openapi.ts). */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Conventions cadre — Métropole de Lyon')
    .setDescription(
      'Framework agreements (CP-2025-4074) between the Métropole de Lyon and its communes: commands, entitlements, fee ledgers, audit, feed. ' +
        'Conventions shared by every route (dates, instants, money, problems, Idempotency-Key, If-Match, minPosition): ../shared/spec/API.md and docs/api.md.',
    )
    .setVersion('1')
    .addServer('http://localhost:3000', 'Local development (npm start)')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'HS256 or RS256 (JWKS); claims: sub, role, exp, insee, services',
    })
    .addSecurityRequirements('bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    // `conventions_sign` rather than `ConventionsController_sign`: shorter names in generated clients.
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
  document.info.license = { name: 'Proprietary (UNLICENSED)' };
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...OPENAPI_SCHEMAS } };
  for (const [path, item] of Object.entries(document.paths))
    for (const [method, operation] of Object.entries(item) as Array<[string, Operation]>) {
      if (PUBLIC_OPERATIONS.includes(`${method.toUpperCase()} ${path}`)) operation.security = [];
      for (const parameter of operation.parameters ?? [])
        if (parameter.in === 'path' && parameter.name && PATH_PARAMETERS[parameter.name])
          parameter.schema = { ...PATH_PARAMETERS[parameter.name], ...parameter.schema, type: 'string' };
      // @nestjs/swagger joins the descriptions of a status declared twice (ApiCommand and ApiIfMatch both say 409): say it once.
      for (const [status, response] of Object.entries(operation.responses ?? {}))
        if (response.content?.['application/problem+json'] && status in PROBLEMS)
          response.description = PROBLEMS[Number(status) as ProblemStatus].description;
    }
  return document;
}
