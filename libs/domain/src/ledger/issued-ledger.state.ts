import { Position, formatPosition, parsePosition } from '../shared/log-position';
import { Dec, MoneyString, dec, toMoneyString } from '../shared/money';
import { FeeLedgerLine, factBearsOn } from './ledger-lines';
import { LedgerFact, isAfter } from './ledger-fact';
import { FactRef, IssueTotals, LedgerIssued, PendingLineRef, Regularisation, lineIdentityOf } from './ledger.events';

/** What was issued for one line, over every issue of the year. */
export interface IssuedLine {
  /** The sum issued: the first amount plus every regularisation's difference. */
  readonly amount: MoneyString;
  /** The line as last issued (or as issued before it was removed). */
  readonly line: FeeLedgerLine;
  /** False once a regularisation removed it. */
  readonly present: boolean;
}

export interface IssueSummary {
  readonly issueNumber: number;
  readonly basedOn: { readonly position: string; readonly at: string };
  readonly lineCount: number;
  readonly regularisationCount: number;
  readonly pendingLineCount: number;
  readonly grandTotal: MoneyString;
}

/** A year's issues folded: the state an issue is decided on, and what the ledger shows beside the current amounts. */
export interface IssuedLedger {
  readonly issues: readonly IssueSummary[];
  readonly lines: ReadonlyMap<string, IssuedLine>;
}

export const noIssue = (): IssuedLedger => ({ issues: [], lines: new Map() });

export function evolveIssuedLedger(state: IssuedLedger, { data }: LedgerIssued): IssuedLedger {
  const lines = new Map(state.lines);
  for (const line of data.lines) lines.set(line.lineId, { amount: line.amountDue ?? ('0.00' as MoneyString), line, present: true });
  for (const regularisation of data.regularisations) {
    const line = regularisation.line ?? lines.get(regularisation.lineId)?.line;
    if (line) lines.set(regularisation.lineId, { amount: regularisation.currentAmount, line, present: regularisation.line !== null });
  }
  const summary: IssueSummary = {
    issueNumber: data.issueNumber,
    basedOn: data.basedOn,
    lineCount: data.lines.length,
    regularisationCount: data.regularisations.length,
    pendingLineCount: data.pendingLines.length,
    grandTotal: data.totals.grandTotal,
  };
  return { issues: [...state.issues, summary], lines };
}

/** The position of the facts the last issue was computed from; START-like undefined before any issue. */
export function lastIssuedPosition(state: IssuedLedger): Position | undefined {
  const last = state.issues.at(-1);
  return last ? parsePosition(last.basedOn.position) : undefined;
}

export interface ComparedLine {
  readonly line: FeeLedgerLine;
  /** The sum issued for the line (0.00 when never issued); null while the year has no issue. */
  readonly issuedAmount: MoneyString | null;
  /** amountDue − issuedAmount: what the next issue would regularise; null while pending or before any issue. */
  readonly difference: MoneyString | null;
}

/** An issued line no longer in the ledger: the next issue credits it back. */
export interface RemovedLine {
  readonly line: FeeLedgerLine;
  readonly issuedAmount: MoneyString;
  readonly difference: MoneyString;
}

export interface LedgerComparison {
  readonly lines: readonly ComparedLine[];
  readonly removed: readonly RemovedLine[];
}

/** The current lines beside what was issued (issued, current, difference). */
export function compareWithIssued(lines: readonly FeeLedgerLine[], issued: IssuedLedger): LedgerComparison {
  if (issued.issues.length === 0) return { lines: lines.map((line) => ({ line, issuedAmount: null, difference: null })), removed: [] };
  const current = new Set(lines.map((line) => line.lineId));
  return {
    lines: lines.map((line) => {
      const issuedAmount = issued.lines.get(line.lineId)?.amount ?? ('0.00' as MoneyString);
      return { line, issuedAmount, difference: line.amountDue === null ? null : minus(line.amountDue, issuedAmount) };
    }),
    removed: [...issued.lines.values()]
      .filter((entry) => entry.present && !current.has(entry.line.lineId))
      .map((entry) => ({ line: entry.line, issuedAmount: entry.amount, difference: minus('0.00', entry.amount) })),
  };
}

/**
 * The regularisations a new issue records: every final line whose amount differs from what was
 * issued, or that was not issued (new, or pending before), and every issued line that is gone. A
 * pending line is never issued, nor regularised while pending. Causes: the facts recorded since the
 * previous issue that bear on the line.
 */
export function regularisationsOf(comparison: LedgerComparison, issued: IssuedLedger, facts: readonly LedgerFact[]): Regularisation[] {
  const since = lastIssuedPosition(issued);
  const causesOf = (line: FeeLedgerLine): FactRef[] =>
    facts.filter((fact) => (!since || isAfter(fact, since)) && factBearsOn(fact, line)).map(factRef);
  const regularisations: Regularisation[] = [];
  for (const { line, issuedAmount } of comparison.lines) {
    if (line.amountDue === null || issuedAmount === null) continue;
    const entry = issued.lines.get(line.lineId);
    const isNew = !entry || !entry.present;
    if (!isNew && dec(line.amountDue).equals(issuedAmount)) continue;
    regularisations.push({
      ...lineIdentityOf(line),
      issuedAmount,
      currentAmount: line.amountDue,
      difference: minus(line.amountDue, issuedAmount),
      reason: isNew ? 'line_added' : 'amount_changed',
      causes: causesOf(line),
      line,
    });
  }
  for (const { line, issuedAmount, difference } of comparison.removed) {
    regularisations.push({
      ...lineIdentityOf(line),
      issuedAmount,
      currentAmount: '0.00' as MoneyString,
      difference,
      reason: 'line_removed',
      causes: causesOf(line),
      line: null,
    });
  }
  return regularisations;
}

export function pendingLineRefs(lines: readonly FeeLedgerLine[]): PendingLineRef[] {
  return lines
    .filter((line) => line.pendingReason !== null)
    .map(({ lineId, communeInsee, serviceId, offerId, pendingReason, pendingYear }) => ({
      lineId,
      communeInsee,
      serviceId,
      offerId,
      pendingReason: pendingReason!,
      pendingYear,
    }));
}

/** What an issue bills per commune and in all: amounts of lines, or differences of regularisations. */
export function issueTotals(entries: readonly { communeInsee: string; communeName: string; amount: MoneyString }[]): IssueTotals {
  const byCommune = new Map<string, { communeName: string; amount: Dec; entries: number }>();
  for (const entry of entries) {
    const commune = byCommune.get(entry.communeInsee) ?? { communeName: entry.communeName, amount: dec(0), entries: 0 };
    byCommune.set(entry.communeInsee, {
      communeName: commune.communeName,
      amount: commune.amount.plus(entry.amount),
      entries: commune.entries + 1,
    });
  }
  const sorted = [...byCommune.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    byCommune: sorted.map(([communeInsee, { communeName, amount, entries: count }]) => ({
      communeInsee,
      communeName,
      amount: toMoneyString(amount),
      entries: count,
    })),
    grandTotal: toMoneyString(sorted.reduce((sum, [, { amount }]) => sum.plus(amount), dec(0))),
  };
}

function factRef(fact: LedgerFact): FactRef {
  return {
    eventId: fact.eventId,
    type: fact.type,
    position: formatPosition(fact.position),
    recordedAt: fact.recordedAt,
    reason: fact.reason,
  };
}

/** Differences of amounts already to the cent: exact, nothing to round (R-FEE-7). */
function minus(a: string, b: string): MoneyString {
  return toMoneyString(dec(a).minus(b));
}
