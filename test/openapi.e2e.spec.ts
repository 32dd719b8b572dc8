import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCUMENT_FILE, TYPES_FILE, buildDocument, documentText } from '../scripts/openapi-document';
import { PUBLIC_OPERATIONS } from '../apps/api/src/http/openapi';
import { TestApp, bearer, startTestApp } from './support/app';
import { OpenApiOperation, operationsOf, readDocument, schemaValidator } from './support/openapi-document';

/*
 * The OpenAPI document is the contract (docs/api.md). These checks name the operation that fails each
 * one, so that a route added without its decorators (http/openapi.ts) says what it lacks.
 */
const ROOT = join(__dirname, '..');
const document = readDocument();
const operations = operationsOf(document);
const schemaOf = (name: string) => document.components.schemas[name];

/** A schema's own properties, through allOf and one level of $ref. */
function propertiesOf(schema: unknown): Record<string, unknown> {
  const s = schema as { $ref?: string; allOf?: unknown[]; properties?: Record<string, unknown> };
  if (s.$ref) return propertiesOf(schemaOf(s.$ref.replace('#/components/schemas/', '')));
  return Object.assign({}, s.properties ?? {}, ...(s.allOf ?? []).map(propertiesOf));
}

function failing(check: (operation: OpenApiOperation, name: string) => string | undefined, only = operations) {
  return only.map(({ name, operation }) => [name, check(operation, name)]).filter(([, failure]) => failure !== undefined);
}

describe('the OpenAPI document', () => {
  it('docs/openapi.json is what the application generates (else: npm run openapi)', async () => {
    const generated = documentText(await buildDocument());
    expect({ file: 'docs/openapi.json', upToDate: readFileSync(DOCUMENT_FILE, 'utf8') === generated }).toEqual({
      file: 'docs/openapi.json',
      upToDate: true,
    });
  }, 60_000);

  it('examples/api-client/schema.ts is what openapi-typescript generates from it (else: npm run openapi)', () => {
    const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, 'scripts/openapi-types.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    const generated = run.stdout;
    expect({ file: 'examples/api-client/schema.ts', upToDate: readFileSync(TYPES_FILE, 'utf8') === generated }).toEqual({
      file: 'examples/api-client/schema.ts',
      upToDate: true,
    });
  }, 60_000);

  it('passes redocly lint with redocly.yaml: no error, no warning', () => {
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/@redocly/cli/bin/cli.js'), 'lint', DOCUMENT_FILE, '--config', join(ROOT, 'redocly.yaml'), '--format=json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        timeout: 120_000,
      },
    );
    const report = JSON.parse(run.stdout) as {
      totals: { errors: number; warnings: number };
      problems: Array<{ ruleId: string; message: string }>;
    };
    expect(report.problems.map(({ ruleId, message }) => `${ruleId}: ${message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 120_000);

  it('gives every operation a 2xx answer with a schema', () => {
    expect(
      failing((operation) => {
        const success = Object.entries(operation.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
        if (success.length === 0) return 'no 2xx response';
        for (const [status, response] of success) {
          const media = Object.entries(response.content ?? {});
          if (media.length === 0) return `${status} has no content`;
          for (const [type, { schema }] of media) if (!schema) return `${status} ${type} has no schema`;
        }
        return undefined;
      }),
    ).toEqual([]);
  });

  it('documents Idempotency-Key on every POST, and If-Match on every command on an existing convention or ledger', () => {
    const header = (operation: OpenApiOperation, name: string) => operation.parameters?.some((p) => p.in === 'header' && p.name === name);
    expect(
      failing(
        (operation) => (header(operation, 'Idempotency-Key') ? undefined : 'no Idempotency-Key header'),
        // Every POST is a command but two that record nothing: the stream token's (a retry just gets another
        // token) and the development sign-in's (replaying its answer by key would hand a token to whoever guessed the key).
        operations.filter(({ method, path }) => method === 'post' && path !== '/api/feed/stream-tokens' && path !== '/api/dev/tokens'),
      ),
    ).toEqual([]);
    const onExisting = operations.filter(
      ({ method, path }) => method === 'post' && /^\/api\/(conventions\/\{id\}|ledgers\/\{year\})\//.test(path),
    );
    expect(onExisting.length).toBeGreaterThanOrEqual(6);
    expect(failing((operation) => (header(operation, 'If-Match') ? undefined : 'no If-Match header'), onExisting)).toEqual([]);
  });

  it('answers every 4xx and 5xx as problem+json, naming the rule on 409 and 422', () => {
    expect(
      failing((operation) => {
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          if (!/^[45]\d\d$/.test(status)) continue;
          const problem = response.content?.['application/problem+json'];
          if (!problem?.schema) return `${status} is not application/problem+json`;
          const properties = propertiesOf(problem.schema);
          for (const field of ['type', 'title', 'status', 'detail']) if (!(field in properties)) return `${status} lacks ${field}`;
          if ((status === '409' || status === '422') && !('rule' in properties)) return `${status} does not name its rule`;
          if (status === '400' && !('errors' in properties)) return '400 does not list the invalid fields';
          if (status === '503' && !response.headers?.['Retry-After']) return '503 without Retry-After';
        }
        return undefined;
      }),
    ).toEqual([]);
  });

  it('asks a token of every operation but the public ones, and documents 401 and 403 on each', () => {
    const documentedPublic = operations.filter(({ operation }) => operation.security?.length === 0).map(({ name }) => name);
    expect(documentedPublic.sort()).toEqual([...PUBLIC_OPERATIONS].sort());
    expect(
      failing((operation) => {
        if (operation.security?.length === 0) return undefined;
        if (!operation.security?.some((requirement) => 'bearer' in requirement)) return 'no bearer security';
        return ['401', '403'].every((status) => operation.responses?.[status]) ? undefined : 'no 401 or 403';
      }),
    ).toEqual([]);
  });

  it('gives every parameter a typed schema, dates and instants their format, positions their pattern', () => {
    expect(
      failing((operation) => {
        for (const parameter of operation.parameters ?? []) {
          const schema = parameter.schema ?? {};
          if (!schema.type) return `${parameter.in} ${parameter.name} has no type`;
          if (parameter.name === 'on' && schema.format !== 'date') return 'on is not a date';
          if (parameter.name === 'knownAt' && schema.format !== 'date-time') return 'knownAt is not a date-time';
          if (['minPosition', 'asOfPosition'].includes(parameter.name) && !schema.pattern) return `${parameter.name} has no pattern`;
        }
        return undefined;
      }),
    ).toEqual([]);
  });

  it('types no field as a bare object where a date or money string is meant (issue 13: "money and nullable dates typed object")', () => {
    const loose: string[] = [];
    const visit = (schema: unknown, at: string) => {
      if (!schema || typeof schema !== 'object') return;
      const s = schema as Record<string, unknown>;
      if (s.type === 'object' && typeof s.example === 'string') loose.push(at);
      for (const [key, value] of Object.entries(s)) {
        if (key === 'example') continue;
        if (value && typeof value === 'object') visit(value, `${at}.${key}`);
      }
    };
    visit(document.components.schemas, 'components.schemas');
    visit(document.paths, 'paths');
    expect(loose).toEqual([]);
  });

  it('has examples that validate against their schemas', () => {
    const compile = schemaValidator(document);
    const invalid: string[] = [];
    let checked = 0;
    const visit = (node: unknown, at: string) => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      // A schema with its example (a property, a parameter's schema), or a media type with its schema and example.
      const schema =
        'schema' in n && 'example' in n ? n.schema : 'example' in n && ('type' in n || '$ref' in n || 'allOf' in n) ? n : undefined;
      if (schema && n.example !== undefined) {
        const { example: _, ...withoutExample } = schema as Record<string, unknown>;
        const validate = compile(withoutExample);
        checked++;
        if (!validate(n.example))
          invalid.push(`${at}: ${JSON.stringify(n.example)} ${validate.errors?.map((e) => `${e.instancePath} ${e.message}`).join(', ')}`);
      }
      for (const [key, value] of Object.entries(n)) if (key !== 'example' && key !== 'examples') visit(value, `${at}.${key}`);
    };
    visit(document.components.schemas, 'components.schemas');
    visit(document.paths, 'paths');
    expect(invalid).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });
});

/**
 * Every read of state documents the read parameters it accepts: the API says which it accepts when
 * asked for an unknown one (`unknown query parameter; allowed: …`), and the document must list them.
 */
describe('the OpenAPI document against the running API [pglite]', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await startTestApp('pglite');
  }, 60_000);
  afterAll(() => testApp?.close(), 60_000);

  const EXAMPLES: Record<string, string> = {
    id: '69123-1',
    insee: '69123',
    year: '2026',
    job: 'no-such-job',
    type: 'EntitlementGranted',
    version: '1',
  };

  it('documents on every GET the read parameters it accepts', async () => {
    const gets = operations.filter(({ method, path }) => method === 'get' && !path.endsWith('/stream') && !path.endsWith('/export'));
    const probed: string[] = [];
    const failures: Array<[string, string]> = [];
    for (const { name, path, operation } of gets) {
      const url = path.replace(/\{(\w+)\}/g, (_, parameter: string) => EXAMPLES[parameter] ?? 'x');
      const token = path.startsWith('/api/audit') ? testApp.tokens.auditor : testApp.tokens.admin;
      const response = await testApp.http.get(`${url}?unknownParameter=1`).set(bearer(token));
      const refusal = (response.body?.errors ?? []).find((error: { field: string }) => error.field === 'unknownParameter') as
        { message: string } | undefined;
      const allowed = /allowed: (.*)$/.exec(refusal?.message ?? '')?.[1];
      if (allowed === undefined) continue;
      probed.push(name);
      const documented = new Set((operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
      const missing = allowed
        .split(', ')
        .filter((parameter) => parameter !== '' && !documented.has(parameter))
        .join(', ');
      if (missing) failures.push([name, `accepts ${missing}, undocumented`]);
    }
    expect(failures).toEqual([]);
    // The probe reached the reads that take read parameters (else it checks nothing).
    expect(probed).toEqual(
      expect.arrayContaining([
        'GET /api/conventions/{id}',
        'GET /api/communes/{insee}/entitlements',
        'GET /api/entitlements',
        'GET /api/ledgers/{year}',
        'GET /api/communes/{insee}/ledgers/{year}',
      ]),
    );
  }, 60_000);
});
