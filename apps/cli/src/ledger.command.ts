import { writeFileSync } from 'node:fs';
import { Command, CommandRunner, Option } from 'nest-commander';
import type { CommuneLedgerView, LedgerView } from '@lib/contract';
import { ApiClient, describeProblem } from './api-client';

interface LedgerOptions {
  csv?: boolean;
  out?: string;
  commune?: string;
  knownAt?: string;
}

/** GET /api/ledgers/{year}, or with --commune GET /api/communes/{insee}/ledgers/{year}. */
type LedgerAnswer = LedgerView | CommuneLedgerView;

/**
 * `ledger <year>`: prints a billing year's fee ledger as a table, or its CSV (`--csv`, the API's own
 * CSV: semicolons, decimal comma, BOM); `--out` writes to a file instead of the terminal. Through the
 * API, with an auditor token (API_TOKEN, or one signed with JWT_SECRET).
 */
@Command({ name: 'ledger', arguments: '<year>', description: "print or write a billing year's fee ledger (table or CSV), through the API" })
export class LedgerCommand extends CommandRunner {
  async run([year]: string[], options: LedgerOptions): Promise<void> {
    const client = new ApiClient(process.env, 'auditor');
    if (options.commune) assertKnownCommune(options.commune);
    const path = options.commune
      ? `/communes/${encodeURIComponent(options.commune)}/ledgers/${encodeURIComponent(year)}`
      : `/ledgers/${encodeURIComponent(year)}`;
    const query = options.knownAt ? `?knownAt=${encodeURIComponent(options.knownAt)}` : '';
    const response = await client.request<LedgerAnswer | string>('GET', path + query, {
      accept: options.csv ? 'text/csv' : 'application/json',
    });
    if (response.status !== 200) throw new Error(describeProblem(response.status, response.body));
    // fetch's text() drops the BOM while decoding: put it back, spreadsheets need it to read UTF-8.
    const output = options.csv ? '\uFEFF' + (response.body as string).replace(/^\uFEFF/, '') : ledgerTable(response.body as LedgerAnswer);
    if (options.out) {
      writeFileSync(options.out, output, 'utf8');
      process.stderr.write(`Written to ${options.out}\n`);
    } else {
      process.stdout.write(output);
    }
  }

  @Option({ flags: '--csv', description: 'the CSV for a spreadsheet instead of a table' })
  parseCsv(): boolean {
    return true;
  }

  @Option({ flags: '-o, --out <file>', description: 'write to this file instead of the terminal' })
  parseOut(value: string): string {
    return value;
  }

  @Option({ flags: '-c, --commune <insee>', description: "only this commune's lines and total" })
  parseCommune(value: string): string {
    return value;
  }

  @Option({ flags: '--known-at <instant>', description: 'as known at this instant (ISO 8601, e.g. 2026-03-01T12:00:00Z)' })
  parseKnownAt(value: string): string {
    return value;
  }
}

const HEADERS = [
  'INSEE',
  'Commune',
  'Service',
  'Offre',
  'Du',
  'Au',
  'Population',
  'Cible',
  'Plafond',
  'Annuel',
  'Jours',
  'Dû',
  'Émis',
  'Écart',
  'Statut',
];
/** Numbers are right-aligned. */
const RIGHT = new Set(['Population', 'Cible', 'Plafond', 'Annuel', 'Jours', 'Dû', 'Émis', 'Écart']);

/** A plain-text table: one row per line, then the totals per commune and for the year. */
export function ledgerTable(ledger: LedgerAnswer): string {
  const rows = ledger.lines.map((line) => [
    line.communeInsee,
    line.communeName,
    line.serviceId,
    line.offerId,
    line.inForceFrom,
    line.inForceUntil,
    line.population === null ? '' : String(line.population),
    line.targetAmount ?? '',
    line.capAmount ?? '',
    line.annualAmount ?? '',
    `${line.daysInForce}/${line.daysInYear}`,
    line.amountDue ?? '',
    line.issuedAmount ?? '',
    line.difference ?? '',
    line.status === 'final' ? 'final' : `pending: ${line.pendingReason}`,
  ]);
  const widths = HEADERS.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i].length)));
  const format = (row: string[]) =>
    row
      .map((cell, i) => (RIGHT.has(HEADERS[i]) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [
    `Fee ledger ${ledger.year}, as known at ${ledger.knownAt}${ledger.issues.length ? `, issued ${ledger.issues.length} time(s)` : ', not issued'}`,
    '',
    format(HEADERS),
    ...rows.map(format),
    '',
  ];
  if ('totals' in ledger) {
    for (const commune of ledger.totals.byCommune)
      out.push(
        `Total ${commune.communeInsee} ${commune.communeName}: ${commune.total}${commune.pendingLines ? ` (${commune.pendingLines} pending line(s) not counted)` : ''}`,
      );
    out.push(
      `Total ${ledger.year}: ${ledger.totals.grandTotal}${ledger.totals.pendingLines ? ` (${ledger.totals.pendingLines} pending line(s) not counted)` : ''}`,
    );
  } else {
    out.push(`Total: ${ledger.total}${ledger.pendingLines ? ` (${ledger.pendingLines} pending line(s) not counted)` : ''}`);
  }
  return out.join('\n') + '\n';
}

/**
 * The API answers an empty ledger for a code no commune has (nothing recorded for it): for an operator
 * that is a typo to point out, not an empty table. Known means in the official geographic code (COG),
 * read only when --commune is given (it is 8 MB of JSON).
 */
function assertKnownCommune(insee: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
  const communes = require('@etalab/decoupage-administratif/data/communes.json') as Array<{ code: string }>;
  if (!communes.some((commune) => commune.code === insee))
    throw new Error(`Unknown commune ${insee}: no commune has this INSEE code in the official geographic code (COG)`);
}
