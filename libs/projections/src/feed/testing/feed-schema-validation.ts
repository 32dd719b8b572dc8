import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { FEED_SCHEMAS } from '../schemas';

/**
 * Validates integration events against the published JSON Schemas (draft 2020-12, `date` and
 * `date-time` formats checked, Ajv's strict mode so a misused keyword fails here).
 *
 * Two readings of each schema:
 * - `published`: as served. Objects stay open (unknown properties allowed) because consumers must accept
 *   fields added later within a version (docs/integration-events.md, "Compatibility").
 * - `closed`: the same with `additionalProperties: false` on every object that lists its properties. Our
 *   tests use it on what we emit, so that a field sent without being in the schema (an internal field
 *   leaking out, a rename) fails a test instead of silently widening the contract.
 */
export type SchemaReading = 'published' | 'closed';

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);

const validators = new Map<string, ValidateFunction>();
for (const entry of FEED_SCHEMAS) {
  validators.set(`published ${entry.type}/${entry.version}`, ajv.compile(entry.schema));
  // Another $id, so that Ajv keeps both.
  const closed = { ...closeObjects(entry.schema), $id: `${String(entry.schema.$id)}:closed` };
  validators.set(`closed ${entry.type}/${entry.version}`, ajv.compile(closed));
}

/** The schema errors of one event ([] when valid); an event of a type or version without a schema is an error too. */
export function feedSchemaErrors(event: unknown, reading: SchemaReading = 'closed'): string[] {
  const { type, version } = (event ?? {}) as { type?: unknown; version?: unknown };
  const validate = validators.get(`${reading} ${String(type)}/${String(version)}`);
  if (!validate) return [`no published schema for ${String(type)} version ${String(version)}`];
  if (validate(event)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}

/** Every event that breaks its schema, with its errors: expect it toEqual([]). */
export function invalidFeedEvents(
  events: readonly unknown[],
  reading: SchemaReading = 'closed',
): Array<{ position: unknown; type: unknown; errors: string[] }> {
  return events
    .map((event) => ({
      position: (event as { position?: unknown }).position,
      type: (event as { type?: unknown }).type,
      errors: feedSchemaErrors(event, reading),
    }))
    .filter((entry) => entry.errors.length > 0);
}

/** A copy of a schema where every object schema with `properties` forbids any other property. */
export function closeObjects<T>(schema: T): T {
  if (Array.isArray(schema)) return (schema as unknown[]).map((item) => closeObjects(item)) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = key === 'enum' || key === 'const' ? value : closeObjects(value);
  if ('properties' in copy && !('additionalProperties' in copy)) copy.additionalProperties = false;
  return copy as T;
}
