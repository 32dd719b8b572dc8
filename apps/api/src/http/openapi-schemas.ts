import { CONVENTION_ID_FORMAT } from '@lib/application';
import { CATALOGUE_ID, INSEE_FORMAT } from './validators';

/*
 * The JSON Schemas of the OpenAPI document (components.schemas): the answers, the problems and the value
 * formats of API.md. Written as schemas rather than decorated classes: most answers are built from
 * domain and contract types (libs/contract) that are interfaces, which @nestjs/swagger cannot read, and
 * nullable dates and money need an exact `type`/`format`/`pattern` that reflection would give as
 * `object`. The patterns come from the validators the API checks with, so the two cannot drift.
 */
type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
/** OpenAPI 3.0: nullable is a keyword of the schema itself (a $ref cannot carry it, hence inline copies). */
const orNull = (schema: Schema): Schema => ({
  ...schema,
  nullable: true,
  // An enum lists its values: null among them (OpenAPI 3.0.3), else validators refuse it despite `nullable`.
  ...(Array.isArray(schema.enum) ? { enum: [...(schema.enum as unknown[]), null] } : {}),
});
const object = (properties: Record<string, Schema>, optional: string[] = [], extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((name) => !optional.includes(name)),
  ...extra,
});
const arrayOf = (items: Schema): Schema => ({ type: 'array', items });

export const DATE: Schema = { type: 'string', format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$', example: '2026-01-01' };
export const INSTANT: Schema = { type: 'string', format: 'date-time', example: '2026-03-01T12:00:00.000Z' };
/** Money: a decimal string with two decimals (API.md), negative for a credit. */
export const MONEY: Schema = { type: 'string', pattern: '^-?\\d+\\.\\d{2}$', example: '111649.77' };
/** A decimal string (a rate, an index value, a coefficient), exact. */
export const DECIMAL: Schema = { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$', example: '322.2' };
export const INSEE: Schema = { type: 'string', pattern: INSEE_FORMAT.source, example: '69123' };
/** A position of the global order as a command returns it (formatPosition): opaque to clients. */
export const POSITION: Schema = { type: 'string', pattern: '^(0|\\d{1,15}-\\d{1,15})$', example: '1897-1042' };
export const CONVENTION_ID: Schema = { type: 'string', pattern: CONVENTION_ID_FORMAT.source, example: '69123-1' };
export const CATALOGUE_ID_SCHEMA: Schema = { type: 'string', pattern: CATALOGUE_ID.source, example: 'toodego' };
export const SHA256: Schema = {
  type: 'string',
  pattern: '^[0-9a-f]{64}$',
  example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
};
export const YEAR: Schema = { type: 'integer', minimum: 2000, maximum: 2100, example: 2026 };
export const VERSION: Schema = { type: 'integer', minimum: 0, example: 3, description: 'The stream version: send it back in If-Match' };

const eventSummary = object(
  { type: { type: 'string', example: 'ConventionSigned' }, position: POSITION, data: { type: 'object', additionalProperties: true } },
  [],
  { description: 'An event the command recorded' },
);

const fieldError = object(
  {
    field: { type: 'string', example: 'annexes[0].effectiveFrom' },
    message: { type: 'string' },
    constraint: { type: 'string', example: 'isApiDate' },
    rule: { type: 'string', pattern: '^R-[A-Z]+-\\d+$', example: 'R-TIME-1' },
  },
  ['constraint', 'rule'],
);

const ledgerLineIdentity = {
  lineId: { type: 'string', example: '69123-1/toodego/partenaire/2026-01-01' },
  conventionId: CONVENTION_ID,
  year: YEAR,
  communeInsee: INSEE,
  communeName: { type: 'string', example: 'Lyon' },
  serviceId: CATALOGUE_ID_SCHEMA,
  offerId: { ...CATALOGUE_ID_SCHEMA, example: 'partenaire' },
};

/** R-FEE-8's line (API.md), beside what was issued for it. */
const ledgerLine = object(
  {
    ...ledgerLineIdentity,
    feeScheduleKind: { type: 'string', enum: ['free', 'fixed_plus_per_inhabitant'] },
    inForceFrom: DATE,
    inForceUntil: DATE,
    population: orNull({ type: 'integer', minimum: 0, example: 520774 }),
    populationEffectiveDate: orNull(DATE),
    populationSource: orNull({ type: 'string' }),
    populationEventId: orNull({ type: 'string', format: 'uuid' }),
    fixed: orNull(MONEY),
    perInhabitant: orNull(DECIMAL),
    baseAmount: orNull(DECIMAL),
    indexValue: orNull(DECIMAL),
    indexPeriod: orNull({ type: 'string', example: '2025-10' }),
    baseIndexValue: orNull(DECIMAL),
    baseIndexPeriod: orNull({ type: 'string', example: '2024-10' }),
    coefficient: orNull(DECIMAL),
    targetAmount: orNull(MONEY),
    legacyAmount: orNull(MONEY),
    capAmount: orNull(MONEY),
    annualAmount: orNull(MONEY),
    annualAmountBasis: orNull({ type: 'string', enum: ['legacy', 'cap', 'target'] }),
    daysInForce: { type: 'integer', minimum: 0 },
    daysInYear: { type: 'integer', enum: [365, 366] },
    amountDue: orNull(MONEY),
    status: { type: 'string', enum: ['final', 'pending'] },
    pendingReason: orNull({ type: 'string', example: 'legacy_amount_missing' }),
    pendingYear: orNull({ type: 'integer' }),
    issuedAmount: orNull({ ...MONEY, description: 'The sum issued for the line (0.00 if never issued); null while the year has no issue' }),
    difference: orNull({ ...MONEY, description: 'amountDue − issuedAmount: what the next issue regularises' }),
  },
  [],
  { additionalProperties: true },
);

const removedLine = object(
  { ...ledgerLineIdentity, issuedAmount: MONEY, amountDue: MONEY, difference: MONEY },
  ['conventionId', 'year', 'communeName'],
  { additionalProperties: true, description: 'An issued line no longer in the ledger: the next issue credits it' },
);

const issueSummary = object({
  issueNumber: { type: 'integer', minimum: 1 },
  basedOn: object({ position: POSITION, at: INSTANT }),
  lineCount: { type: 'integer' },
  regularisationCount: { type: 'integer' },
  pendingLineCount: { type: 'integer' },
  grandTotal: MONEY,
});

const communeTotal = object({
  communeInsee: INSEE,
  communeName: { type: 'string' },
  total: MONEY,
  pendingLines: { type: 'integer', minimum: 0 },
  issued: orNull(MONEY),
  difference: orNull(MONEY),
});

const period = object({ start: DATE, end: DATE });

const auditEntry = object(
  {
    position: POSITION,
    eventId: { type: 'string', format: 'uuid' },
    streamId: { type: 'string', example: 'convention-69123-1' },
    revision: { type: 'integer', minimum: 0 },
    type: { type: 'string', example: 'ConventionSigned' },
    schemaVersion: { type: 'integer', minimum: 1 },
    businessDate: orNull(DATE),
    recordedAt: INSTANT,
    actor: orNull(object({ id: { type: 'string' }, role: { type: 'string' } })),
    reason: orNull({ type: 'string' }),
    legalReference: orNull({ type: 'string' }),
    commandId: orNull({ type: 'string' }),
    correlationId: orNull({ type: 'string' }),
    causationId: orNull({ type: 'string' }),
    data: { type: 'object', additionalProperties: true },
    hash: orNull({ type: 'string', pattern: '^[0-9a-f]{64}$' }),
  },
  ['hash'],
);

const projectionStatus = object(
  {
    name: { type: 'string', example: 'entitlements' },
    state: { type: 'string', example: 'running' },
    position: POSITION,
    failure: object({ position: POSITION, message: { type: 'string' } }, [], { additionalProperties: true }),
  },
  ['failure'],
  { additionalProperties: true },
);

const rebuildView = object(
  {
    jobId: { type: 'string' },
    state: { type: 'string', enum: ['rebuilding', 'checking', 'ready', 'swapping', 'swapped', 'cancelled', 'failed'] },
    startedAt: INSTANT,
    totalEvents: { type: 'integer' },
    eventsDone: { type: 'integer' },
    eventsPerSecond: { type: 'number' },
    remainingSeconds: orNull({ type: 'number' }),
    projections: arrayOf(
      object(
        {
          name: { type: 'string' },
          eventsDone: { type: 'integer' },
          position: POSITION,
          state: { type: 'string' },
          check: { type: 'object', additionalProperties: true },
        },
        ['check'],
      ),
    ),
    error: { type: 'string' },
  },
  ['error'],
);

const feeSchedule = object(
  {
    kind: { type: 'string', enum: ['free', 'fixed_plus_per_inhabitant'] },
    fixed: MONEY,
    perInhabitant: DECIMAL,
    baseYear: { type: 'integer' },
    indexation: { type: 'string', enum: ['syntec'] },
    proration: { type: 'string', enum: ['prorata_days', 'none'] },
  },
  ['fixed', 'perInhabitant', 'baseYear', 'indexation', 'proration'],
  { additionalProperties: true },
);

/** A page of a list route (docs/communes.md): `next` is the offset of the next page, null on the last. */
const pageOf = (item: Schema): Schema =>
  object({
    items: arrayOf(item),
    next: orNull({ type: 'integer', minimum: 1, description: 'The `offset` of the next page; null on the last' }),
    total: { type: 'integer', minimum: 0, description: 'Items in the whole list, all pages' },
  });
const populationProperties: Record<string, Schema> = {
  population: { type: 'integer', minimum: 0, example: 522250 },
  effectiveDate: DATE,
  source: { type: 'string', example: 'INSEE, populations légales 2023' },
};
const legacyProperties: Record<string, Schema> = {
  communeInsee: INSEE,
  communeName: { type: 'string', example: 'Bron' },
  serviceId: CATALOGUE_ID_SCHEMA,
  offerId: { ...CATALOGUE_ID_SCHEMA, example: 'partenaire' },
  annualContribution: orNull(MONEY),
  year: YEAR,
  startDate: orNull({ ...DATE, description: 'null: in force since before 2025' }),
};

/** A convention as API.md shows it; ConventionView adds its version, the list routes its current period's end. */
const conventionProperties: Record<string, Schema> = {
  conventionId: CONVENTION_ID,
  communeInsee: INSEE,
  communeName: { type: 'string', example: 'Lyon' },
  status: { type: 'string', enum: ['active', 'ended'] },
  signedOn: DATE,
  effectiveFrom: DATE,
  legalReference: { type: 'string' },
  periods: arrayOf(object({ number: { type: 'integer', minimum: 1 }, start: DATE, end: DATE })),
  annexes: arrayOf(
    object({
      serviceId: CATALOGUE_ID_SCHEMA,
      from: DATE,
      until: orNull(DATE),
      offers: arrayOf(object({ offerId: CATALOGUE_ID_SCHEMA, from: DATE, until: orNull(DATE) })),
      stop: orNull(object({ effectiveOn: DATE, reason: { type: 'string' } })),
    }),
  ),
  nonRenewal: orNull(
    object({
      notifiedOn: DATE,
      by: { type: 'string', enum: ['commune', 'metropole'] },
      reason: { type: 'string' },
      appliesToPeriod: period,
    }),
  ),
  end: orNull(
    object({
      lastDay: DATE,
      reason: { type: 'string' },
      termination: orNull(
        object({ effectiveOn: DATE, by: { type: 'string', enum: ['commune', 'metropole'] }, reason: { type: 'string' } }),
      ),
    }),
  ),
};

export const OPENAPI_SCHEMAS: Record<string, Schema> = {
  Problem: object(
    {
      type: { type: 'string', example: '/problems/validation' },
      title: { type: 'string' },
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: { type: 'string' },
    },
    [],
    { additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json)' },
  ),
  ValidationProblem: {
    allOf: [ref('Problem'), object({ errors: arrayOf(fieldError) })],
    description: 'A 400: every invalid field, each with the rule it breaks when one does',
    example: {
      type: '/problems/validation',
      title: 'Invalid request',
      status: 400,
      detail: 'One or more fields are invalid',
      errors: [
        { field: 'signedOn', message: 'signedOn must be a real calendar date YYYY-MM-DD', constraint: 'isApiDate', rule: 'R-TIME-1' },
      ],
    },
  },
  RuleProblem: {
    allOf: [
      ref('Problem'),
      object(
        {
          rule: { type: 'string', pattern: '^R-[A-Z]+-\\d+$', example: 'R-CONV-1' },
          code: { type: 'string', example: 'convention_already_active' },
          facts: { type: 'object', additionalProperties: true },
        },
        ['facts'],
      ),
    ],
    description: 'A business rule refuses the command (422), or it conflicts with the current state (409): the body names the rule',
  },
  ConflictProblem: {
    allOf: [
      ref('Problem'),
      object(
        {
          rule: { type: 'string', pattern: '^R-[A-Z]+-\\d+$', example: 'R-CONV-1' },
          ifMatch: {
            type: 'string',
            description: 'A stale If-Match: the version sent, in the ETag’s terms ("0": was to create it)',
            example: '"5"',
          },
          etag: { type: 'string', description: 'A stale If-Match: the current version, as the ETag gives it', example: '"6"' },
        },
        ['rule', 'ifMatch', 'etag'],
      ),
    ],
    description: 'A stale If-Match (`/problems/stale-version`), or a conflict with the current state naming its rule',
  },
  CommandAnswer: object({ version: VERSION, position: orNull(POSITION), events: arrayOf(eventSummary) }, [], {
    additionalProperties: true,
    description: 'Sent once the events are stored; ETag carries the version',
  }),
  ConventionCommandAnswer: {
    allOf: [ref('CommandAnswer'), object({ conventionId: CONVENTION_ID })],
    example: {
      conventionId: '69123-1',
      version: 3,
      position: '1897-3',
      events: [{ type: 'ConventionSigned', position: '1897-1', data: {} }],
    },
  },
  ConventionView: object({
    ...conventionProperties,
    version: VERSION,
  }),
  ConventionHistory: object({ conventionId: CONVENTION_ID, events: arrayOf(ref('AuditEntry')) }),
  AuditEntry: auditEntry,
  AuditPage: object({ events: arrayOf(ref('AuditEntry')), next: orNull({ ...POSITION, description: 'The `after` of the next page' }) }),
  Verification: object(
    {
      ok: { type: 'boolean' },
      checked: { type: 'integer', minimum: 0 },
      firstBrokenPosition: POSITION,
      headHash: orNull({ type: 'string', pattern: '^[0-9a-f]{64}$' }),
      sealedHead: object(
        { position: orNull(POSITION), size: { type: 'integer' }, hash: orNull({ type: 'string' }), sealedAt: orNull(INSTANT) },
        [],
        { additionalProperties: true },
      ),
      unsealedTail: object(
        {
          count: { type: 'integer' },
          oldestRecordedAt: orNull(INSTANT),
          oldestAgeMs: orNull({ type: 'integer' }),
          boundMs: { type: 'integer' },
          overdue: { type: 'boolean' },
        },
        [],
        { additionalProperties: true },
      ),
      tree: object(
        {
          size: { type: 'integer', minimum: 0 },
          root: SHA256,
          ok: { type: 'boolean', description: 'The stored root is the one the sealed events give' },
        },
        [],
        { description: 'The Merkle tree the sealer stored (PostgreSQL, PGlite)' },
      ),
      signedHead: {
        allOf: [
          ref('SignedTreeHead'),
          object({
            signatureValid: { type: 'boolean' },
            rootMatches: { type: 'boolean', description: 'Its root is the one the sealed events give at its size' },
            ok: { type: 'boolean' },
          }),
        ],
        description: 'The latest signed head, checked (absent before the first)',
      },
    },
    ['firstBrokenPosition', 'sealedHead', 'unsealedTail', 'tree', 'signedHead'],
  ),
  SignedTreeHead: object(
    {
      treeSize: { type: 'integer', minimum: 0, example: 1042 },
      rootHash: SHA256,
      timestamp: { ...INSTANT, description: 'When it was signed' },
      keyId: { ...SHA256, description: 'SHA-256 of the public key (SubjectPublicKeyInfo DER)' },
      signature: {
        type: 'string',
        format: 'byte',
        description: 'Ed25519 over the bytes of docs/audit.md, base64',
        example: 'c2lnbmF0dXJl',
      },
    },
    [],
    { description: 'The log of treeSize events had this Merkle root (RFC 9162), signed by the key keyId (docs/audit.md)' },
  ),
  CommunePage: pageOf(ref('CommuneSummary')),
  CommuneSummary: object({
    communeInsee: INSEE,
    communeName: { type: 'string', example: 'Lyon', description: 'The official name (R-COM-2)' },
    conventions: arrayOf(object({ conventionId: CONVENTION_ID, status: { type: 'string', enum: ['active', 'ended'] } })),
    legacyConventions: { type: 'integer', minimum: 0, description: 'How many legacy conventions are recorded' },
    populations: { type: 'integer', minimum: 0, description: 'How many population figures are recorded' },
  }),
  ConventionPage: pageOf(ref('ConventionItem')),
  ConventionItem: object({ ...conventionProperties, currentPeriodEnd: DATE }),
  PopulationPage: pageOf(ref('PopulationItem')),
  PopulationItem: object({ communeInsee: INSEE, ...populationProperties }),
  SyntecPage: pageOf(ref('SyntecItem')),
  SyntecItem: object(
    {
      period: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$', example: '2025-10' },
      value: DECIMAL,
      publishedOn: DATE,
      corrects: object({ value: DECIMAL, publishedOn: DATE, reason: { type: 'string' } }, [], {
        description: 'Present on a correction: the value it replaces',
      }),
      recordedAt: INSTANT,
    },
    ['corrects'],
  ),
  LegacyConventionPage: pageOf(ref('LegacyConventionItem')),
  LegacyConventionItem: object({
    ...legacyProperties,
    accessUntil: orNull({ ...DATE, description: 'The last day of legacy access once recorded (R-LEG-2, R-LEG-3); null while it runs' }),
  }),
  CatalogueHistoryPage: pageOf(ref('CatalogueFact')),
  CatalogueFact: object({
    type: { type: 'string', enum: ['ServiceEnteredCatalogue', 'OfferOpened', 'FeeScheduleReplaced'], example: 'OfferOpened' },
    data: { type: 'object', additionalProperties: true, description: "The event's data (docs/events.md)" },
    recordedAt: INSTANT,
    position: POSITION,
  }),
  CommuneDetail: object(
    {
      communeInsee: INSEE,
      communeName: { type: 'string', example: 'Lyon', description: 'The official name (R-COM-2)' },
      on: DATE,
      conventions: arrayOf(ref('ConventionItem')),
      legacyConventions: arrayOf(
        object({
          ...legacyProperties,
          accessEnded: orNull(
            object({
              lastDay: DATE,
              reason: { type: 'string', enum: ['continued_by_convention', 'no_continuity'] },
              conventionId: orNull(CONVENTION_ID),
            }),
          ),
        }),
      ),
      populations: arrayOf(object(populationProperties)),
      entitlements: arrayOf(ref('EntitlementView')),
      ledger: object({ year: YEAR, total: MONEY, pendingLines: { type: 'integer', minimum: 0 }, lines: { type: 'integer', minimum: 0 } }),
    },
    [],
    { description: 'A commune: its conventions, legacy conventions, populations, entitlements, its ledger total (docs/communes.md)' },
  ),
  TreeHeadPage: object({
    heads: arrayOf(ref('SignedTreeHead')),
    next: orNull({ type: 'string', pattern: '^\\d+$', description: 'The `before` of the next page (older heads)' }),
  }),
  PublicKey: object({
    algorithm: { type: 'string', enum: ['Ed25519'] },
    keyId: SHA256,
    publicKeyPem: {
      type: 'string',
      description: 'SubjectPublicKeyInfo, PEM',
      example: '-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----\n',
    },
  }),
  InclusionProof: object({
    leafIndex: { type: 'integer', minimum: 0 },
    treeSize: { type: 'integer', minimum: 1 },
    leafHash: { ...SHA256, description: 'SHA-256(0x00 ‖ the event’s canonical JSON)' },
    auditPath: arrayOf(SHA256),
    rootHash: SHA256,
    signedHead: {
      type: 'object',
      allOf: [ref('SignedTreeHead')],
      nullable: true,
      description: 'The signed head of that size, if one was signed (else null)',
    },
    event: object(
      {
        position: POSITION,
        id: { type: 'string', format: 'uuid' },
        streamId: { type: 'string' },
        revision: { type: 'integer', minimum: 0 },
        type: { type: 'string' },
        schemaVersion: { type: 'integer', minimum: 0 },
        data: { type: 'object', additionalProperties: true },
        metadata: { type: 'object', additionalProperties: true },
        recordedAt: INSTANT,
      },
      [],
      { description: 'The event as the export writes it: every field its leaf covers' },
    ),
  }),
  ConsistencyProof: object({
    from: { type: 'integer', minimum: 0 },
    to: { type: 'integer', minimum: 0 },
    fromRoot: SHA256,
    toRoot: SHA256,
    proof: arrayOf(SHA256),
  }),
  LedgerLine: ledgerLine,
  RemovedLedgerLine: removedLine,
  IssueSummary: issueSummary,
  CommuneTotal: communeTotal,
  Ledger: object({
    year: YEAR,
    knownAt: INSTANT,
    lines: arrayOf(ref('LedgerLine')),
    removedLines: arrayOf(ref('RemovedLedgerLine')),
    totals: object({
      byCommune: arrayOf(ref('CommuneTotal')),
      grandTotal: MONEY,
      pendingLines: { type: 'integer', minimum: 0 },
      issued: orNull(MONEY),
      difference: orNull(MONEY),
    }),
    issues: arrayOf(ref('IssueSummary')),
    version: { ...VERSION, description: 'The number of issues: send it back in If-Match to issue' },
  }),
  CommuneLedger: object({
    year: YEAR,
    knownAt: INSTANT,
    communeInsee: INSEE,
    communeName: orNull({ type: 'string' }),
    lines: arrayOf(ref('LedgerLine')),
    removedLines: arrayOf(ref('RemovedLedgerLine')),
    total: MONEY,
    pendingLines: { type: 'integer', minimum: 0 },
    issued: orNull(MONEY),
    difference: orNull(MONEY),
    issues: arrayOf(ref('IssueSummary')),
    version: VERSION,
  }),
  LedgerIssueAnswer: object({
    year: YEAR,
    recorded: { type: 'boolean', description: 'false (and 200) when there was nothing to issue' },
    issueNumber: orNull({ type: 'integer', minimum: 1 }),
    version: VERSION,
    position: orNull(POSITION),
    basedOn: object({ position: POSITION, at: INSTANT }),
    lines: arrayOf({ type: 'object', additionalProperties: true }),
    regularisations: arrayOf({ type: 'object', additionalProperties: true }),
    pendingLines: arrayOf({ type: 'object', additionalProperties: true }),
    totals: object({ byCommune: arrayOf({ type: 'object', additionalProperties: true }), grandTotal: MONEY }, [], {
      additionalProperties: true,
    }),
  }),
  LedgerIssues: object({
    year: YEAR,
    issues: arrayOf({
      type: 'object',
      additionalProperties: true,
      properties: {
        eventId: { type: 'string', format: 'uuid' },
        position: POSITION,
        recordedAt: INSTANT,
        actor: orNull(object({ id: { type: 'string' }, role: { type: 'string' } })),
        reason: orNull({ type: 'string' }),
      },
      required: ['eventId', 'position', 'recordedAt', 'actor', 'reason'],
    }),
    version: VERSION,
  }),
  LifecycleRunAnswer: object({
    asOf: DATE,
    recorded: arrayOf({ allOf: [eventSummary, object({ streamId: { type: 'string' } })] }),
    position: orNull(POSITION),
  }),
  Catalogue: object({
    services: arrayOf(
      object({
        serviceId: CATALOGUE_ID_SCHEMA,
        name: { type: 'string' },
        legalReference: { type: 'string' },
        effectiveFrom: DATE,
        offers: arrayOf(
          object({
            offerId: { ...CATALOGUE_ID_SCHEMA, example: 'partenaire' },
            name: { type: 'string' },
            openedOn: orNull({ ...DATE, description: 'R-CAT-3: annexes with this offer are accepted from this date' }),
            schedules: arrayOf(
              object({ fromYear: { type: 'integer' }, feeSchedule: ref('FeeSchedule'), legalReference: { type: 'string' } }, [], {
                description: 'A fee schedule decision, in force for billing years ≥ fromYear (R-CAT-5)',
              }),
            ),
          }),
        ),
      }),
    ),
  }),
  FeeSchedule: feeSchedule,
  ProjectionStatus: projectionStatus,
  Rebuild: rebuildView,
  Health: object({
    status: { type: 'string', enum: ['ok'] },
    eventStore: { type: 'string', enum: ['pglite', 'postgres', 'eventstoredb'] },
  }),
  DevToken: object({
    token: { type: 'string', description: 'HS256 bearer token, 12 hours' },
    role: { type: 'string', enum: ['admin', 'auditor', 'commune', 'consumer'] },
    sub: { type: 'string' },
    insee: orNull(INSEE),
  }),
  Liveness: object({ status: { type: 'string', enum: ['live'] } }),
  StreamToken: object({
    token: {
      type: 'string',
      description: 'Send as `?access_token=` to GET /api/feed/stream only; refused as a bearer token',
      example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6ImZlZWQtc3RyZWFtK2p3dCJ9.eyJyb2xlIjoiY29uc3VtZXIifQ.c2lnbmF0dXJl',
    },
    expiresAt: INSTANT,
  }),
  Readiness: object(
    {
      status: { type: 'string', enum: ['ready'] },
      role: { type: 'string', enum: ['leader', 'follower'] },
      leader: { type: 'string' },
      head: POSITION,
      projections: arrayOf(projectionStatus),
    },
    ['leader', 'head'],
  ),
};
