import { Dec, dec, round2 } from '../shared/money';
import { PendingReason } from './fee-calculator';

/** R-FEE-5: the transition's parameters, set by the deliberation that decides them. */
export interface TransitionParameters {
  readonly legalReference: string;
  /** The first billing year of the transition; before it the legacy amount stands. */
  readonly firstYear: number;
  /** Largest rise over the legacy amount in the first year, a decimal string ("0.10" = 10 %). */
  readonly firstYearCap: string;
  /** Largest rise over the previous year's amount in each later year. */
  readonly laterYearsCap: string;
}

/** CP-2025-4074 §II.4: +10 % at most in 2026, then +5 % at most a year. */
export const CP_2025_4074_TRANSITION: TransitionParameters = Object.freeze({
  legalReference: 'CP-2025-4074',
  firstYear: 2026,
  firstYearCap: '0.10',
  laterYearsCap: '0.05',
});

/** What the transition needs of a year's target: its amount, or why it is not known. */
export type TargetOutcome =
  { readonly status: 'final'; readonly targetAmount: Dec } | { readonly status: 'pending'; readonly pendingReason: PendingReason };

/** Which bound gave A(N): the legacy amount (before the first year), the cap, or the target itself. */
export type AnnualAmountBasis = 'legacy' | 'cap' | 'target';

export type TransitionOutcome =
  | {
      readonly status: 'final';
      readonly annualAmount: Dec;
      /** The cap of year N; null before the first year. */
      readonly capAmount: Dec | null;
      readonly basis: AnnualAmountBasis;
    }
  | {
      readonly status: 'pending';
      readonly pendingReason: PendingReason;
      /** The year whose target is missing: N itself, or an earlier year of the chain. */
      readonly pendingYear: number;
    };

/**
 * R-FEE-5: A(N) for a service that continues a legacy convention with contribution L.
 * - N < firstYear: A(N) = L;
 * - firstYear: A = min(T, round2(L × (1 + firstYearCap)));
 * - later: A(N) = min(T(N), round2(A(N-1) × (1 + laterYearsCap))); a decrease (T(N) below the cap) is
 *   never capped, which `min` gives.
 * A(N) is built on A(N-1), hence on every target since the first year: if one of them is pending, so
 * is A(N), since no cap can be worked out without it. The year N's own pending reason is reported
 * first, as the one its line can show; otherwise the earliest missing year.
 */
export function transitionAmount(
  year: number,
  legacyAmount: Dec,
  targetOf: (year: number) => TargetOutcome,
  parameters: TransitionParameters,
): TransitionOutcome {
  if (year < parameters.firstYear) return { status: 'final', annualAmount: legacyAmount, capAmount: null, basis: 'legacy' };
  const own = targetOf(year);
  if (own.status === 'pending') return { status: 'pending', pendingReason: own.pendingReason, pendingYear: year };

  let previous = legacyAmount; // A(y-1); L before the first year
  for (let y = parameters.firstYear; ; y++) {
    const target = y === year ? own : targetOf(y);
    if (target.status === 'pending') return { status: 'pending', pendingReason: target.pendingReason, pendingYear: y };
    const rise = y === parameters.firstYear ? parameters.firstYearCap : parameters.laterYearsCap;
    const capAmount = round2(previous.times(dec(1).plus(rise)));
    const annualAmount = Dec.min(target.targetAmount, capAmount);
    if (y === year)
      return { status: 'final', annualAmount, capAmount, basis: target.targetAmount.lessThanOrEqualTo(capAmount) ? 'target' : 'cap' };
    previous = annualAmount;
  }
}
