import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEED_EVENT_TYPES } from './integration-events';
import { FEED_SCHEMAS, feedSchema } from './schemas';
import { feedSchemaErrors } from './testing/feed-schema-validation';

/*
 * The published JSON Schemas (docs/integration-events.md): one current version per type, each compiled
 * in Ajv's strict mode (at import of the validation helper), open to fields added later (consumers
 * must ignore them), and strict about what they do say. The examples of the contract page are
 * checked against them, so the page cannot drift from the schemas.
 */

const examples = [...readFileSync(join(__dirname, '../../../../docs/integration-events.md'), 'utf8').matchAll(/```json\n([\s\S]*?)```/g)]
  .map((match) => JSON.parse(match[1]) as Record<string, unknown>)
  .filter((example) => Object.keys(example.data as object).length > 0);
const exampleOf = (type: string) => structuredClone(examples.find((example) => example.type === type)!) as Record<string, any>;

describe('published schemas', () => {
  it('one current version per integration event type, version 1 for each today; nothing else', () => {
    expect(FEED_SCHEMAS.map(({ type, version, status }) => `${type}/${version} ${status}`).sort()).toEqual(
      FEED_EVENT_TYPES.map((type) => `${type}/1 current`).sort(),
    );
    for (const type of FEED_EVENT_TYPES) {
      expect(feedSchema(type)?.version).toBe(1);
      expect(feedSchema(type, 1)?.schema).toBe(feedSchema(type)?.schema);
      expect(feedSchema(type, 2)).toBeUndefined();
    }
    expect(feedSchema('LedgerIssued')).toBeUndefined(); // an internal event has no public schema
  });

  it('each describes the whole envelope of its type and version, under its own $id', () => {
    for (const { type, version, schema } of FEED_SCHEMAS) {
      expect(schema).toMatchObject({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: `urn:conventions-cadre:feed:${type}:${version}`,
        type: 'object',
        required: ['type', 'version', 'position', 'occurredAt', 'data'],
        properties: { type: { const: type }, version: { const: version } },
      });
    }
  });

  it('every field of data is required: a field that does not apply is sent as null, never left out', () => {
    for (const { type, schema } of FEED_SCHEMAS) {
      const data = (schema.properties as Record<string, { properties: object; required: string[] }>).data;
      expect({ type, required: [...data.required].sort() }).toEqual({ type, required: Object.keys(data.properties).sort() });
    }
  });

  it('no schema closes its objects: consumers validating with them keep working when fields are added (Compatibility)', () => {
    for (const { schema } of FEED_SCHEMAS) expect(JSON.stringify(schema)).not.toContain('additionalProperties');
  });
});

describe('the contract page’s examples', () => {
  it('there is one for each type, and each fits its schema read closed (every field it shows is in the schema)', () => {
    expect(examples.map((example) => example.type).sort()).toEqual([...FEED_EVENT_TYPES].sort());
    for (const example of examples)
      expect({ type: example.type, errors: feedSchemaErrors(example, 'closed') }).toEqual({ type: example.type, errors: [] });
  });

  it('a field added later is accepted by the published schemas and refused by the closed reading our tests apply to what we emit', () => {
    const additions: Array<[string, (event: Record<string, any>) => void]> = [
      ['EntitlementGranted', (event) => (event.traceId = 'abc')],
      ['EntitlementGranted', (event) => (event.data.region = 'Métropole')],
      ['EntitlementChanged', (event) => (event.data.offers[0].price = '10.00')],
      ['EntitlementEnded', (event) => (event.data.source.label = 'Convention cadre')],
      ['ConventionStatusChanged', (event) => (event.data.period.days = 365)],
      ['FeeLedgerIssued', (event) => (event.data.lines[0].population = 522250)],
      ['FeeLedgerIssued', (event) => (event.data.totals.byCommune[0].pending = 0)],
    ];
    for (const [type, add] of additions) {
      const event = exampleOf(type);
      add(event);
      expect({ type, published: feedSchemaErrors(event, 'published') }).toEqual({ type, published: [] });
      expect(feedSchemaErrors(event, 'closed')).toContainEqual(expect.stringContaining('must NOT have additional properties'));
    }
  });

  it('both readings refuse what breaks the contract: a missing field, a malformed date, money or INSEE code, a value outside a closed list', () => {
    const breaks: Array<[string, string, (event: Record<string, any>) => void]> = [
      ['EntitlementGranted', 'position missing', (event) => delete event.position],
      ['EntitlementGranted', 'until left out instead of null', (event) => delete event.data.until],
      ['EntitlementGranted', 'no offer', (event) => (event.data.offers = [])],
      ['EntitlementGranted', 'a date not YYYY-MM-DD', (event) => (event.data.from = '2026-1-1')],
      ['EntitlementGranted', 'a day that does not exist', (event) => (event.data.from = '2026-02-30')],
      ['EntitlementGranted', 'a number for an INSEE code', (event) => (event.data.communeInsee = 69123)],
      ['EntitlementGranted', 'an INSEE code of 4 characters', (event) => (event.data.communeInsee = '6912')],
      ['EntitlementGranted', 'a convention source without annexFrom', (event) => delete event.data.source.annexFrom],
      ['EntitlementGranted', 'another version', (event) => (event.version = 2)],
      ['EntitlementChanged', 'no change named', (event) => (event.data.changes = [])],
      ['EntitlementChanged', 'an unknown change', (event) => (event.data.changes = ['price'])],
      ['EntitlementEnded', 'no last day', (event) => (event.data.until = null)],
      ['EntitlementEnded', 'withdrawn missing', (event) => delete event.data.withdrawn],
      ['ConventionStatusChanged', 'an unknown transition', (event) => (event.data.change = 'suspended')],
      ['ConventionStatusChanged', 'an instant for a business date', (event) => (event.data.lastDay = '2026-11-30T00:00:00Z')],
      ['ConventionStatusChanged', 'occurredAt not an instant', (event) => (event.occurredAt = 'yesterday')],
      ['FeeLedgerIssued', 'money as a number', (event) => (event.data.totals.grandTotal = 111639)],
      ['FeeLedgerIssued', 'money with three decimals', (event) => (event.data.lines[0].amountDue = '111639.000')],
      ['FeeLedgerIssued', 'an unknown issue kind', (event) => (event.data.kind = 'final')],
    ];
    for (const [type, what, corrupt] of breaks) {
      const event = exampleOf(type);
      corrupt(event);
      expect({
        type,
        what,
        published: feedSchemaErrors(event, 'published').length > 0,
        closed: feedSchemaErrors(event, 'closed').length > 0,
      }).toEqual({
        type,
        what,
        published: true,
        closed: true,
      });
    }
  });
});
