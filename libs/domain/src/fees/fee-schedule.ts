import { MoneyString } from '../shared/money';

/**
 * R-CAT-4: a fee schedule is one of a closed set of kinds, each computed by its own strategy
 * (see fee-calculator.ts). A derogating schedule (§II.3, last paragraph) is one more member here and
 * one more strategy, without touching the others.
 */
export type FeeSchedule = FreeSchedule | FixedPlusPerInhabitantSchedule;

/** §II.3: no specific development, access without charge. */
export interface FreeSchedule {
  kind: 'free';
}

export interface FixedPlusPerInhabitantSchedule {
  kind: 'fixed_plus_per_inhabitant';
  /** Euros per year, two decimals. */
  fixed: MoneyString;
  /** Euros per inhabitant per year, a decimal string (e.g. "0.20"). */
  perInhabitant: string;
  /** The year whose Syntec index the amounts are expressed in (2025 for CP-2025-4074). */
  baseYear: number;
  indexation: 'syntec';
  /** R-FEE-6: `prorata_days` (the default) or `none` (the full annual amount for any year touched). */
  proration?: Proration;
}

/** R-FEE-6: how the annual amount is cut for an annex in force for only part of the year. */
export type Proration = 'prorata_days' | 'none';

export type FeeScheduleKind = FeeSchedule['kind'];
