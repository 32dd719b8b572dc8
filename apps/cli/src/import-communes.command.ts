import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { ApiClient, describeProblem } from './api-client';

/** Defaults, relative to the working directory (the repository root with `npm run cli`). */
export const DEFAULT_COMMUNES_CSV = 'demo-data/communes.csv';
export const DEFAULT_SYNTEC_CSV = 'demo-data/syntec.csv';

/** Legacy contributions are recorded for 2025 (R-LEG-1); the demo data does not know them (data README). */
const LEGACY_YEAR = 2025;
const INSEE = /^(?:[0-9]{5}|2[AB][0-9]{3})$/;
/** `pop_2020_in_force_2023_01_01`: the 2020 legal population, in force from 2023-01-01. */
const POPULATION_COLUMN = /^pop_(\d{4})_in_force_(\d{4})_(\d{2})_(\d{2})$/;
const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];
/** Communes are imported a few at a time: each one's requests in order (they share its stream). */
const PARALLEL_COMMUNES = 4;

/** Why a CSV file cannot be read at all. */
export type CsvErrorReason = 'unclosed_quote' | 'text_after_closing_quote' | 'too_many_fields' | 'missing_column';

/**
 * A CSV file the import cannot read: the reason and where, for a program; the message for a person.
 * `row` counts records (the header is row 1; a quoted line break does not start a new row).
 */
export class CsvError extends Error {
  readonly row?: number;
  readonly column?: string;

  constructor(
    readonly reason: CsvErrorReason,
    message: string,
    where: { row?: number; column?: string },
  ) {
    super(message);
    this.name = 'CsvError';
    this.row = where.row;
    this.column = where.column;
  }
}

/**
 * RFC 4180 CSV: fields quoted with `"` may hold commas, line breaks and `""` (a quote); lines end with
 * LF or CRLF; a UTF-8 byte order mark is dropped; blank lines are skipped. Rows become objects keyed
 * by the header's names. Throws a CsvError on an unterminated quote or a row with more fields than the header.
 */
export function parseCsv(text: string): Array<Record<string, string>> {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  const input = text.replace(/^\uFEFF/, '');
  const endField = () => {
    row.push(wasQuoted ? field : field.trim());
    field = '';
    wasQuoted = false;
  };
  const endRow = () => {
    endField();
    if (row.length > 1 || row[0] !== '') rows.push(row);
    row = [];
  };
  for (let i = 0; i < input.length; i++) {
    const char = input[i];
    if (quoted) {
      if (char === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (wasQuoted && char !== ',' && char !== '\n' && char !== '\r') {
      if (char.trim() !== '')
        throw new CsvError('text_after_closing_quote', `CSV line ${rows.length + 1}: text after a closing quote`, { row: rows.length + 1 });
    } else if (char === '"' && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      field = '';
    } else if (char === ',') endField();
    else if (char === '\n') endRow();
    else if (char === '\r' && input[i + 1] === '\n') continue;
    else field += char;
  }
  if (quoted) throw new CsvError('unclosed_quote', 'CSV: a quoted field is not closed', { row: rows.length + 1 });
  if (field !== '' || row.length > 0) endRow();
  const [header, ...records] = rows;
  if (!header) return [];
  return records.map((record, index) => {
    if (record.length > header.length)
      throw new CsvError('too_many_fields', `CSV line ${index + 2}: ${record.length} fields, the header has ${header.length}`, {
        row: index + 2,
      });
    return Object.fromEntries(header.map((name, i) => [name, record[i] ?? '']));
  });
}

/** One command of the import, sent through the API like any client's. */
export interface ImportRequest {
  kind: 'population' | 'legacy' | 'syntec';
  path: string;
  body: Record<string, unknown>;
  /** Derived from the content, so that running the import again records nothing new. */
  idempotencyKey: string;
  label: string;
}

export type SkipReason = 'invalid_commune' | 'duplicate_insee' | 'not_a_whole_number' | 'not_yes_or_no' | 'no_publication_date';

/** A row or value left out of the import: which file, row and column, and why; `message` for the operator. */
export interface Skipped {
  file: 'communes' | 'syntec';
  /** The record's row, the header being row 1. */
  row: number;
  column: string;
  reason: SkipReason;
  message: string;
}

export interface PlannedImport {
  /** By commune INSEE code, in file order. */
  communes: Map<string, ImportRequest[]>;
  syntec: ImportRequest[];
  /** Rows or values not imported, and why. */
  skipped: Skipped[];
}

function keyFor(kind: string, id: string, body: Record<string, unknown>): string {
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
  return `import-communes/${kind}/${id}/${digest}`;
}

function frenchDate(year: string, month: string, day: string): string {
  return `${Number(day) === 1 ? '1er' : Number(day)} ${MONTHS[Number(month) - 1]} ${year}`;
}

/**
 * The requests for communes.csv: for each commune, its population figures with the date each came into
 * force, and its current subscriptions as legacy conventions (toodego with its offer, laclasse
 * standard), without the 2025 contribution, which is unknown.
 */
export function communeRequests(csv: string): Omit<PlannedImport, 'syntec'> {
  const rows = parseCsv(csv);
  const columns = Object.keys(rows[0] ?? {});
  for (const required of ['name', 'insee', 'toodego_offer', 'laclasse'])
    if (!columns.includes(required))
      throw new CsvError('missing_column', `communes CSV: no column ${required} (columns: ${columns.join(', ')})`, { column: required });
  const populationColumns = columns.flatMap((column) => {
    const match = POPULATION_COLUMN.exec(column);
    return match
      ? [
          {
            column,
            vintage: match[1],
            effectiveDate: `${match[2]}-${match[3]}-${match[4]}`,
            inForce: frenchDate(match[2], match[3], match[4]),
          },
        ]
      : [];
  });
  const communes = new Map<string, ImportRequest[]>();
  const skipped: Skipped[] = [];
  rows.forEach((row, index) => {
    const { name, insee } = row;
    const line = `line ${index + 2} (${name || 'no name'})`;
    const skip = (column: string, reason: SkipReason, why: string) =>
      skipped.push({ file: 'communes', row: index + 2, column, reason, message: `${line}: ${why}` });
    if (!INSEE.test(insee) || !name)
      return skip(INSEE.test(insee) ? 'name' : 'insee', 'invalid_commune', `needs a name and a 5-character INSEE code, got "${insee}"`);
    if (communes.has(insee)) return skip('insee', 'duplicate_insee', `INSEE code ${insee} appears twice`);
    const requests: ImportRequest[] = [];
    for (const { column, vintage, effectiveDate, inForce } of populationColumns) {
      if (!/^\d+$/.test(row[column])) {
        skip(column, 'not_a_whole_number', `${column} is not a whole number ("${row[column]}")`);
        continue;
      }
      const body = {
        communeInsee: insee,
        population: Number(row[column]),
        effectiveDate,
        source: `INSEE, populations légales ${vintage} (population municipale), en vigueur au ${inForce}`,
      };
      requests.push({
        kind: 'population',
        path: '/reference/populations',
        body,
        idempotencyKey: keyFor('population', `${insee}/${effectiveDate}`, body),
        label: `${name} population ${effectiveDate}`,
      });
    }
    const subscriptions: Array<[string, string]> = [];
    if (row.toodego_offer) subscriptions.push(['toodego', row.toodego_offer]);
    if (row.laclasse === 'yes') subscriptions.push(['laclasse', 'standard']);
    else if (row.laclasse !== 'no' && row.laclasse !== '')
      skip('laclasse', 'not_yes_or_no', `laclasse is "${row.laclasse}", expected yes or no`);
    for (const [serviceId, offerId] of subscriptions) {
      const body = { communeInsee: insee, communeName: name, serviceId, offerId, year: LEGACY_YEAR };
      requests.push({
        kind: 'legacy',
        path: '/legacy-conventions',
        body,
        idempotencyKey: keyFor('legacy', `${insee}/${serviceId}`, body),
        label: `${name} legacy ${serviceId} ${offerId}`,
      });
    }
    communes.set(insee, requests);
  });
  return { communes, skipped };
}

/** The requests for syntec.csv: the values with a publication date; the others are skipped (R-FEE-3 needs it). */
export function syntecRequests(csv: string): Pick<PlannedImport, 'syntec' | 'skipped'> {
  const syntec: ImportRequest[] = [];
  const skipped: Skipped[] = [];
  for (const [index, row] of parseCsv(csv).entries()) {
    if (!row.published_on) {
      const message = `Syntec ${row.period} = ${row.value}: no publication date, not recorded${row.note ? ` (${row.note})` : ''}`;
      skipped.push({ file: 'syntec', row: index + 2, column: 'published_on', reason: 'no_publication_date', message });
      continue;
    }
    const body = { period: row.period, value: row.value, publishedOn: row.published_on };
    syntec.push({
      kind: 'syntec',
      path: '/reference/syntec',
      body,
      idempotencyKey: keyFor('syntec', row.period, body),
      label: `Syntec ${row.period}`,
    });
  }
  return { syntec, skipped };
}

export interface ImportCount {
  recorded: number;
  alreadyRecorded: number;
}

/** A request the API refused: its problem's status and rule (when it names one), and the problem in one line. */
export interface Refused {
  label: string;
  status: number;
  rule?: string;
  code?: string;
  message: string;
}

export interface ImportSummary {
  communes: number;
  population: ImportCount;
  legacy: ImportCount;
  syntec: ImportCount;
  skipped: Skipped[];
  refused: Refused[];
}

/**
 * The import's core: sends every request through the API (validation, rules, audit metadata, idempotency
 * as for any client). A request that records no event, or that the API answers from its
 * Idempotency-Key, counts as already recorded. `syntecCsv` is optional.
 */
export async function importCommunes(client: ApiClient, communesCsv: string, syntecCsv?: string): Promise<ImportSummary> {
  const { communes, skipped } = communeRequests(communesCsv);
  const syntec = syntecCsv === undefined ? { syntec: [], skipped: [] } : syntecRequests(syntecCsv);
  const summary: ImportSummary = {
    communes: communes.size,
    population: { recorded: 0, alreadyRecorded: 0 },
    legacy: { recorded: 0, alreadyRecorded: 0 },
    syntec: { recorded: 0, alreadyRecorded: 0 },
    skipped: [...skipped, ...syntec.skipped],
    refused: [],
  };
  const send = async (request: ImportRequest) => {
    const response = await client.request<{ events?: unknown[] }>('POST', request.path, {
      body: request.body,
      headers: { 'Idempotency-Key': request.idempotencyKey },
    });
    if (response.status >= 300) return void summary.refused.push(refusedBy(request, response.status, response.body));
    const replayed = response.headers.get('idempotent-replayed') === 'true';
    const count = summary[request.kind];
    if (!replayed && (response.body.events?.length ?? 0) > 0) count.recorded++;
    else count.alreadyRecorded++;
  };
  const queue = [...communes.values()];
  await Promise.all(
    Array.from({ length: PARALLEL_COMMUNES }, async () => {
      for (let requests = queue.shift(); requests; requests = queue.shift()) for (const request of requests) await send(request);
    }),
  );
  for (const request of syntec.syntec) await send(request);
  return summary;
}

function refusedBy(request: ImportRequest, status: number, body: unknown): Refused {
  const { rule, code } = (typeof body === 'object' && body !== null ? body : {}) as { rule?: unknown; code?: unknown };
  return {
    label: request.label,
    status,
    ...(typeof rule === 'string' ? { rule } : {}),
    ...(typeof code === 'string' ? { code } : {}),
    message: `${request.label}: ${describeProblem(status, body)}`,
  };
}

export function summaryText(summary: ImportSummary): string {
  const count = ({ recorded, alreadyRecorded }: ImportCount) => `${recorded} recorded, ${alreadyRecorded} already recorded`;
  return [
    `Communes: ${summary.communes}`,
    `Population figures: ${count(summary.population)}`,
    `Legacy conventions: ${count(summary.legacy)} (2025 contributions unknown: left out)`,
    `Syntec values: ${count(summary.syntec)}`,
    ...(summary.skipped.length ? [`Skipped (${summary.skipped.length}):`, ...summary.skipped.map(({ message }) => `  ${message}`)] : []),
    ...(summary.refused.length
      ? [`Refused by the API (${summary.refused.length}):`, ...summary.refused.map(({ message }) => `  ${message}`)]
      : []),
  ].join('\n');
}

interface ImportOptions {
  syntec?: string;
}

/**
 * `import-communes [communes.csv] [--syntec syntec.csv]`: the demo data (demo-data/, a copy of ../shared/data) through the
 * running API. Running it again records nothing new.
 */
@Command({
  name: 'import-communes',
  arguments: '[communes-csv]',
  description: `import the communes' populations and legacy conventions (default ${DEFAULT_COMMUNES_CSV}) and the Syntec values, through the API`,
})
export class ImportCommunesCommand extends CommandRunner {
  async run([communesPath]: string[], options: ImportOptions): Promise<void> {
    const communesFile = resolve(process.cwd(), communesPath ?? DEFAULT_COMMUNES_CSV);
    if (!existsSync(communesFile)) throw new Error(`No communes CSV at ${communesFile}`);
    const syntecFile = resolve(process.cwd(), options.syntec ?? DEFAULT_SYNTEC_CSV);
    let syntecCsv: string | undefined;
    if (existsSync(syntecFile)) syntecCsv = readFileSync(syntecFile, 'utf8');
    else if (options.syntec) throw new Error(`No Syntec CSV at ${syntecFile}`);
    else process.stderr.write(`No Syntec CSV at ${syntecFile}: Syntec values not imported\n`);

    const summary = await importCommunes(new ApiClient(process.env), readFileSync(communesFile, 'utf8'), syntecCsv);
    process.stdout.write(`Imported ${communesFile}${syntecCsv !== undefined ? ` and ${syntecFile}` : ''}\n${summaryText(summary)}\n`);
    if (summary.refused.length > 0) throw new Error(`${summary.refused.length} request(s) refused by the API`);
  }

  @Option({
    flags: '--syntec <path>',
    description: `Syntec index values CSV (default ${DEFAULT_SYNTEC_CSV}); values without a publication date are skipped`,
  })
  parseSyntec(value: string): string {
    return value;
  }
}
