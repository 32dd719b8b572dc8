import { CalendarDate } from '../shared/calendar-date';
import { Dec, MoneyString, dec, toMoneyString } from '../shared/money';
import { FeeInputs, PendingReason } from './fee-calculator';
import { computeTarget, prorationOf } from './fee-calculators';
import { FeeSchedule, FeeScheduleKind } from './fee-schedule';
import { PopulationFigure } from './population';
import { amountDue, daysInForceIn } from './proration';
import { SyntecIndexValue, SyntecKnown, syntecKnownOnFirstJanuary } from './syntec-index';
import { AnnualAmountBasis, TransitionOutcome, TransitionParameters, transitionAmount } from './transition';

/**
 * R-FEE-8: one line per annex period in the billing year (an offer change makes two), showing how its
 * amount was obtained. The fields of API.md, plus a few that say where a figure came from. Money is a
 * string with two decimals; a field that does not apply is null. A pending line has no amounts and
 * counts in no total.
 */
export interface LedgerLine {
  readonly year: number;
  readonly communeInsee: string;
  readonly communeName: string;
  readonly serviceId: string;
  readonly offerId: string;
  readonly feeScheduleKind: FeeScheduleKind;
  /** The part of the annex period inside the year, both days included (R-TIME-3). */
  readonly inForceFrom: CalendarDate;
  readonly inForceUntil: CalendarDate;
  readonly population: number | null;
  readonly populationEffectiveDate: CalendarDate | null;
  readonly populationSource: string | null;
  /** The event that recorded the population used (R-FEE-8 "and the event it came from"). */
  readonly populationEventId: string | null;
  readonly fixed: MoneyString | null;
  /** A decimal string, at least two decimals ("0.20"). */
  readonly perInhabitant: string | null;
  /** fixed + rate × population, exact: two decimals unless a rate has more (R-FEE-7 rounds it nowhere). */
  readonly baseAmount: string | null;
  /** S(N), as recorded, and the period it is for. */
  readonly indexValue: string | null;
  readonly indexPeriod: string | null;
  /** S(base), as recorded, and the period it is for. */
  readonly baseIndexValue: string | null;
  readonly baseIndexPeriod: string | null;
  /** S(N)/S(base), not rounded (R-FEE-3): the exact quotient, or 60 significant digits when it does not terminate. */
  readonly coefficient: string | null;
  readonly targetAmount: MoneyString | null;
  /** L, when the service continues a legacy convention (R-FEE-5). */
  readonly legacyAmount: MoneyString | null;
  /** The transition's cap for year N; null before its first year and without a transition. */
  readonly capAmount: MoneyString | null;
  readonly annualAmount: MoneyString | null;
  /** Which bound gave the annual amount: the target, the transition's cap, or the legacy amount (before the transition). */
  readonly annualAmountBasis: AnnualAmountBasis | null;
  readonly daysInForce: number;
  readonly daysInYear: number;
  readonly amountDue: MoneyString | null;
  readonly status: 'final' | 'pending';
  readonly pendingReason: PendingReason | null;
  /** The year whose fact is missing: the billing year, or an earlier year the transition builds on. */
  readonly pendingYear: number | null;
}

/** An annex period of one service and offer (R-TIME-3): [from, until], `until` null while it runs. */
export interface AnnexPeriod {
  readonly serviceId: string;
  readonly offerId: string;
  readonly from: CalendarDate;
  readonly until: CalendarDate | null;
}

/** R-LEG-2 continuity: the service continues a legacy convention, so the transition R-FEE-5 applies. */
export interface LegacyContinuation {
  /** L, the contribution paid for 2025 under the legacy convention (R-LEG-1). */
  readonly annualContribution: MoneyString;
  readonly transition: TransitionParameters;
  /**
   * The schedule whose target counts for an earlier year of the chain (firstYear..N-1), by R-CAT-5.
   * Called only for those years; the billing year uses `schedule`.
   */
  readonly scheduleForYear: (year: number) => FeeSchedule;
}

export interface LedgerLineInput {
  readonly year: number;
  readonly commune: { readonly insee: string; readonly name: string };
  /** Must be in force on at least one day of `year`. */
  readonly annex: AnnexPeriod;
  /** The schedule in force for `year` (R-CAT-5). */
  readonly schedule: FeeSchedule;
  /** Every recorded population figure; R-FEE-2 picks. */
  readonly populations: readonly PopulationFigure[];
  /** Every recorded Syntec value, or the same already indexed (syntecKnown) to share across lines; R-FEE-3 picks. */
  readonly indexValues: readonly SyntecIndexValue[] | SyntecKnown;
  /** Null when the service does not continue a legacy convention: then A(N) = T(N). */
  readonly legacy: LegacyContinuation | null;
}

/** R-FEE-1..8: one ledger line, pure. */
export function computeLedgerLine({ year, commune, annex, schedule, populations, indexValues, legacy }: LedgerLineInput): LedgerLine {
  const inForce = daysInForceIn(year, annex);
  if (!inForce)
    throw new RangeError(`Annex ${annex.serviceId}/${annex.offerId} [${annex.from}, ${annex.until ?? ''}] is not in force in ${year}`);
  // A plain list is scanned at each question, as R-FEE-3 reads (the oracle of the indexed ledger).
  const syntec: SyntecKnown =
    'onFirstJanuary' in indexValues ? indexValues : { onFirstJanuary: (y) => syntecKnownOnFirstJanuary(indexValues, y) };
  const inputsFor = (y: number): FeeInputs => ({ year: y, communeInsee: commune.insee, populations, syntec });

  const target = computeTarget(schedule, inputsFor(year));
  const annual: TransitionOutcome = legacy
    ? transitionAmount(
        year,
        dec(legacy.annualContribution),
        (y) => (y === year ? target : computeTarget(legacy.scheduleForYear(y), inputsFor(y))),
        legacy.transition,
      )
    : target.status === 'final'
      ? { status: 'final', annualAmount: target.targetAmount, capAmount: null, basis: 'target' }
      : { status: 'pending', pendingReason: target.pendingReason, pendingYear: year };
  const final = annual.status === 'final' ? annual : null;

  return {
    year,
    communeInsee: commune.insee,
    communeName: commune.name,
    serviceId: annex.serviceId,
    offerId: annex.offerId,
    feeScheduleKind: schedule.kind,
    inForceFrom: inForce.from,
    inForceUntil: inForce.until,
    population: target.population?.population ?? null,
    populationEffectiveDate: target.population?.effectiveDate ?? null,
    populationSource: target.population?.source ?? null,
    populationEventId: target.population?.eventId ?? null,
    fixed: target.fixed && toMoneyString(target.fixed),
    perInhabitant: target.perInhabitant && exact(target.perInhabitant),
    baseAmount: target.baseAmount && exact(target.baseAmount),
    indexValue: target.index?.value ?? null,
    indexPeriod: target.index?.period ?? null,
    baseIndexValue: target.baseIndex?.value ?? null,
    baseIndexPeriod: target.baseIndex?.period ?? null,
    coefficient: target.coefficient && target.coefficient.toFixed(),
    targetAmount: target.targetAmount && toMoneyString(target.targetAmount),
    legacyAmount: legacy && toMoneyString(dec(legacy.annualContribution)),
    capAmount: final?.capAmount ? toMoneyString(final.capAmount) : null,
    annualAmount: final && toMoneyString(final.annualAmount),
    annualAmountBasis: final?.basis ?? null,
    daysInForce: inForce.days,
    daysInYear: inForce.daysInYear,
    amountDue: final && toMoneyString(amountDue(final.annualAmount, inForce.days, inForce.daysInYear, prorationOf(schedule))),
    status: final ? 'final' : 'pending',
    pendingReason: annual.status === 'pending' ? annual.pendingReason : null,
    pendingYear: annual.status === 'pending' ? annual.pendingYear : null,
  };
}

/** An exact decimal with at least two decimals: never rounded here (R-FEE-7). */
function exact(value: Dec): string {
  return value.decimalPlaces() <= 2 ? value.toFixed(2) : value.toFixed();
}
