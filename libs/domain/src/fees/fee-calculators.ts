import { FeeCalculator, FeeInputs, TargetComputation } from './fee-calculator';
import { FeeSchedule, FeeScheduleKind, Proration } from './fee-schedule';
import { fixedPlusPerInhabitantCalculator } from './fixed-plus-per-inhabitant.schedule';
import { freeCalculator } from './free.schedule';

/** R-CAT-4: the registry, keyed by kind. A kind missing here is a compile error. */
export const feeCalculators: { readonly [K in FeeScheduleKind]: FeeCalculator<Extract<FeeSchedule, { kind: K }>> } = {
  free: freeCalculator,
  fixed_plus_per_inhabitant: fixedPlusPerInhabitantCalculator,
};

export function calculatorFor<S extends FeeSchedule>(schedule: S): FeeCalculator<S> {
  // The mapped type above pairs each kind with its own strategy; TypeScript cannot follow that through an index.
  return feeCalculators[schedule.kind] as unknown as FeeCalculator<S>;
}

/** T(N) for any schedule (R-FEE-1..4). */
export function computeTarget(schedule: FeeSchedule, inputs: FeeInputs): TargetComputation {
  return calculatorFor(schedule).target(schedule, inputs);
}

export function prorationOf(schedule: FeeSchedule): Proration {
  return calculatorFor(schedule).proration(schedule);
}
