import Decimal from 'decimal.js';

/**
 * Money is exact decimal arithmetic (decimal.js) inside, and a string with two decimals on the wire
 * and in events ("109450.00"). All amounts are euros.
 */
export type MoneyString = string & { readonly __brand: 'MoneyString' };

/** A clone of Decimal with enough precision that no intermediate product is ever rounded. */
export const Dec = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP });
export type Dec = Decimal;

/** A non-negative decimal with at most two decimals, as accepted from clients ("90000", "90000.5", "90000.50"). */
const MONEY_INPUT = /^\d{1,13}(\.\d{1,2})?$/;
/** A non-negative decimal (rates, index values), as accepted from clients. */
const DECIMAL_INPUT = /^\d{1,13}(\.\d{1,10})?$/;

export function isMoneyInput(text: unknown): text is string {
  return typeof text === 'string' && MONEY_INPUT.test(text);
}

export function isDecimalInput(text: unknown): text is string {
  return typeof text === 'string' && DECIMAL_INPUT.test(text);
}

export function dec(value: string | number | Decimal): Decimal {
  return new Dec(value);
}

/** R-FEE-7: to the cent, half away from zero. The one place rounding of money happens. */
export function round2(value: Decimal): Decimal {
  return value.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/** The wire form: exactly two decimals. Refuses a value that is not already to the cent. */
export function toMoneyString(value: Decimal): MoneyString {
  if (!value.equals(value.toDecimalPlaces(2))) throw new RangeError(`Not rounded to the cent: ${value.toString()}`);
  return value.toFixed(2) as MoneyString;
}

export function money(text: string): MoneyString {
  return toMoneyString(dec(text));
}
