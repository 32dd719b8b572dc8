import { Dec, MoneyString, dec, toMoneyString } from '@lib/domain/shared/money';
import { FeeLedgerLine, IssueSummary, IssuedLedger, LedgerLineIdentity, compareWithIssued, feeLedgerTotals, lineIdentityOf } from '@lib/domain/ledger';

/** A ledger line (R-FEE-8, API.md) beside what was issued for it. */
export type LedgerLineView = FeeLedgerLine & {
  /** The sum issued for the line (0.00 if never issued); null while the year has no issue. */
  issuedAmount: MoneyString | null;
  /** amountDue − issuedAmount: what the next issue regularises; null while pending or before any issue. */
  difference: MoneyString | null;
};

/** An issued line that is no longer in the ledger: the next issue credits it. */
export interface RemovedLineView extends LedgerLineIdentity {
  issuedAmount: MoneyString;
  amountDue: MoneyString;
  difference: MoneyString;
}

export interface CommuneTotalView {
  communeInsee: string;
  communeName: string;
  /** The sum of the commune's final lines (R-FEE-8). */
  total: MoneyString;
  /** Lines left out of the total because they are pending. */
  pendingLines: number;
  /** The sum issued for the commune; null before any issue. */
  issued: MoneyString | null;
  /** The sum of its lines' differences; null before any issue. */
  difference: MoneyString | null;
}

export interface LedgerView {
  year: number;
  /** The facts are those recorded up to this instant (R-TIME-1): the one asked, or the time of the answer. */
  knownAt: string;
  lines: LedgerLineView[];
  removedLines: RemovedLineView[];
  totals: {
    byCommune: CommuneTotalView[];
    grandTotal: MoneyString;
    pendingLines: number;
    issued: MoneyString | null;
    difference: MoneyString | null;
  };
  /** Every issue of the year as known at `knownAt`; empty while it is not issued. */
  issues: IssueSummary[];
  /** The `ledger-<year>` stream version (the number of issues): send it back in If-Match to issue. */
  version: number;
}

export interface CommuneLedgerView {
  year: number;
  knownAt: string;
  communeInsee: string;
  /** Null when the commune has no line in the year. */
  communeName: string | null;
  lines: LedgerLineView[];
  removedLines: RemovedLineView[];
  total: MoneyString;
  pendingLines: number;
  issued: MoneyString | null;
  difference: MoneyString | null;
  issues: IssueSummary[];
  version: number;
}

/** The whole year's ledger, or one commune's when `communeInsee` is given (then `issued` holds only its lines). */
export function ledgerView(year: number, knownAt: string, lines: readonly FeeLedgerLine[], issued: IssuedLedger, communeInsee?: string): LedgerView {
  const scoped: IssuedLedger =
    communeInsee === undefined ? issued : { ...issued, lines: new Map([...issued.lines].filter(([, entry]) => entry.line.communeInsee === communeInsee)) };
  const comparison = compareWithIssued(lines, scoped);
  const isIssued = issued.issues.length > 0;
  const viewLines = comparison.lines.map(({ line, issuedAmount, difference }) => ({ ...line, issuedAmount, difference }));
  const removedLines = comparison.removed.map(({ line, issuedAmount, difference }) => ({
    ...lineIdentityOf(line),
    issuedAmount,
    amountDue: '0.00' as MoneyString,
    difference,
  }));

  const totals = feeLedgerTotals(lines);
  const communes = new Map<string, { communeName: string; total: MoneyString; pendingLines: number; issued: Dec; difference: Dec }>();
  for (const commune of totals.byCommune) communes.set(commune.communeInsee, { ...commune, issued: dec(0), difference: dec(0) });
  const communeOf = (insee: string, name: string) => {
    const found = communes.get(insee) ?? { communeName: name, total: '0.00' as MoneyString, pendingLines: 0, issued: dec(0), difference: dec(0) };
    communes.set(insee, found);
    return found;
  };
  for (const entry of scoped.lines.values()) {
    const commune = communeOf(entry.line.communeInsee, entry.line.communeName);
    commune.issued = commune.issued.plus(entry.amount);
  }
  for (const line of [...viewLines, ...removedLines]) {
    if (line.difference === null) continue;
    const commune = communeOf(line.communeInsee, line.communeName);
    commune.difference = commune.difference.plus(line.difference);
  }
  const byCommune = [...communes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([insee, c]) => ({
      communeInsee: insee,
      communeName: c.communeName,
      total: c.total,
      pendingLines: c.pendingLines,
      issued: isIssued ? toMoneyString(c.issued) : null,
      difference: isIssued ? toMoneyString(c.difference) : null,
    }));
  const sum = (values: (MoneyString | null)[]) => toMoneyString(values.reduce((acc: Dec, value) => acc.plus(value ?? 0), dec(0)));
  return {
    year,
    knownAt,
    lines: viewLines,
    removedLines,
    totals: {
      byCommune,
      grandTotal: totals.grandTotal,
      pendingLines: totals.pendingLines,
      issued: isIssued ? sum(byCommune.map((c) => c.issued)) : null,
      difference: isIssued ? sum(byCommune.map((c) => c.difference)) : null,
    },
    issues: [...issued.issues],
    version: issued.issues.length,
  };
}

/** API.md: "that commune's lines and total". */
export function communeLedgerView(view: LedgerView, communeInsee: string): CommuneLedgerView {
  const total = view.totals.byCommune.find((commune) => commune.communeInsee === communeInsee);
  return {
    year: view.year,
    knownAt: view.knownAt,
    communeInsee,
    communeName: total?.communeName ?? null,
    lines: view.lines,
    removedLines: view.removedLines,
    total: total?.total ?? ('0.00' as MoneyString),
    pendingLines: total?.pendingLines ?? 0,
    issued: view.issues.length > 0 ? (total?.issued ?? ('0.00' as MoneyString)) : null,
    difference: view.issues.length > 0 ? (total?.difference ?? ('0.00' as MoneyString)) : null,
    issues: view.issues,
    version: view.version,
  };
}
