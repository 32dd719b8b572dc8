import { readFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ApiClient } from '../apps/cli/src/api-client';
import { CsvError, communeRequests, importCommunes, parseCsv, summaryText } from '../apps/cli/src/import-communes.command';
import { describeE2E } from './support/app';
import { storedEvents, unchanged } from './conventions-support';

/** What the parser's error says for a program: its reason and where (never its message). */
function csvErrorOf(read: () => unknown): Pick<CsvError, 'reason' | 'row' | 'column'> {
  try {
    read();
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    return { reason: error.reason, row: error.row, column: error.column };
  }
  throw new Error('read without a CsvError');
}

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
    expect(csvErrorOf(() => parseCsv('a,b\n1,2\n"3,4\n'))).toEqual({ reason: 'unclosed_quote', row: 3 });
    expect(csvErrorOf(() => parseCsv('a,b\n"1"x,2\n'))).toEqual({ reason: 'text_after_closing_quote', row: 2 });
    expect(csvErrorOf(() => parseCsv('a,b\n1,2\n"x\ny",2,3\n'))).toEqual({ reason: 'too_many_fields', row: 3 });
  });

  it('refuses a communes file without a column it reads', () => {
    expect(csvErrorOf(() => communeRequests('name,insee,laclasse\nBron,69029,yes\n'))).toEqual({
      reason: 'missing_column',
      column: 'toodego_offer',
    });
  });

  it('plans, for a commune, its population figures with their in-force dates and its subscriptions as legacy conventions', () => {
    const csv =
      'name,insee,toodego_offer,laclasse,pop_2021_in_force_2024_01_01,pop_2022_in_force_2025_01_01\nBron,69029,partenaire,yes,43049,42850\nBad,6902,,yes,1,2\n';
    const { communes, skipped } = communeRequests(csv);
    expect([...communes.keys()]).toEqual(['69029']);
    expect(communes.get('69029')!.map(({ path, body }) => ({ path, body }))).toEqual([
      {
        path: '/reference/populations',
        body: {
          communeInsee: '69029',
          population: 43049,
          effectiveDate: '2024-01-01',
          source: 'INSEE, populations légales 2021 (population municipale), en vigueur au 1er janvier 2024',
        },
      },
      {
        path: '/reference/populations',
        body: {
          communeInsee: '69029',
          population: 42850,
          effectiveDate: '2025-01-01',
          source: 'INSEE, populations légales 2022 (population municipale), en vigueur au 1er janvier 2025',
        },
      },
      {
        path: '/legacy-conventions',
        body: { communeInsee: '69029', communeName: 'Bron', serviceId: 'toodego', offerId: 'partenaire', year: 2025 },
      },
      {
        path: '/legacy-conventions',
        body: { communeInsee: '69029', communeName: 'Bron', serviceId: 'laclasse', offerId: 'standard', year: 2025 },
      },
    ]);
    expect(skipped).toEqual([{ file: 'communes', row: 3, column: 'insee', reason: 'invalid_commune', message: expect.any(String) }]);
  });

  it('skips, each with its row, column and reason, a commune without a name, one listed twice, a count that is not a number, a yes/no that is neither', () => {
    const csv =
      'name,insee,toodego_offer,laclasse,pop_2022_in_force_2025_01_01\nBron,69029,,yes,42850\n,69030,,yes,1\nBron bis,69029,,yes,1\nCaluire,69034,,maybe,about 43000\n';
    const { communes, skipped } = communeRequests(csv);
    expect([...communes.keys()]).toEqual(['69029', '69034']);
    expect(communes.get('69034')).toEqual([]);
    expect(skipped.map(({ message: _message, ...fact }) => fact)).toEqual([
      { file: 'communes', row: 3, column: 'name', reason: 'invalid_commune' },
      { file: 'communes', row: 4, column: 'insee', reason: 'duplicate_insee' },
      { file: 'communes', row: 5, column: 'pop_2022_in_force_2025_01_01', reason: 'not_a_whole_number' },
      { file: 'communes', row: 5, column: 'laclasse', reason: 'not_yes_or_no' },
    ]);
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
      // The rows of 2024-01, 2024-08, 2024-10, 2024-12 and 2025-09: no publication date.
      skipped: [4, 5, 7, 8, 10].map((row) => ({
        file: 'syntec',
        row,
        column: 'published_on',
        reason: 'no_publication_date',
        message: expect.any(String),
      })),
      refused: [],
    });
    expect(summaryText(summary)).toContain('Population figures: 172 recorded, 0 already recorded');

    const events = await storedEvents(current());
    const populations = events.filter((e) => e.type === 'PopulationRecorded');
    expect(populations).toHaveLength(172);
    expect(new Set(populations.map((e) => e.streamId)).size).toBe(43);
    expect(populations.filter((e) => e.streamId === 'commune-69123').map((e) => e.data)).toEqual([
      {
        communeInsee: '69123',
        population: 522228,
        effectiveDate: '2023-01-01',
        source: 'INSEE, populations légales 2020 (population municipale), en vigueur au 1er janvier 2023',
      },
      {
        communeInsee: '69123',
        population: 522250,
        effectiveDate: '2024-01-01',
        source: 'INSEE, populations légales 2021 (population municipale), en vigueur au 1er janvier 2024',
      },
      {
        communeInsee: '69123',
        population: 520774,
        effectiveDate: '2025-01-01',
        source: 'INSEE, populations légales 2022 (population municipale), en vigueur au 1er janvier 2025',
      },
      {
        communeInsee: '69123',
        population: 519127,
        effectiveDate: '2026-01-01',
        source: 'INSEE, populations légales 2023 (population municipale), en vigueur au 1er janvier 2026',
      },
    ]);
    expect(populations[0].metadata.actor).toEqual({ id: 'admin-alice', role: 'admin' });

    const legacy = events.filter((e) => e.type === 'LegacyConventionRecorded').map((e) => e.data as Record<string, unknown>);
    expect(legacy).toHaveLength(56);
    expect(legacy.filter((l) => l.serviceId === 'toodego')).toHaveLength(14);
    expect(legacy.filter((l) => l.communeInsee === '69040')).toEqual([
      {
        communeInsee: '69040',
        communeName: "Champagne-au-Mont-d'Or",
        serviceId: 'toodego',
        offerId: 'partenaire',
        annualContribution: null,
        year: 2025,
        startDate: null,
      },
    ]);
    expect(legacy.find((l) => l.communeInsee === '69127')).toMatchObject({
      communeName: "Marcy-l'Étoile",
      serviceId: 'laclasse',
      offerId: 'standard',
    });

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
    // Solaize is a commune of the Métropole outside the demo data: its good row is recorded past the refused ones.
    const text =
      'name,insee,toodego_offer,laclasse,pop_2022_in_force_2025_01_01\n"Village, ""test""",69999,,yes,1\nSolaize,69296,premium,yes,0\n';
    const summary = await importCommunes(client, text);
    // The import sends a file's requests a few at a time: the refusals come in any order.
    const refused = summary.refused.map(({ label, status, rule }) => ({ label, status, rule }));
    expect(refused.sort((x, y) => (x.label < y.label ? -1 : 1))).toEqual([
      { label: 'Solaize legacy toodego premium', status: 422, rule: 'R-LEG-1' },
      { label: 'Solaize population 2025-01-01', status: 422, rule: 'R-FEE-2' },
      { label: 'Village, "test" legacy laclasse standard', status: 422, rule: 'R-COM-1' },
      { label: 'Village, "test" population 2025-01-01', status: 422, rule: 'R-COM-1' },
    ]);
    expect(summary.legacy).toEqual({ recorded: 1, alreadyRecorded: 0 });
    const events = await storedEvents(current());
    expect(events.filter((e) => e.streamId === 'commune-69999')).toEqual([]);
    const recorded = events.filter((e) => e.streamId === 'commune-69296').map((e) => e.data);
    expect(recorded).toEqual([expect.objectContaining({ communeName: 'Solaize', serviceId: 'laclasse' })]);
  });
});
