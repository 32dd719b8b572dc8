import { dec, round2 } from '../shared/money';
import type { FeeCalculator, FeeInputs, TargetComputation } from './fee-calculator';
import { FixedPlusPerInhabitantSchedule } from './fee-schedule';
import { populationForYear } from './population';

/** R-CAT-4 `fixed_plus_per_inhabitant` with Syntec indexation: R-FEE-1..4. */
export const fixedPlusPerInhabitantCalculator: FeeCalculator<FixedPlusPerInhabitantSchedule> = {
  kind: 'fixed_plus_per_inhabitant',
  target: targetOf,
  proration: (schedule) => schedule.proration ?? 'prorata_days',
};

function targetOf(schedule: FixedPlusPerInhabitantSchedule, { year, communeInsee, populations, syntec }: FeeInputs): TargetComputation {
  const fixed = dec(schedule.fixed);
  const perInhabitant = dec(schedule.perInhabitant);
  const population = populationForYear(populations, communeInsee, year) ?? null; // R-FEE-2
  const index = syntec.onFirstJanuary(year) ?? null; // R-FEE-3: S(N)
  const baseIndex = syntec.onFirstJanuary(schedule.baseYear) ?? null; // S(base)
  // R-FEE-1: fixed + rate × population, exact.
  const baseAmount = population ? fixed.plus(perInhabitant.times(population.population)) : null;
  const coefficient = index && baseIndex ? dec(index.value).dividedBy(baseIndex.value) : null;
  const known = { population, fixed, perInhabitant, baseAmount, index, baseIndex, coefficient };

  // Population first: when both are missing, the line names the fact of the earlier rule.
  if (!baseAmount) return { ...known, status: 'pending', targetAmount: null, pendingReason: 'population_missing' };
  if (!index || !baseIndex) return { ...known, status: 'pending', targetAmount: null, pendingReason: 'index_missing' };
  // R-FEE-4: T(N) = round2(base × S(N) / S(base)); one division, so the only inexact step is at the
  // 60-digit working precision, far below the cent.
  const targetAmount = round2(baseAmount.times(index.value).dividedBy(baseIndex.value));
  return { ...known, status: 'final', targetAmount, pendingReason: null };
}
