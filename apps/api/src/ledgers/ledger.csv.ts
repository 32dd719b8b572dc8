import Decimal from 'decimal.js';
import type { LedgerLineView, LedgerView } from '@lib/contract';
import type { LedgerViewTail } from './ledger.view';

/**
 * The ledger as a CSV that a French spreadsheet opens as is: UTF-8 with a BOM (so accents survive),
 * `;` between fields, a decimal comma, CRLF line ends, French headers. One row per line (`ligne`),
 * then one per issued line no longer in the ledger (`ligne retirée`), one total per commune
 * (`total commune`) and the year's total (`total année`). Dates stay ISO (YYYY-MM-DD), which
 * spreadsheets read as dates; a population is a plain integer.
 *
 * Safe to open (docs/ledgers.md, "CSV"): a text cell that a spreadsheet would read as a formula is
 * neutralised (OWASP, CSV injection); a number is written only by this file, from the ledger's own
 * decimals, and checked to be one; the INSEE code stays text; the coefficient is rounded for display.
 */
type Cell = string | number | null | Numeric | InseeCode;
/** A value this file produced as a number: written as is once checked to be a plain decimal. */
class Numeric {
  constructor(readonly text: string) {}
}
/** An INSEE code: written so that a spreadsheet keeps it as text (leading zero, 2A/2B). */
class InseeCode {
  constructor(readonly code: string) {}
}

// Before CSV_START, which is written when the module loads.
const NUMBER = /^-?[0-9]+(,[0-9]+)?$/;
const INSEE = /^[0-9][0-9AB][0-9]{3}$/;
/**
 * First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection, ASVS 1.2.10:
 * = + - @ tab CR; also LF, NUL and the full-width = + - @, which some spreadsheets convert).
 */
const FORMULA_START = /^[=+\-@\t\r\n\0\uFF1D\uFF0B\uFF0D\uFF20]/;

const COLUMNS: readonly [string, (line: LedgerLineView) => Cell][] = [
  ['Année', (l) => l.year],
  ['Code INSEE', (l) => insee(l.communeInsee)],
  ['Commune', (l) => l.communeName],
  ['Service', (l) => l.serviceId],
  ['Offre', (l) => l.offerId],
  ['Convention', (l) => l.conventionId],
  ['Du', (l) => l.inForceFrom],
  ['Au', (l) => l.inForceUntil],
  ['Population', (l) => l.population],
  ['Population en vigueur le', (l) => l.populationEffectiveDate],
  ['Source de la population', (l) => l.populationSource],
  ['Part fixe (€)', (l) => decimal(l.fixed)],
  ['Tarif par habitant (€)', (l) => decimal(l.perInhabitant)],
  ['Montant de base (€)', (l) => decimal(l.baseAmount)],
  ['Indice Syntec N', (l) => decimal(l.indexValue)],
  ['Mois de l’indice N', (l) => l.indexPeriod],
  ['Indice Syntec de base', (l) => decimal(l.baseIndexValue)],
  ['Mois de l’indice de base', (l) => l.baseIndexPeriod],
  ['Coefficient', (l) => decimal(l.coefficient && roundedCoefficient(l.coefficient))],
  ['Contribution cible (€)', (l) => decimal(l.targetAmount)],
  ['Contribution historique 2025 (€)', (l) => decimal(l.legacyAmount)],
  ['Plafond de transition (€)', (l) => decimal(l.capAmount)],
  ['Montant annuel (€)', (l) => decimal(l.annualAmount)],
  ['Jours en vigueur', (l) => l.daysInForce],
  ["Jours de l'année", (l) => l.daysInYear],
  ['Montant dû (€)', (l) => decimal(l.amountDue)],
  ['Statut', (l) => (l.status === 'final' ? 'définitive' : 'en attente')],
  ["Motif d'attente", (l) => (l.pendingReason ? PENDING_REASONS[l.pendingReason] : null)],
  ['Déjà émis (€)', (l) => decimal(l.issuedAmount)],
  ['Écart (€)', (l) => decimal(l.difference)],
];

const HEADERS = ['Type', ...COLUMNS.map(([header]) => header), 'Lignes en attente'];

const PENDING_REASONS: Record<NonNullable<LedgerLineView['pendingReason']>, string> = {
  population_missing: 'population manquante',
  index_missing: 'indice Syntec manquant',
  legacy_amount_missing: 'contribution historique 2025 inconnue',
};

/** The whole file at once, for a view already in memory. */
export function ledgerCsv(view: LedgerView): string {
  return CSV_START + view.lines.map(csvLine).join('') + csvTail(view.year, view);
}

/** The BOM and the header row: what a streamed file starts with. */
export const CSV_START = '\uFEFF' + row(HEADERS);

/** One row per ledger line. */
export function csvLine(line: LedgerLineView): string {
  return row(['ligne', ...COLUMNS.map(([, value]) => value(line)), null]);
}

/** The rows after the lines: the removed lines, each commune's total, the year's. */
export function csvTail(year: number, tail: LedgerViewTail): string {
  const rows: Cell[][] = [];
  const blank = (values: Record<string, Cell>) => HEADERS.map((header) => values[header] ?? null);
  for (const removed of tail.removedLines) {
    rows.push(
      blank({
        Type: 'ligne retirée',
        Année: year,
        'Code INSEE': insee(removed.communeInsee),
        Commune: removed.communeName,
        Service: removed.serviceId,
        Offre: removed.offerId,
        Convention: removed.conventionId,
        Du: removed.inForceFrom,
        Au: removed.inForceUntil,
        'Montant dû (€)': decimal(removed.amountDue),
        'Déjà émis (€)': decimal(removed.issuedAmount),
        'Écart (€)': decimal(removed.difference),
      }),
    );
  }
  for (const commune of tail.totals.byCommune) {
    rows.push(
      blank({
        Type: 'total commune',
        Année: year,
        'Code INSEE': insee(commune.communeInsee),
        Commune: commune.communeName,
        'Montant dû (€)': decimal(commune.total),
        'Déjà émis (€)': decimal(commune.issued),
        'Écart (€)': decimal(commune.difference),
        'Lignes en attente': commune.pendingLines,
      }),
    );
  }
  rows.push(
    blank({
      Type: 'total année',
      Année: year,
      'Montant dû (€)': decimal(tail.totals.grandTotal),
      'Déjà émis (€)': decimal(tail.totals.issued),
      'Écart (€)': decimal(tail.totals.difference),
      'Lignes en attente': tail.totals.pendingLines,
    }),
  );
  return rows.map(row).join('');
}

function row(values: readonly Cell[]): string {
  return values.map(field).join(';') + '\r\n';
}

/** Decimal places of the coefficient in the CSV (see roundedCoefficient). */
export const CSV_COEFFICIENT_PLACES = 9;

/**
 * The coefficient is an exact quotient (up to 60 digits): a spreadsheet keeps 15 significant digits
 * and a reader needs far fewer. Nine places (half-up) keep base × coefficient within 0.05 cent of the
 * exact product for a base under 1 000 000 €; the JSON answer keeps every digit.
 */
function roundedCoefficient(value: string): string {
  return new Decimal(value).toDecimalPlaces(CSV_COEFFICIENT_PLACES, Decimal.ROUND_HALF_UP).toFixed();
}

/** "111639.00" → "111639,00": the decimal comma, nothing else changed (no rounding, no grouping). */
function decimal(value: string | null): Numeric | null {
  return value === null ? null : new Numeric(value.replace('.', ','));
}

function insee(code: string): InseeCode {
  return new InseeCode(code);
}

function field(value: Cell): string {
  if (value === null) return '';
  // A negative amount (a regularisation) starts with '-': it is a number this file wrote from the
  // ledger's decimals, not text a user typed, so it stays a number. Anything else in a numeric column
  // (it should not happen) is written as text, neutralised.
  if (value instanceof Numeric) return NUMBER.test(value.text) ? value.text : text(value.text);
  // ="01001": the one formula this file writes, a string literal of a validated code, so that Excel and
  // LibreOffice keep the leading zero instead of reading the number 1001.
  if (value instanceof InseeCode) return INSEE.test(value.code) ? `"=""${value.code}"""` : text(value.code);
  if (typeof value === 'number') return String(value);
  return text(value);
}

/** A text cell: neutralised (a leading ') when it starts like a formula; quoted when it holds a separator, a quote or a line end. */
function text(value: string): string {
  if (FORMULA_START.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  return /[;"\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
