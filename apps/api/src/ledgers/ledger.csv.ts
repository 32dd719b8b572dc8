import type { LedgerLineView, LedgerView } from '@lib/contract';

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

export function ledgerCsv(view: LedgerView): string {
  const rows: (string | number | null)[][] = [HEADERS];
  const blank = (values: Record<string, string | number | null>) => HEADERS.map((header) => values[header] ?? null);
  for (const line of view.lines) rows.push(['ligne', ...COLUMNS.map(([, value]) => value(line)), null]);
  for (const removed of view.removedLines) {
    rows.push(
      blank({
        Type: 'ligne retirée',
        Année: view.year,
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
  for (const commune of view.totals.byCommune) {
    rows.push(
      blank({
        Type: 'total commune',
        Année: view.year,
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
      Année: view.year,
      'Montant dû (€)': decimal(view.totals.grandTotal),
      'Déjà émis (€)': decimal(view.totals.issued),
      'Écart (€)': decimal(view.totals.difference),
      'Lignes en attente': view.totals.pendingLines,
    }),
  );
  return '\uFEFF' + rows.map((row) => row.map(field).join(';')).join('\r\n') + '\r\n';
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
