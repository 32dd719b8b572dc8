/**
 * Where an event stands in the store's global order. The domain needs it because "as known at" a
 * position is a business question (R-TIME-1: what a ledger issue was computed from); the event store's
 * port re-exports it, so that there is one definition.
 */
export interface Position {
  readonly commit: number;
  readonly prepare: number;
}

/** Before the first event: reading "after START" reads everything. */
export const START: Position = Object.freeze({ commit: 0, prepare: 0 });

export function comparePositions(a: Position, b: Position): -1 | 0 | 1 {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** The opaque string form clients store and send back (API.md: feed positions, minPosition). */
export function formatPosition(p: Position): string {
  return p.commit === 0 && p.prepare === 0 ? '0' : `${p.commit}-${p.prepare}`;
}

/** Parses what formatPosition wrote; `undefined` for anything else (a client error, never a crash). */
export function parsePosition(text: string): Position | undefined {
  if (text === '0') return START;
  const match = /^(\d{1,15})-(\d{1,15})$/.exec(text);
  if (!match) return undefined;
  return { commit: Number(match[1]), prepare: Number(match[2]) };
}
