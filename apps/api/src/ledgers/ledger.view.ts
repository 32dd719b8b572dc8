import { Dec, MoneyString, dec, toMoneyString } from '@lib/domain/shared/money';
import type { CommuneLedgerView, CommuneTotalView, LedgerLineView, LedgerView, RemovedLineView } from '@lib/contract';
import { FeeLedgerLine, IssuedLedger, IssuedLine, compareWithIssued, feeLedgerTotals, lineIdentityOf } from '@lib/domain/ledger';

/** What follows the lines in a ledger's answer, once every commune's lines have gone by. */
export type LedgerViewTail = Omit<LedgerView, 'year' | 'knownAt' | 'lines'>;

/**
 * A ledger's answer built commune by commune, in INSEE order, so that a national year can be written
 * as it is computed or read: each commune's lines go out at once with what was issued for them; only
 * the removed lines and the communes' totals (one small row per commune) are held until the end.
 * `communeInsee`: the answer is that commune's only (its issued lines, its totals).
 */
export class LedgerViewAssembler {
  private readonly isIssued: boolean;
  /** The issued lines per commune: each commune's lines are compared with its own only. */
  private readonly issuedByCommune = new Map<string, Map<string, IssuedLine>>();
  /** Each issued line's rank in the issued ledger: removed lines are listed in that order, as compareWithIssued lists them. */
  private readonly rank = new Map<string, number>();
  private readonly communes: CommuneTotalView[] = [];
  private readonly removed: RemovedLineView[] = [];

  constructor(
    private readonly issued: IssuedLedger,
    communeInsee?: string,
  ) {
    this.isIssued = issued.issues.length > 0;
    for (const [lineId, entry] of issued.lines) {
      this.rank.set(lineId, this.rank.size);
      const insee = entry.line.communeInsee;
      if (communeInsee !== undefined && insee !== communeInsee) continue;
      const entries = this.issuedByCommune.get(insee) ?? new Map<string, IssuedLine>();
      entries.set(lineId, entry);
      this.issuedByCommune.set(insee, entries);
    }
  }

  /** One commune's lines, all of them: the lines of the answer, beside what was issued for each. */
  commune(communeInsee: string, lines: readonly FeeLedgerLine[]): LedgerLineView[] {
    const issuedLines = this.issuedByCommune.get(communeInsee) ?? new Map<string, IssuedLine>();
    this.issuedByCommune.delete(communeInsee);
    if (lines.length === 0 && issuedLines.size === 0) return [];
    const comparison = compareWithIssued(lines, { issues: this.issued.issues, lines: issuedLines });
    const viewLines = comparison.lines.map(({ line, issuedAmount, difference }) => ({ ...line, issuedAmount, difference }));
    const removedLines = comparison.removed.map(({ line, issuedAmount, difference }) => ({
      ...lineIdentityOf(line),
      issuedAmount,
      amountDue: '0.00' as MoneyString,
      difference,
    }));
    this.removed.push(...removedLines);
    let issuedSum = dec(0);
    for (const entry of issuedLines.values()) issuedSum = issuedSum.plus(entry.amount);
    let difference = dec(0);
    for (const line of [...viewLines, ...removedLines]) if (line.difference !== null) difference = difference.plus(line.difference);
    const totals = feeLedgerTotals(lines).byCommune[0];
    this.communes.push({
      communeInsee,
      communeName: totals?.communeName ?? [...issuedLines.values()][0].line.communeName,
      total: totals?.total ?? ('0.00' as MoneyString),
      pendingLines: totals?.pendingLines ?? 0,
      issued: this.isIssued ? toMoneyString(issuedSum) : null,
      difference: this.isIssued ? toMoneyString(difference) : null,
    });
    return viewLines;
  }

  /** The removed lines, the totals, the issues: after the last commune (a commune with issued lines only comes here). */
  finish(): LedgerViewTail {
    for (const insee of [...this.issuedByCommune.keys()]) this.commune(insee, []);
    const byCommune = this.communes.sort((a, b) => (a.communeInsee < b.communeInsee ? -1 : a.communeInsee > b.communeInsee ? 1 : 0));
    const sum = (values: (MoneyString | null)[]) => toMoneyString(values.reduce((acc: Dec, value) => acc.plus(value ?? 0), dec(0)));
    return {
      removedLines: this.removed.sort((a, b) => this.rankOf(a) - this.rankOf(b)),
      totals: {
        byCommune,
        grandTotal: sum(byCommune.map((c) => c.total)),
        pendingLines: byCommune.reduce((count, c) => count + c.pendingLines, 0),
        issued: this.isIssued ? sum(byCommune.map((c) => c.issued)) : null,
        difference: this.isIssued ? sum(byCommune.map((c) => c.difference)) : null,
      },
      issues: [...this.issued.issues],
      version: this.issued.issues.length,
    };
  }

  private rankOf(line: RemovedLineView): number {
    return this.rank.get(line.lineId) ?? 0;
  }
}

/** The whole answer at once, for lines already in memory (in the ledger's order: by commune first). */
export function ledgerView(
  year: number,
  knownAt: string,
  lines: readonly FeeLedgerLine[],
  issued: IssuedLedger,
  communeInsee?: string,
): LedgerView {
  const assembler = new LedgerViewAssembler(issued, communeInsee);
  const viewLines: LedgerLineView[] = [];
  for (let start = 0; start < lines.length;) {
    let end = start + 1;
    while (end < lines.length && lines[end].communeInsee === lines[start].communeInsee) end++;
    viewLines.push(...assembler.commune(lines[start].communeInsee, lines.slice(start, end)));
    start = end;
  }
  return { year, knownAt, lines: viewLines, ...assembler.finish() };
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
