/**
 * The API's one reading of the time: "today" for defaults (an entitlement read with no `on`, a service
 * entering the catalogue with no date, the lifecycle's run) and "now" for a ledger asked with no
 * `knownAt`. Injected, so that a test or a replay can set it; the domain never reads it (dates are inputs).
 */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };
