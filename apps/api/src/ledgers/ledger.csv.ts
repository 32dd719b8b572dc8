import type { LedgerLineView, LedgerView } from '@lib/contract';
import type { LedgerViewTail } from './ledger.view';

/**
 * The ledger as a CSV that a French spreadsheet opens as is: UTF-8 with a BOM (so accents survive),
 * `;` between fields, a decimal comma, CRLF line ends, French headers. One row per line (`ligne`),
 * then one per issued line no longer in the ledger (`ligne retirée`), one total per commune
 * (`total commune`) and the year's total (`total année`). Dates stay ISO (YYYY-MM-DD), which
 * spreadsheets read as dates; a population is a plain integer.
 */
const COLUMNS: readonly [string, (line: LedgerLineView) => string | number | null][] = [
  ['Année', (l) => l.year],
  ['Code INSEE', (l) => l.communeInsee],
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
  ['Coefficient', (l) => decimal(l.coefficient)],
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
  const rows: (string | number | null)[][] = [];
  const blank = (values: Record<string, string | number | null>) => HEADERS.map((header) => values[header] ?? null);
  for (const removed of tail.removedLines) {
    rows.push(
      blank({
        Type: 'ligne retirée',
        Année: year,
        'Code INSEE': removed.communeInsee,
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
        'Code INSEE': commune.communeInsee,
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

function row(values: readonly (string | number | null)[]): string {
  return values.map(field).join(';') + '\r\n';
}

/** "111639.00" → "111639,00": the decimal comma, nothing else changed (no rounding, no grouping). */
function decimal(value: string | null): string | null {
  return value === null ? null : value.replace('.', ',');
}

function field(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[;"\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
