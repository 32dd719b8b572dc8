import { Position, comparePositions } from '../shared/log-position';

/**
 * A fact the fee ledger is computed from (a convention, catalogue, population, Syntec or legacy event,
 * or an issue of a ledger), with when it was recorded and where it stands in the global order. The
 * ledger is not stored: it is computed when asked from the facts recorded up to the instant asked
 * (R-TIME-1), so "as known at K" is exact for any K.
 */
export interface LedgerFact {
  readonly eventId: string;
  readonly position: Position;
  /** ISO 8601 UTC instant set by the store. */
  readonly recordedAt: string;
  readonly streamId: string;
  readonly type: string;
  /** The event's data in its current shape (upcast on read). */
  readonly data: Record<string, unknown>;
  /** Why it was recorded: a correction's own reason, else the command's reason (R-TIME-2, R-AUD-1). */
  readonly reason: string | null;
}

export const isAfter = (fact: LedgerFact, position: Position): boolean => comparePositions(fact.position, position) > 0;
