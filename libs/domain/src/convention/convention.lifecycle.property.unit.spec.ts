import fc from 'fast-check';
import { CalendarDate, addDays, fromDayNumber, toDayNumber } from '../shared/calendar-date';
import { isRefusal } from '../shared/refusal';
import { fold } from '../shared/decider';
import { catalogueDecider } from '../catalogue/catalogue.decider';
import {
  CONVENTION_ID,
  addAnnex,
  catalogueOfCp2025_4074,
  changeOffer,
  notifyNonRenewal,
  stopService,
  terminateConvention,
} from '../testing';
import { ConventionCommand } from './convention.commands';
import { ConventionContext, conventionDecider } from './convention.decider';
import { ConventionEvent, ConventionRenewed } from './convention.events';
import { dueLifecycleEvents } from './convention.lifecycle';
import { ConventionState } from './convention.state';

const context: ConventionContext = { catalogue: fold(catalogueDecider, catalogueOfCp2025_4074), communeConventions: [] };

/**
 * The same date `years` later, computed independently of the code under test: Date.UTC rolls
 * 29 February over to 1 March in a common year, which is how R-CONV-3 reads "the same date".
 */
function sameDateLater(date: CalendarDate, years: number): CalendarDate {
  const [y, m, d] = date.split('-').map(Number);
  const rolled = new Date(Date.UTC(2000, m - 1, d));
  rolled.setUTCFullYear(y + years, m - 1, d);
  return rolled.toISOString().slice(0, 10) as CalendarDate;
}
const dayBefore = (date: CalendarDate) => addDays(date, -1);

const anyDate = (from: string, to: string) =>
  fc.integer({ min: toDayNumber(from as CalendarDate), max: toDayNumber(to as CalendarDate) }).map((n) => fromDayNumber(n));
/** Starts between 2020 and 2040, with 29 February drawn often. */
const startDate = fc.oneof(
  anyDate('2020-01-01', '2040-12-31'),
  fc.constantFrom(2020, 2024, 2028, 2032, 2036).map((y) => `${y}-02-29` as CalendarDate),
);

function decide(state: ConventionState, command: ConventionCommand): ConventionEvent[] {
  const decided = conventionDecider.decide(command, state, context);
  if (isRefusal(decided)) throw new Error(`${command.type} refused: ${decided.rule} ${decided.code}`);
  return decided;
}

function signedOn(start: CalendarDate, annexes = false): { state: ConventionState; events: ConventionEvent[] } {
  const events = decide(conventionDecider.initialState(), {
    type: 'SignConvention',
    data: {
      conventionId: CONVENTION_ID,
      communeInsee: '69123',
      communeName: 'Lyon',
      signedOn: start,
      effectiveFrom: start,
      annexes:
        annexes && start >= '2025-04-14'
          ? [
              { serviceId: 'toodego', offerId: 'partenaire', effectiveFrom: start },
              { serviceId: 'laclasse', offerId: 'standard', effectiveFrom: start },
            ]
          : [],
    },
  });
  return { state: fold(conventionDecider, events), events };
}

const apply = (state: ConventionState, events: ConventionEvent[]) => events.reduce(conventionDecider.evolve, state);

describe('Period arithmetic, for any start date (R-CONV-3, R-CONV-4)', () => {
  it('without notice: renewals number exactly 1..5 in order, then it expires with max_duration (R-CONV-4)', () =>
    fc.assert(
      fc.property(startDate, (start) => {
        const { state } = signedOn(start);
        const events = dueLifecycleEvents(state, sameDateLater(start, 10));
        expect(events.map((event) => (event.type === 'ConventionRenewed' ? event.data.renewalNumber : event.type))).toEqual([
          1,
          2,
          3,
          4,
          5,
          'ConventionExpired',
        ]);
        expect(events[5]).toMatchObject({ data: { reason: 'max_duration' } });
      }),
    ));

  it('each period ends the day before the same date a year later, and the next starts the day after (R-CONV-3)', () =>
    fc.assert(
      fc.property(startDate, (start) => {
        const { state } = signedOn(start);
        const ended = apply(state, dueLifecycleEvents(state, sameDateLater(start, 10)));
        if (ended.status !== 'ended') throw new Error('not ended');
        expect(ended.periods.map((period) => period.number)).toEqual([1, 2, 3, 4, 5, 6]);
        ended.periods.forEach((period, index) => {
          expect(period.end).toBe(dayBefore(sameDateLater(period.start, 1)));
          if (index > 0) expect(period.start).toBe(addDays(ended.periods[index - 1].end, 1));
        });
        expect(ended.periods[0].start).toBe(start);
        expect(ended.end.lastDay).toBe(ended.periods[5].end);
      }),
    ));

  it('a convention never lives past six years from its start (R-CONV-3)', () =>
    fc.assert(
      fc.property(startDate, anyDate('2020-01-01', '2060-12-31'), (start, asOf) => {
        const { state } = signedOn(start);
        const after = apply(state, dueLifecycleEvents(state, asOf));
        const lastKnownDay =
          after.status === 'ended' ? after.end.lastDay : after.status === 'active' ? after.periods[after.periods.length - 1].end : start;
        expect(lastKnownDay <= dayBefore(sameDateLater(start, 6))).toBe(true);
        // Exactly six years when the start is not a 29 February.
        if (!start.endsWith('-02-29') && after.status === 'ended') expect(after.end.lastDay).toBe(dayBefore(sameDateLater(start, 6)));
      }),
    ));

  it('a 29 February start ends its first period on 28 February next year (R-CONV-3)', () =>
    fc.assert(
      fc.property(fc.constantFrom(2000, 2004, 2020, 2024, 2028, 2096, 2400), (year) => {
        const { state } = signedOn(`${year}-02-29` as CalendarDate);
        if (state.status !== 'active') throw new Error('not signed');
        expect(state.periods[0].end).toBe(`${year + 1}-02-28`);
      }),
    ));

  it('running the lifecycle at increasing dates records the same as running it once at the last date (R-CONV-4)', () =>
    fc.assert(
      fc.property(
        startDate,
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 12 }),
        fc.option(fc.integer({ min: 0, max: 2150 })) /* within the six years */,
        (start, offsets, noticeOffset) => {
          let { state } = signedOn(start);
          if (noticeOffset !== null) state = apply(state, decide(state, notifyNonRenewal({ notifiedOn: addDays(start, noticeOffset) })));
          const dates = offsets.map((offset) => addDays(start, offset)).sort();
          const once = dueLifecycleEvents(state, dates[dates.length - 1]);
          let stepwise: ConventionEvent[] = [];
          let stepped = state;
          for (const asOf of dates) {
            const events = dueLifecycleEvents(stepped, asOf);
            stepwise = [...stepwise, ...events];
            stepped = apply(stepped, events);
            // Idempotent: the same date, or an earlier one, gives nothing new.
            expect(dueLifecycleEvents(stepped, asOf)).toEqual([]);
            expect(dueLifecycleEvents(stepped, dates[0])).toEqual([]);
          }
          expect(stepwise).toEqual(once);
        },
      ),
    ));

  it('a notice expires the convention at the end of the period it falls in, after renewals numbered 1..k (R-CONV-5)', () =>
    fc.assert(
      fc.property(startDate, fc.integer({ min: 0, max: 2150 }), (start, noticeOffset) => {
        const notifiedOn = addDays(start, noticeOffset);
        fc.pre(notifiedOn <= dayBefore(sameDateLater(start, 6)));
        const { state } = signedOn(start);
        const notice = decide(state, notifyNonRenewal({ notifiedOn }));
        const events = dueLifecycleEvents(apply(state, notice), sameDateLater(start, 10));
        const renewals = events.filter((event): event is ConventionRenewed => event.type === 'ConventionRenewed');
        expect(renewals.map((event) => event.data.renewalNumber)).toEqual(renewals.map((_event, index) => index + 1));
        const expiry = events[events.length - 1];
        if (expiry.type !== 'ConventionExpired') throw new Error('no expiry');
        // The period the notice falls in: the last one, which contains the notice date.
        const lastStart = renewals.length ? renewals[renewals.length - 1].data.period.start : start;
        expect(lastStart <= notifiedOn || renewals.length === 0).toBe(true);
        expect(notifiedOn <= expiry.data.lastDay).toBe(true);
        expect(expiry.data.reason).toBe(renewals.length === 5 ? 'max_duration' : 'not_renewed');
      }),
    ));

  it('termination ends everything: every annex and offer, no renewal after, every command refused (R-CONV-6, R-CONV-7, R-CONV-8)', () =>
    fc.assert(
      fc.property(
        anyDate('2025-04-14', '2040-12-31'),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 400 }),
        fc.boolean(),
        (start, lifecycleOffset, terminationOffset, withChange) => {
          let { state } = signedOn(start, true);
          state = apply(state, dueLifecycleEvents(state, addDays(start, lifecycleOffset)));
          fc.pre(state.status === 'active');
          if (state.status !== 'active') return;
          const period = state.periods[state.periods.length - 1];
          if (withChange && period.start < period.end)
            state = apply(state, decide(state, changeOffer({ offerId: 'connecte', effectiveFrom: addDays(period.start, 1) })));
          if (state.status !== 'active') return;
          const earliest = state.latestEffectiveDate;
          const effectiveOn = addDays(earliest, Math.min(terminationOffset, toDayNumber(addDays(period.end, 1)) - toDayNumber(earliest)));
          const ended = apply(state, decide(state, terminateConvention({ effectiveOn })));
          if (ended.status !== 'ended') throw new Error('not ended');
          const lastDay = addDays(effectiveOn, -1);
          expect(ended.end.lastDay).toBe(lastDay);
          for (const annex of ended.annexes) {
            expect(annex.until !== null && annex.until <= lastDay).toBe(true);
            for (const offer of annex.offers) expect(offer.until !== null && offer.until <= lastDay).toBe(true);
          }
          expect(dueLifecycleEvents(ended, sameDateLater(start, 10))).toEqual([]);
          for (const command of [
            addAnnex({ effectiveFrom: effectiveOn }),
            stopService({ effectiveOn }),
            notifyNonRenewal({ notifiedOn: effectiveOn }),
            terminateConvention({ effectiveOn }),
          ]) {
            const decided = conventionDecider.decide(command, ended, context);
            expect(isRefusal(decided) && decided.rule).toBe('R-CONV-8');
          }
        },
      ),
    ));
});
