import { CalendarDate } from '../shared/calendar-date';
import { Decider } from '../shared/decider';
import { dec, isDecimalInput } from '../shared/money';
import { Refusal, refusal } from '../shared/refusal';
import { correctionReason } from './correction';
import { RecordSyntecIndex, SyntecCommand, SyntecEvent } from './syntec.events';

export interface SyntecValue {
  readonly period: string;
  readonly value: string;
  readonly publishedOn: CalendarDate;
}

/** The value currently recorded for each period (a correction replaces it), in recording order. */
export interface SyntecState {
  readonly values: readonly SyntecValue[];
}

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

export const syntecDecider: Decider<SyntecState, SyntecCommand, SyntecEvent> = {
  initialState: () => ({ values: [] }),
  decide: (command, state) => recordIndex(command, state),
  evolve: (state, { data: { period, value, publishedOn } }) => ({
    values: [...state.values.filter((recorded) => recorded.period !== period), { period, value, publishedOn }],
  }),
};

function recordIndex({ data }: RecordSyntecIndex, state: SyntecState): SyntecEvent[] | Refusal {
  const { period, value, publishedOn } = data;
  const month = PERIOD.exec(period);
  if (!month) return refusal('R-FEE-3', 'InvalidPeriod', 'A Syntec period is a month, YYYY-MM', { period });
  if (!isDecimalInput(value) || dec(value).lte(0))
    return refusal('R-FEE-3', 'InvalidIndexValue', 'An index value is a positive decimal', { period, value });
  // A month's index can only be published once the month is over.
  const monthAfter =
    Number(month[2]) === 12 ? `${Number(month[1]) + 1}-01-01` : `${month[1]}-${String(Number(month[2]) + 1).padStart(2, '0')}-01`;
  if (publishedOn < monthAfter)
    return refusal('R-FEE-3', 'PublishedBeforePeriodEnd', `The index of ${period} is published from ${monthAfter}`, {
      period,
      publishedOn,
    });
  const recorded = state.values.find((candidate) => candidate.period === period);
  if (!recorded) return [{ type: 'SyntecIndexRecorded', schemaVersion: 1, data: { period, value, publishedOn } }];
  // The same value again (a re-run import, a retry) records nothing new.
  if (dec(recorded.value).equals(dec(value)) && recorded.publishedOn === publishedOn) return [];
  const reason = correctionReason(data.reason, { period, recordedValue: recorded.value, recordedPublishedOn: recorded.publishedOn });
  if (typeof reason !== 'string') return reason;
  return [
    {
      type: 'SyntecIndexRecorded',
      schemaVersion: 1,
      data: { period, value, publishedOn, corrects: { value: recorded.value, publishedOn: recorded.publishedOn, reason } },
    },
  ];
}
