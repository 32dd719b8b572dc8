import { Dec, MoneyString, dec, toMoneyString } from '@lib/domain/shared/money';
import type { CommuneLedgerView, LedgerView } from '@lib/contract';
import { FeeLedgerLine, IssuedLedger, compareWithIssued, feeLedgerTotals, lineIdentityOf } from '@lib/domain/ledger';

export function ledgerView(
  year: number,
  knownAt: string,
  lines: readonly FeeLedgerLine[],
  issued: IssuedLedger,
  communeInsee?: string,
): LedgerView {
  const scoped: IssuedLedger =
    communeInsee === undefined
      ? issued
      : { ...issued, lines: new Map([...issued.lines].filter(([, entry]) => entry.line.communeInsee === communeInsee)) };
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
    const found = communes.get(insee) ?? {
      communeName: name,
      total: '0.00' as MoneyString,
      pendingLines: 0,
      issued: dec(0),
      difference: dec(0),
    };
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
