import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { FEED_SCHEMAS } from '@lib/projections/feed';

/**
 * Validates feed events against the JSON Schemas the API publishes (draft 2020-12, with the `date` and
 * `date-time` formats checked), read closed: the published schemas accept unknown fields (consumers must
 * ignore them, docs/integration-events.md), but what we emit must have no field its schema does not
 * describe. Strict mode: a schema that uses a keyword wrongly fails here, not at a consumer's.
 */
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validators = new Map<string, ValidateFunction>(
  FEED_SCHEMAS.map((entry) => [`${entry.type}/${entry.version}`, ajv.compile(closed(entry.schema) as object)]),
);

/** The schema with `unevaluatedProperties: false` on every object that lists its properties (it sees through allOf/oneOf). */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, key === 'const' || key === 'enum' || key === 'examples' ? value : closed(value)]),
  );
  if ('properties' in copy && !('unevaluatedProperties' in copy) && !('additionalProperties' in copy)) copy.unevaluatedProperties = false;
  return copy;
}

/** The schema errors of one event ([] when valid); an event of a type or version without a schema is an error too. */
export function feedSchemaErrors(event: { type?: unknown; version?: unknown }): string[] {
  const validate = validators.get(`${String(event.type)}/${String(event.version)}`);
  if (!validate) return [`no published schema for ${String(event.type)} version ${String(event.version)}`];
  if (validate(event)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}

/** Every event that breaks its schema, with its errors: expect it toEqual([]). */
export function invalidFeedEvents(
  events: ReadonlyArray<{ type?: unknown; version?: unknown; position?: unknown }>,
): Array<{ position: unknown; type: unknown; errors: string[] }> {
  return events
    .map((event) => ({ position: event.position, type: event.type, errors: feedSchemaErrors(event) }))
    .filter((entry) => entry.errors.length > 0);
}
