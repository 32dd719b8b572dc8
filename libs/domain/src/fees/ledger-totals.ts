import { Dec, MoneyString, dec, toMoneyString } from '../shared/money';
import { LedgerLine } from './ledger-line';

export interface CommuneTotal {
  readonly communeInsee: string;
  readonly communeName: string;
  /** The sum of the commune's final lines. */
  readonly total: MoneyString;
  /** Lines left out of the total because they are pending. */
  readonly pendingLines: number;
}

export interface LedgerTotals {
  /** Ordered by INSEE code. */
  readonly byCommune: readonly CommuneTotal[];
  readonly grandTotal: MoneyString;
  readonly pendingLines: number;
}

/** R-FEE-8: totals per commune and for the year. Pending lines count in no total, only in `pendingLines`. */
export function ledgerTotals(lines: readonly LedgerLine[]): LedgerTotals {
  const communes = new Map<string, { communeName: string; total: Dec; pendingLines: number }>();
  for (const line of lines) {
    const commune = communes.get(line.communeInsee) ?? { communeName: line.communeName, total: dec(0), pendingLines: 0 };
    if (line.amountDue === null) commune.pendingLines += 1;
    else commune.total = commune.total.plus(line.amountDue);
    communes.set(line.communeInsee, commune);
  }
  const byCommune = [...communes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([communeInsee, { communeName, total, pendingLines }]) => ({
      communeInsee,
      communeName,
      total: toMoneyString(total),
      pendingLines,
    }));
  return {
    byCommune,
    grandTotal: toMoneyString(byCommune.reduce((sum, commune) => sum.plus(commune.total), dec(0))),
    pendingLines: byCommune.reduce((count, commune) => count + commune.pendingLines, 0),
  };
}
