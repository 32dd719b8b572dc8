import { EventTypeNames } from '../shared/event-type-names';
import { MoneyString } from '../shared/money';
import { FeeLedgerLine, LedgerPendingReason } from './ledger-lines';

/** One stream per billing year, `ledger-<year>`: its issues, in order. */
export const ledgerStreamId = (year: number): string => `ledger-${year}`;
export const LEDGER_STREAM_PREFIX = 'ledger-';

export const LedgerEventType = { LedgerIssued: 'LedgerIssued' } as const satisfies EventTypeNames<LedgerEvent>;

/** A fact behind a regularisation: the event, where it stands, when and why it was recorded. */
export interface FactRef {
  eventId: string;
  type: string;
  position: string;
  recordedAt: string;
  reason: string | null;
}

/**
 * `line_added`: no amount of this line was issued yet (a new annex period, a line pending at the
 * previous issue); `line_removed`: an issued line is no longer in the ledger (a stop or termination
 * recorded late); `amount_changed`: a fact recorded since changed its amount.
 */
export type RegularisationReason = 'line_added' | 'line_removed' | 'amount_changed';

/** Which line: the fields that name a ledger line (R-FEE-8), wherever a line is referred to. */
export interface LedgerLineIdentity {
  lineId: string;
  conventionId: string;
  communeInsee: string;
  communeName: string;
  serviceId: string;
  offerId: string;
  inForceFrom: string;
  inForceUntil: string;
}

export function lineIdentityOf(line: LedgerLineIdentity): LedgerLineIdentity {
  const { lineId, conventionId, communeInsee, communeName, serviceId, offerId, inForceFrom, inForceUntil } = line;
  return { lineId, conventionId, communeInsee, communeName, serviceId, offerId, inForceFrom, inForceUntil };
}

/** What one issue changes on one line: issued so far, current, the difference billed (or credited) now. */
export interface Regularisation extends LedgerLineIdentity {
  /** The sum issued for this line before this issue. */
  issuedAmount: MoneyString;
  /** The amount due now; 0.00 for a removed line. */
  currentAmount: MoneyString;
  /** currentAmount − issuedAmount: positive is billed, negative credited. */
  difference: MoneyString;
  reason: RegularisationReason;
  /** The facts recorded since the previous issue that bear on the line. */
  causes: FactRef[];
  /** The line as computed now, every figure of R-FEE-8; null when removed. */
  line: FeeLedgerLine | null;
}

/** A line left out of an issue: pending lines are never issued. */
export interface PendingLineRef {
  lineId: string;
  communeInsee: string;
  serviceId: string;
  offerId: string;
  pendingReason: LedgerPendingReason;
  pendingYear: number | null;
}

export interface IssueTotals {
  /** What this issue bills per commune: its lines' amounts due, or its regularisations' differences. */
  byCommune: { communeInsee: string; communeName: string; amount: MoneyString; entries: number }[];
  grandTotal: MoneyString;
}

/**
 * The year's ledger issued (titres de recettes). The first issue holds every final line; each later
 * one only regularisations. An issued amount never changes: a later issue adds differences.
 */
export interface LedgerIssued {
  type: 'LedgerIssued';
  schemaVersion: 1;
  data: {
    year: number;
    /** 1 for the first issue of the year. */
    issueNumber: number;
    /** The facts the ledger was computed from: every event up to `position` (exact); `at`, the instant of the computation. */
    basedOn: { position: string; at: string };
    /** First issue: the final lines, each with every figure of R-FEE-8. Later issues: none. */
    lines: FeeLedgerLine[];
    /** Later issues: each line whose amount differs from what was issued, or new, or gone. */
    regularisations: Regularisation[];
    /** Lines not issued because they are pending, with why. */
    pendingLines: PendingLineRef[];
    totals: IssueTotals;
  };
}

export type LedgerEvent = LedgerIssued;
