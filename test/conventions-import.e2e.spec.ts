import { readFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ApiClient } from '../apps/cli/src/api-client';
import { communeRequests, importCommunes, parseCsv, summaryText } from '../apps/cli/src/import-communes.command';
import { describeE2E } from './support/app';
import { storedEvents, unchanged } from './conventions-support';

describe('parseCsv (RFC 4180)', () => {
  it('reads quoted fields with commas, quotes, line breaks; CRLF; a BOM; UTF-8 names', () => {
    const text = '\uFEFFname,insee,note\r\n"Saint-Cyr-au-Mont-d\'Or, ""le village""",69191,"two\nlines"\r\nÉcully,69081,\r\n\r\n';
    expect(parseCsv(text)).toEqual([
      { name: 'Saint-Cyr-au-Mont-d\'Or, "le village"', insee: '69191', note: 'two\nlines' },
      { name: 'Écully', insee: '69081', note: '' },
    ]);
  });

  it('reads a last line without a line break, and missing trailing fields as empty', () => {
    expect(parseCsv('a,b,c\n1,2')).toEqual([{ a: '1', b: '2', c: '' }]);
  });

  it('refuses an unterminated quote, text after a closing quote, and a row longer than the header', () => {
    expect(() => parseCsv('a,b\n"1,2\n')).toThrow(/not closed/);
    expect(() => parseCsv('a,b\n"1"x,2\n')).toThrow(/closing quote/);
    expect(() => parseCsv('a,b\n1,2,3\n')).toThrow(/3 fields/);
  });

  it('plans, for a commune, its population figures with their in-force dates and its subscriptions as legacy conventions', () => {
    const csv = 'name,insee,toodego_offer,laclasse,pop_2021_in_force_2024_01_01,pop_2022_in_force_2025_01_01\nBron,69029,partenaire,yes,43049,42850\nBad,6902,,yes,1,2\n';
    const { communes, skipped } = communeRequests(csv);
    expect([...communes.keys()]).toEqual(['69029']);
    expect(communes.get('69029')!.map(({ path, body }) => ({ path, body }))).toEqual([
      { path: '/reference/populations', body: { communeInsee: '69029', population: 43049, effectiveDate: '2024-01-01', source: 'INSEE, populations légales 2021 (population municipale), en vigueur au 1er janvier 2024' } },
      { path: '/reference/populations', body: { communeInsee: '69029', population: 42850, effectiveDate: '2025-01-01', source: 'INSEE, populations légales 2022 (population municipale), en vigueur au 1er janvier 2025' } },
      { path: '/legacy-conventions', body: { communeInsee: '69029', communeName: 'Bron', serviceId: 'toodego', offerId: 'partenaire', year: 2025 } },
      { path: '/legacy-conventions', body: { communeInsee: '69029', communeName: 'Bron', serviceId: 'laclasse', offerId: 'standard', year: 2025 } },
    ]);
    expect(skipped).toEqual([expect.stringMatching(/^line 3 \(Bad\)/)]);
  });
});

const DATA = resolve(__dirname, '..', 'demo-data');
const csv = (name: string) => readFileSync(join(DATA, name), 'utf8');

/** The `import-communes` command's core against the running API, over real HTTP. */
describeE2E('import-communes through the API', (current) => {
  let client: ApiClient;

  beforeAll(async () => {
    await current().app.listen(0, '127.0.0.1');
    const { port } = current().app.getHttpServer().address() as AddressInfo;
    client = new ApiClient({ API_URL: `http://127.0.0.1:${port}/api`, API_TOKEN: current().tokens.admin });
  });

  it('records the 43 communes × 4 population figures, 56 legacy conventions without amounts, the 5 dated Syntec values', async () => {
    const summary = await importCommunes(client, csv('communes.csv'), csv('syntec.csv'));
    expect(summary).toEqual({
      communes: 43,
      population: { recorded: 172, alreadyRecorded: 0 },
      // 14 communes with Toodego partenaire, 42 with laclasse (all but Champagne-au-Mont-d'Or).
      legacy: { recorded: 56, alreadyRecorded: 0 },
      syntec: { recorded: 5, alreadyRecorded: 0 },
      skipped: ['2024-01', '2024-08', '2024-10', '2024-12', '2025-09'].map((period) => expect.stringContaining(`Syntec ${period}`)),
      refused: [],
    });
    expect(summaryText(summary)).toContain('Population figures: 172 recorded, 0 already recorded');

    const events = await storedEvents(current());
    const populations = events.filter((e) => e.type === 'PopulationRecorded');
    expect(populations).toHaveLength(172);
    expect(new Set(populations.map((e) => e.streamId)).size).toBe(43);
    expect(populations.filter((e) => e.streamId === 'commune-69123').map((e) => e.data)).toEqual([
      { communeInsee: '69123', population: 522228, effectiveDate: '2023-01-01', source: 'INSEE, populations légales 2020 (population municipale), en vigueur au 1er janvier 2023' },
      { communeInsee: '69123', population: 522250, effectiveDate: '2024-01-01', source: 'INSEE, populations légales 2021 (population municipale), en vigueur au 1er janvier 2024' },
      { communeInsee: '69123', population: 520774, effectiveDate: '2025-01-01', source: 'INSEE, populations légales 2022 (population municipale), en vigueur au 1er janvier 2025' },
      { communeInsee: '69123', population: 519127, effectiveDate: '2026-01-01', source: 'INSEE, populations légales 2023 (population municipale), en vigueur au 1er janvier 2026' },
    ]);
    expect(populations[0].metadata.actor).toEqual({ id: 'admin-alice', role: 'admin' });

    const legacy = events.filter((e) => e.type === 'LegacyConventionRecorded').map((e) => e.data as Record<string, unknown>);
    expect(legacy).toHaveLength(56);
    expect(legacy.filter((l) => l.serviceId === 'toodego')).toHaveLength(14);
    expect(legacy.filter((l) => l.communeInsee === '69040')).toEqual([
      { communeInsee: '69040', communeName: "Champagne-au-Mont-d'Or", serviceId: 'toodego', offerId: 'partenaire', annualContribution: null, year: 2025, startDate: null },
    ]);
    expect(legacy.find((l) => l.communeInsee === '69127')).toMatchObject({ communeName: "Marcy-l'Étoile", serviceId: 'laclasse', offerId: 'standard' });

    expect(events.filter((e) => e.type === 'SyntecIndexRecorded').map((e) => e.data)).toEqual([
      { period: '2023-10', value: '306.7', publishedOn: '2023-11-30' },
      { period: '2023-11', value: '307.0', publishedOn: '2023-12-29' },
      { period: '2024-09', value: '314.5', publishedOn: '2024-10-31' },
      { period: '2025-01', value: '315.2', publishedOn: '2025-02-28' },
      { period: '2025-10', value: '322.2', publishedOn: '2025-11-28' },
    ]);
  }, 60_000);

  it('records nothing new when run again', async () => {
    const summary = await unchanged(current(), () => importCommunes(client, csv('communes.csv'), csv('syntec.csv')));
    expect(summary).toMatchObject({
      population: { recorded: 0, alreadyRecorded: 172 },
      legacy: { recorded: 0, alreadyRecorded: 56 },
      syntec: { recorded: 0, alreadyRecorded: 5 },
      refused: [],
    });
  }, 60_000);

  it('reports what the API refuses, and goes on', async () => {
    const text = 'name,insee,toodego_offer,laclasse,pop_2022_in_force_2025_01_01\n"Village, ""test""",69999,premium,yes,0\n';
    const summary = await importCommunes(client, text);
    expect(summary.refused).toEqual([expect.stringContaining('(R-FEE-2)'), expect.stringContaining('(R-LEG-1)')]);
    expect(summary.legacy).toEqual({ recorded: 1, alreadyRecorded: 0 });
    const recorded = (await storedEvents(current())).filter((e) => e.streamId === 'commune-69999').map((e) => e.data);
    expect(recorded).toEqual([expect.objectContaining({ communeName: 'Village, "test"', serviceId: 'laclasse' })]);
  });
});
