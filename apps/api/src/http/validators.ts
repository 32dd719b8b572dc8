import { ValidateBy, ValidationOptions } from 'class-validator';
import { CalendarDate, isCalendarDate } from '@lib/domain/shared/calendar-date';
import { isDecimalInput, isMoneyInput } from '@lib/domain/shared/money';

/** Validators of this API's value formats (API.md); each names the rule a bad value breaks. */

export const INSEE_FORMAT = /^(?:[0-9]{5}|2[AB][0-9]{3})$/;

/**
 * Business dates the API accepts: real calendar dates (R-TIME-1) in years 1900..2999. The bound keeps
 * every date the domain derives (periods, six years of renewals) at four-digit years, where YYYY-MM-DD
 * strings compare in calendar order; a date such as 9999-06-01 would otherwise end its periods in 10000.
 */
export function isApiDate(value: unknown): value is CalendarDate {
  return isCalendarDate(value) && value >= '1900-01-01' && value <= '2999-12-31';
}

export function IsCalendarDate(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCalendarDate',
      validator: {
        validate: (value) => isApiDate(value),
        defaultMessage: () => '$property must be a real calendar date YYYY-MM-DD (years 1900 to 2999)',
      },
    },
    { ...options, context: { rule: 'R-TIME-1' } },
  );
}

export function IsInsee(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInsee',
      validator: {
        validate: (value) => typeof value === 'string' && INSEE_FORMAT.test(value),
        defaultMessage: () => '$property must be a 5-character INSEE code such as 69123 or 2A004',
      },
    },
    options,
  );
}

export function IsMoney(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isMoney',
      validator: {
        validate: (value) => isMoneyInput(value),
        defaultMessage: () => '$property must be a non-negative amount in euros as a string, at most two decimals ("90000.00")',
      },
    },
    options,
  );
}

export function IsDecimalString(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDecimalString',
      validator: {
        validate: (value) => isDecimalInput(value),
        defaultMessage: () => '$property must be a non-negative decimal number as a string ("306.0")',
      },
    },
    options,
  );
}

export function IsYearMonth(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isYearMonth',
      validator: {
        validate: (value) => typeof value === 'string' && /^\d{4}-(0[1-9]|1[0-2])$/.test(value),
        defaultMessage: () => '$property must be a month YYYY-MM',
      },
    },
    options,
  );
}

/** Ids of services and offers: lower-case words, as the catalogue writes them ("toodego", "partenaire"). */
export const CATALOGUE_ID = /^[a-z][a-z0-9_-]{0,39}$/;

/**
 * For arrays of nested objects (annexes, offers). ValidateNested({ each: true }) names an element that
 * is not an object (`annexes[0]`), but recurses into one that is an array, so `[[]]` and `[[{…}]]`
 * pass as if they were objects and reach the handler.
 */
export function NoNestedArrays(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'noNestedArrays',
      validator: {
        validate: (value) => !Array.isArray(value) || !value.some((item) => Array.isArray(item)),
        defaultMessage: (args) => {
          const indexes = Array.isArray(args?.value)
            ? args.value.flatMap((item: unknown, index: number) => (Array.isArray(item) ? [index] : []))
            : [];
          return `${indexes.map((index) => `${args?.property}[${index}]`).join(', ')} must be an object, not an array`;
        },
      },
    },
    options,
  );
}
