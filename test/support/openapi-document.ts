import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The committed contract, docs/openapi.json, as the tests read it. */
export interface OpenApiOperation {
  operationId?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Record<string, unknown> }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<
    string,
    { description?: string; content?: Record<string, { schema?: unknown; example?: unknown }>; headers?: Record<string, unknown> }
  >;
  security?: Array<Record<string, unknown>>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
  [key: string]: unknown;
}

export const DOCUMENT_PATH = join(__dirname, '../../docs/openapi.json');

export function readDocument(): OpenApiDocument {
  return JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8')) as OpenApiDocument;
}

export const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Every operation as `METHOD /path`, with its object. */
export function operationsOf(
  document: OpenApiDocument,
): Array<{ name: string; method: string; path: string; operation: OpenApiOperation }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => (METHODS as readonly string[]).includes(method))
      .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, method, path, operation })),
  );
}

/**
 * JSON Schema validation of values against the document's schemas (OpenAPI 3.0: Ajv knows `nullable`;
 * `example` is an annotation). The document is one schema resource, so `#/components/…` refs resolve.
 */
export function schemaValidator(document: OpenApiDocument): (schema: unknown) => ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: 'openapi' }, 'openapi');
  let count = 0;
  return (schema) => {
    // A schema given inline is compiled inside the document, so that its refs resolve too.
    const key = `inline${count++}`;
    const rebased: unknown = JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"openapi#/'));
    ajv.addSchema({ $id: key, allOf: [rebased] });
    return ajv.getSchema(key) as ValidateFunction;
  };
}

/** The operation whose path template matches a concrete path (`/api/conventions/69123-1` → `/api/conventions/{id}`). */
export function templateOf(document: OpenApiDocument, method: string, path: string): string | undefined {
  const candidates = Object.keys(document.paths).filter((template) => document.paths[template][method.toLowerCase()]);
  const matches = candidates.filter((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
  // A literal segment beats a parameter (`/rebuild/{job}` vs `/rebuild`): the fewest parameters wins.
  return matches.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
}
