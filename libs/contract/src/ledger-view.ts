import type { FeeLedgerLine, IssueSummary, LedgerLineIdentity } from '@lib/domain/ledger';
import type { MoneyString } from '@lib/domain/shared/money';

/*
 * The answers of GET /api/ledgers/{year} and GET /api/communes/{insee}/ledgers/{year} (API.md), as the
 * API sends them and the CLI reads them.
 */

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
