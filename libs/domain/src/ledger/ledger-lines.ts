import { CatalogueEvent, CatalogueState, emptyCatalogue, evolveCatalogue, isCatalogueEvent, scheduleFor } from '../catalogue';
import {
  ConventionEvent,
  ConventionState,
  MAX_PERIODS,
  currentPeriod,
  evolveConvention,
  isConventionEvent,
  nextPeriod,
  noConvention,
} from '../convention';
import type { StoredEvent, StoredEventType } from '../domain-events';
import {
  CP_2025_4074_TRANSITION,
  FeeSchedule,
  LedgerLine,
  LegacyContinuation,
  PendingReason,
  PopulationFigure,
  SyntecIndexValue,
  SyntecKnown,
  computeLedgerLine,
  daysInForceIn,
  ledgerTotals,
  syntecKnown,
} from '../fees';
import {
  LEGACY_CONTRIBUTION_YEAR,
  LegacyConventionRecorded,
  PopulationRecorded,
  SyntecIndexRecorded,
  legacyContinuity,
} from '../reference';
import { CalendarDate } from '../shared/calendar-date';
import { MoneyString } from '../shared/money';
import { LedgerFact } from './ledger-fact';

/**
 * Why a line waits. Beyond the calculator's reasons (R-FEE-2, R-FEE-3): `legacy_amount_missing`, the
 * service continues a legacy convention (R-LEG-2) whose 2025 contribution L is not recorded, so the
 * transition's cap (R-FEE-5) cannot be worked out. Reading: the line waits rather than be billed the
 * full target, which would overbill a commune the transition protects.
 */
export type LedgerPendingReason = PendingReason | 'legacy_amount_missing';

/**
 * A ledger line (R-FEE-8, computed by the domain's computeLedgerLine), with what identifies it across
 * recomputations and issues: the convention and the first day of the annex period in the year.
 */
export interface FeeLedgerLine extends Omit<LedgerLine, 'pendingReason'> {
  /** `<conventionId>/<serviceId>/<offerId>/<inForceFrom>`: the same annex period gives the same id. */
  readonly lineId: string;
  readonly conventionId: string;
  readonly pendingReason: LedgerPendingReason | null;
}

/** The facts folded, as known at one instant or position. */
export interface LedgerFactsState {
  readonly conventions: ReadonlyMap<string, ConventionState>;
  readonly catalogue: CatalogueState;
  readonly populations: readonly PopulationFigure[];
  readonly indexValues: readonly SyntecIndexValue[];
  /** The legacy convention last recorded per `<insee>/<serviceId>` (R-LEG-1). */
  readonly legacy: ReadonlyMap<string, LegacyConventionRecorded['data']>;
  /**
   * The same facts indexed once per commune, so that a line reads only its commune's: scanning every
   * population and every convention for each line made a national year quadratic.
   */
  readonly communes: ReadonlyMap<string, CommuneFacts>;
}

/** One commune's facts, each list in the order of the whole (R-FEE-2 and R-LEG-2 break ties by it). */
export interface CommuneFacts {
  readonly conventions: readonly KnownConvention[];
  readonly populations: readonly PopulationFigure[];
}

/** Folds the facts (in global order) with the domain's own evolvers: one meaning of each event. */
export function foldLedgerFacts(facts: readonly LedgerFact[]): LedgerFactsState {
  const conventions = new Map<string, ConventionState>();
  let catalogue = emptyCatalogue();
  const populations: PopulationFigure[] = [];
  const indexValues: SyntecIndexValue[] = [];
  const legacy = new Map<string, LegacyConventionRecorded['data']>();
  facts.forEach((fact, sequence) => {
    if (isConventionEvent(fact)) {
      const event = { type: fact.type, schemaVersion: 1, data: fact.data } as unknown as ConventionEvent;
      const id = event.data.conventionId;
      conventions.set(id, evolveConvention(conventions.get(id) ?? noConvention(), event));
    } else if (isCatalogueEvent(fact)) {
      catalogue = evolveCatalogue(catalogue, { type: fact.type, schemaVersion: 1, data: fact.data } as unknown as CatalogueEvent);
    } else if (fact.type === 'PopulationRecorded') {
      const { communeInsee, population, effectiveDate, source } = fact.data as PopulationRecorded['data'];
      populations.push({ communeInsee, population, effectiveDate, source, sequence, eventId: fact.eventId });
    } else if (fact.type === 'SyntecIndexRecorded') {
      const { period, value, publishedOn } = fact.data as SyntecIndexRecorded['data'];
      indexValues.push({ period, value, publishedOn, sequence, eventId: fact.eventId });
    } else if (fact.type === 'LegacyConventionRecorded') {
      const data = fact.data as LegacyConventionRecorded['data'];
      legacy.set(`${data.communeInsee}/${data.serviceId}`, data);
    }
  });
  return { conventions, catalogue, populations, indexValues, legacy, communes: byCommune(conventions, populations) };
}

function byCommune(conventions: ReadonlyMap<string, ConventionState>, populations: readonly PopulationFigure[]): Map<string, CommuneFacts> {
  const communes = new Map<string, { conventions: KnownConvention[]; populations: PopulationFigure[] }>();
  const of = (insee: string) => {
    let facts = communes.get(insee);
    if (!facts) communes.set(insee, (facts = { conventions: [], populations: [] }));
    return facts;
  };
  for (const convention of conventions.values()) if (convention.status !== 'none') of(convention.communeInsee).conventions.push(convention);
  for (const figure of populations) of(figure.communeInsee).populations.push(figure);
  return communes;
}

type KnownConvention = Exclude<ConventionState, { status: 'none' }>;

/** What a line reads: its commune's conventions and population figures, and the Syntec values. */
type LineFacts = CommuneFacts & { readonly indexValues: readonly SyntecIndexValue[] | SyntecKnown };

const NO_FACTS: CommuneFacts = { conventions: [], populations: [] };

/**
 * R-FEE-1, R-FEE-8: the ledger lines of billing year `year`, one per annex period and offer in force on
 * at least one day of it (an offer change makes two lines), ordered by commune, service and date.
 */
export function computeLedgerLines(year: number, state: LedgerFactsState, communeInsee?: string): FeeLedgerLine[] {
  const communeFacts = (insee: string) => state.communes.get(insee) ?? NO_FACTS;
  const conventions = communeInsee === undefined ? knownConventions(state) : communeFacts(communeInsee).conventions;
  const indexValues = syntecKnown(state.indexValues); // shared by every line: each asks the same few years
  return linesOf(year, state, conventions, (insee) => ({ ...communeFacts(insee), indexValues }));
}

/**
 * The facts about every commune (catalogue, Syntec values) folded once, so that a year can be computed
 * commune by commune (computeCommuneLedgerLines) without holding every commune's facts at once: what a
 * national ledger streams, and what the materialised lines are computed from.
 */
export interface SharedLedgerFacts {
  readonly catalogue: CatalogueState;
  readonly indexValues: readonly SyntecIndexValue[];
  /** S(Y) worked out once per year for every commune's lines. */
  readonly syntec: SyntecKnown;
}

/** Folds the facts about every commune (any commune's fact among them is ignored). */
export function foldSharedLedgerFacts(facts: readonly LedgerFact[]): SharedLedgerFacts {
  const { catalogue, indexValues } = foldLedgerFacts(facts);
  return { catalogue, indexValues, syntec: syntecKnown(indexValues) };
}

/**
 * One commune's lines of `year` from the shared facts and the commune's own facts (in global order):
 * the lines computeLedgerLines(year, foldLedgerFacts(every fact), communeInsee) gives, since a line
 * reads only its commune's conventions, populations and legacy conventions beside the shared facts
 * (the property test in ledger-lines.by-commune.unit.spec.ts holds it to that).
 */
export function computeCommuneLedgerLines(
  year: number,
  shared: SharedLedgerFacts,
  communeFacts: readonly LedgerFact[],
  communeInsee: string,
): FeeLedgerLine[] {
  const own = foldLedgerFacts(communeFacts);
  const state: LedgerFactsState = { ...own, catalogue: shared.catalogue, indexValues: shared.indexValues };
  const facts = own.communes.get(communeInsee) ?? NO_FACTS;
  return linesOf(year, state, facts.conventions, (insee) => ({ ...(own.communes.get(insee) ?? NO_FACTS), indexValues: shared.syntec }));
}

/**
 * computeLedgerLines without the indexes: every line scans every population figure, every convention
 * and every Syntec value. Kept as the oracle the property test checks computeLedgerLines against.
 */
export function computeLedgerLinesByScan(year: number, state: LedgerFactsState, communeInsee?: string): FeeLedgerLine[] {
  const known = knownConventions(state);
  const everything: LineFacts = { conventions: known, populations: state.populations, indexValues: state.indexValues };
  return linesOf(
    year,
    state,
    known.filter((c) => communeInsee === undefined || c.communeInsee === communeInsee),
    () => everything,
  );
}

function knownConventions(state: LedgerFactsState): KnownConvention[] {
  return [...state.conventions.values()].filter((c): c is KnownConvention => c.status !== 'none');
}

function linesOf(
  year: number,
  state: LedgerFactsState,
  conventions: readonly KnownConvention[],
  factsOf: (communeInsee: string) => LineFacts,
): FeeLedgerLine[] {
  const lines: FeeLedgerLine[] = [];
  for (const convention of conventions) {
    const facts = factsOf(convention.communeInsee);
    const lastDay = foreseeableLastDay(convention);
    for (const annex of convention.annexes) {
      for (const offer of annex.offers) {
        const until = offer.until ?? lastDay;
        if (until < offer.from || !daysInForceIn(year, { from: offer.from, until })) continue;
        const schedule = scheduleFor(state.catalogue, annex.serviceId, offer.offerId, year)?.feeSchedule;
        // Unreachable through the commands: an annex names an offer of the catalogue, from its entry on (R-ANX-1).
        if (!schedule) throw new Error(`No fee schedule for ${annex.serviceId}/${offer.offerId} in ${year}`);
        const continuing = continuesLegacy(state, facts.conventions, convention, annex.serviceId, annex.from);
        const input = {
          year,
          commune: { insee: convention.communeInsee, name: convention.communeName },
          annex: { serviceId: annex.serviceId, offerId: offer.offerId, from: offer.from, until },
          schedule,
          populations: facts.populations,
          indexValues: facts.indexValues,
        };
        const identity = { conventionId: convention.conventionId };
        if (continuing === null) {
          lines.push(withIdentity(computeLedgerLine({ ...input, legacy: null }), identity));
        } else if (continuing.annualContribution === null) {
          lines.push(legacyAmountMissing(withIdentity(computeLedgerLine({ ...input, legacy: null }), identity)));
        } else {
          const legacy: LegacyContinuation = {
            annualContribution: continuing.annualContribution,
            transition: CP_2025_4074_TRANSITION,
            // The chain of earlier years (R-FEE-5) uses the schedule in force each year (R-CAT-5), for the line's offer.
            scheduleForYear: (y: number): FeeSchedule =>
              scheduleFor(state.catalogue, annex.serviceId, offer.offerId, y)?.feeSchedule ?? schedule,
          };
          lines.push(withIdentity(computeLedgerLine({ ...input, legacy }), identity));
        }
      }
    }
  }
  return lines.sort(byCommuneServiceDate);
}

/**
 * Reading: an annex still running in an active convention is in force until the convention's
 * foreseeable last day: the end of the period a non-renewal applies to (R-CONV-5), else the end of
 * the sixth year (R-CONV-3, R-CONV-4: tacit renewals are the default). Ended conventions have closed
 * their annexes already (R-CONV-7).
 */
export function foreseeableLastDay(convention: KnownConvention): CalendarDate {
  if (convention.status === 'ended') return convention.end.lastDay;
  if (convention.nonRenewal) return convention.nonRenewal.appliesToPeriod.end;
  let period = currentPeriod(convention);
  while (period.number < MAX_PERIODS) period = nextPeriod(period);
  return period.end;
}

/**
 * R-FEE-5 applies to the annex period that continues a legacy convention: the one legacyContinuity
 * (R-LEG-2, decided there only) names, with all its offers. A later annex period of the service is a
 * new subscription (R-LEG-3). `annualContribution` null: L is not recorded yet.
 */
function continuesLegacy(
  state: LedgerFactsState,
  conventions: readonly KnownConvention[],
  convention: KnownConvention,
  serviceId: string,
  annexFrom: CalendarDate,
): { annualContribution: MoneyString | null } | null {
  const legacy = state.legacy.get(`${convention.communeInsee}/${serviceId}`);
  if (!legacy) return null;
  const continuity = legacyContinuity(legacy, conventions);
  if (!continuity.continuity || continuity.conventionId !== convention.conventionId || continuity.annexFrom !== annexFrom) return null;
  return { annualContribution: legacy.annualContribution };
}

function withIdentity(line: LedgerLine, { conventionId }: { conventionId: string }): FeeLedgerLine {
  return { ...line, conventionId, lineId: `${conventionId}/${line.serviceId}/${line.offerId}/${line.inForceFrom}` };
}

/** The target and its figures are shown; no amount is, since A(N) depends on L (R-FEE-5). */
function legacyAmountMissing(line: FeeLedgerLine): FeeLedgerLine {
  if (line.status === 'pending') return line; // population or index first: the facts of the earlier rules
  return {
    ...line,
    capAmount: null,
    annualAmount: null,
    annualAmountBasis: null,
    amountDue: null,
    status: 'pending',
    pendingReason: 'legacy_amount_missing',
    pendingYear: LEGACY_CONTRIBUTION_YEAR,
  };
}

function byCommuneServiceDate(a: FeeLedgerLine, b: FeeLedgerLine): number {
  const keyA = [a.communeInsee, a.serviceId, a.inForceFrom, a.offerId, a.conventionId];
  const keyB = [b.communeInsee, b.serviceId, b.inForceFrom, b.offerId, b.conventionId];
  for (let i = 0; i < keyA.length; i++) if (keyA[i] !== keyB[i]) return keyA[i] < keyB[i] ? -1 : 1;
  return 0;
}

/** R-FEE-8 totals by the domain's ledgerTotals; its line type only knows the calculator's pending reasons. */
export function feeLedgerTotals(lines: readonly FeeLedgerLine[]) {
  return ledgerTotals(lines.map((line) => ({ ...line, pendingReason: null })));
}

/**
 * Whether a fact can change the line of billing year `year` (used to name the facts behind a
 * regularisation): its convention's events, its commune's populations in force by (N-1)-12-31
 * (R-FEE-2), Syntec values published by N-01-01 (R-FEE-3), its legacy convention, its service's
 * catalogue decisions. Earlier years count too: the transition builds A(N) on them (R-FEE-5).
 */
export function factBearsOn(fact: LedgerFact, line: LineKey): boolean {
  if (!Object.hasOwn(BEARS_ON, fact.type)) return false;
  const bears = BEARS_ON[fact.type as StoredEventType] as ((data: unknown, line: LineKey) => boolean) | null;
  return bears !== null && bears(fact.data, line);
}

type LineKey = Pick<FeeLedgerLine, 'year' | 'communeInsee' | 'conventionId' | 'serviceId' | 'offerId'>;
type BearsOn<E> = ((data: E, line: LineKey) => boolean) | null;

const sameConvention = (data: { conventionId: string }, line: LineKey) => data.conventionId === line.conventionId;

/**
 * For every stored event type: null when it is not a ledger fact, else whether a fact of that type bears
 * on a line. Complete by construction: a new event type does not compile until it is placed here.
 */
const BEARS_ON: { readonly [K in StoredEventType]: BearsOn<Extract<StoredEvent, { type: K }>['data']> } = {
  ConventionSigned: sameConvention,
  AnnexAdded: sameConvention,
  ServiceStopped: sameConvention,
  OfferChanged: sameConvention,
  NonRenewalNotified: sameConvention,
  ConventionTerminated: sameConvention,
  ConventionRenewed: sameConvention,
  ConventionExpired: sameConvention,
  PopulationRecorded: (data, line) => data.communeInsee === line.communeInsee && String(data.effectiveDate) <= `${line.year - 1}-12-31`,
  LegacyConventionRecorded: (data, line) => data.communeInsee === line.communeInsee && data.serviceId === line.serviceId,
  // The end of a legacy access changes who may use a service, not what a convention's line costs.
  LegacyAccessEnded: null,
  SyntecIndexRecorded: (data, line) => {
    const firstJanuary = `${line.year}-01-01`;
    return String(data.publishedOn) <= firstJanuary || (data.corrects !== undefined && String(data.corrects.publishedOn) <= firstJanuary);
  },
  ServiceEnteredCatalogue: (data, line) => data.serviceId === line.serviceId,
  // Opening an offer lets annexes take it; the lines come from those annexes' own events.
  OfferOpened: () => false,
  FeeScheduleReplaced: (data, line) =>
    data.serviceId === line.serviceId && data.offerId === line.offerId && Number(data.fromYear) <= line.year,
  LedgerIssued: () => false,
};

/** The event types a ledger is computed from (the fee-ledger read model stores these). */
export const LEDGER_FACT_TYPES: readonly StoredEventType[] = (Object.keys(BEARS_ON) as StoredEventType[]).filter(
  (type) => BEARS_ON[type] !== null,
);
