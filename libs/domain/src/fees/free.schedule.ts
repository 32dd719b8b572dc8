import { dec } from '../shared/money';
import type { FeeCalculator, TargetComputation } from './fee-calculator';
import { FreeSchedule } from './fee-schedule';

const ZERO: TargetComputation = {
  status: 'final',
  targetAmount: dec(0),
  pendingReason: null,
  population: null,
  fixed: null,
  perInhabitant: null,
  baseAmount: null,
  index: null,
  baseIndex: null,
  coefficient: null,
};

/**
 * R-CAT-4 `free` (§II.3) and R-FEE-1: the line appears with 0.00. It draws on no population and no
 * index, so it is never pending for want of them.
 */
export const freeCalculator: FeeCalculator<FreeSchedule> = {
  kind: 'free',
  target: () => ZERO,
  proration: () => 'prorata_days',
};
