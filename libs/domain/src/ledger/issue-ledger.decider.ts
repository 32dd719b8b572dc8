import { Decider } from '../shared/decider';
import { MoneyString } from '../shared/money';
import { FeeLedgerLine } from './ledger-lines';
import { LedgerFact } from './ledger-fact';
import { LedgerIssued } from './ledger.events';
import {
  IssuedLedger,
  compareWithIssued,
  evolveIssuedLedger,
  issueTotals,
  noIssue,
  pendingLineRefs,
  regularisationsOf,
} from './issued-ledger.state';

/** Issue the year's ledger (titres de recettes): the first time its lines, then only regularisations. */
export interface IssueLedger {
  type: 'IssueLedger';
  data: { year: number };
}

/** The ledger as computed now, from every fact up to `basedOn.position`. */
export interface IssueLedgerContext {
  readonly lines: readonly FeeLedgerLine[];
  /** The facts the lines were computed from: regularisations name those recorded since the previous issue. */
  readonly facts: readonly LedgerFact[];
  readonly basedOn: { readonly position: string; readonly at: string };
}

/**
 * The `ledger-<year>` stream. An issued amount never changes: a later issue records only the
 * differences (regularisations) between the current lines and what was issued, with the facts that
 * caused them. Pending lines are never issued: the final ones are, and the pending ones are listed
 * (Reading: one commune's missing figure does not hold up every other commune's titre). An issue with
 * nothing to issue records nothing.
 */
export const issueLedgerDecider: Decider<IssuedLedger, IssueLedger, LedgerIssued, IssueLedgerContext> = {
  initialState: noIssue,
  decide: ({ data: { year } }, state, { lines, facts, basedOn }) => {
    const pendingLines = pendingLineRefs(lines);
    const issueNumber = state.issues.length + 1;
    if (state.issues.length === 0) {
      const issued = lines.filter((line) => line.amountDue !== null);
      if (issued.length === 0) return [];
      const totals = issueTotals(issued.map((line) => ({ ...line, amount: line.amountDue as MoneyString })));
      return [
        {
          type: 'LedgerIssued',
          schemaVersion: 1,
          data: { year, issueNumber, basedOn, lines: issued, regularisations: [], pendingLines, totals },
        },
      ];
    }
    const regularisations = regularisationsOf(compareWithIssued(lines, state), state, facts);
    if (regularisations.length === 0) return [];
    const totals = issueTotals(regularisations.map((r) => ({ ...r, amount: r.difference })));
    return [
      { type: 'LedgerIssued', schemaVersion: 1, data: { year, issueNumber, basedOn, lines: [], regularisations, pendingLines, totals } },
    ];
  },
  evolve: evolveIssuedLedger,
};
