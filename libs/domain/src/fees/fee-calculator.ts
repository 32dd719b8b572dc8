import { Dec } from '../shared/money';
import { FeeSchedule, Proration } from './fee-schedule';
import { PopulationFigure } from './population';
import { SyntecIndexValue, SyntecKnown } from './syntec-index';

/** Why a line cannot be computed yet (R-FEE-2, R-FEE-3). Such a line is shown, never counted in totals. */
export type PendingReason = 'population_missing' | 'index_missing';

/** The facts a schedule may draw on to compute the target of billing year `year`. */
export interface FeeInputs {
  readonly year: number;
  readonly communeInsee: string;
  /** Every recorded figure (any commune, any date): the strategy picks by R-FEE-2. */
  readonly populations: readonly PopulationFigure[];
  /** R-FEE-3's S(Y), from every recorded Syntec value. */
  readonly syntec: SyntecKnown;
}

/** Every intermediate value of a target (R-FEE-8); null where the schedule does not use it or the fact is missing. */
export interface TargetBreakdown {
  readonly population: PopulationFigure | null;
  readonly fixed: Dec | null;
  readonly perInhabitant: Dec | null;
  /** fixed + rate × population, exact (no rounding: R-FEE-7). */
  readonly baseAmount: Dec | null;
  /** S(N), the index known on 1 January of the billing year. */
  readonly index: SyntecIndexValue | null;
  /** S(base), the index known on 1 January of the schedule's base year. */
  readonly baseIndex: SyntecIndexValue | null;
  /** S(N) / S(base), not rounded (R-FEE-3). */
  readonly coefficient: Dec | null;
}

/** The target T(N) of one schedule for one year, before any transition (R-FEE-5) or proration (R-FEE-6). */
export type TargetComputation = TargetBreakdown &
  (
    | { readonly status: 'final'; readonly targetAmount: Dec; readonly pendingReason: null }
    | { readonly status: 'pending'; readonly targetAmount: null; readonly pendingReason: PendingReason }
  );

/**
 * R-CAT-4: one strategy per fee schedule kind. A derogating schedule is a new kind in fee-schedule.ts,
 * a new strategy file and one entry in the registry (fee-calculators.ts); the others are untouched.
 */
export interface FeeCalculator<S extends FeeSchedule = FeeSchedule> {
  readonly kind: S['kind'];
  /** T(N) with every intermediate value, or pending with the reason. */
  target(schedule: S, inputs: FeeInputs): TargetComputation;
  /** R-FEE-6: how a part year is charged. */
  proration(schedule: S): Proration;
}
