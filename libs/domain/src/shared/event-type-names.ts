/**
 * The table of an event union's type names, each the name itself: `{ A: 'A', B: 'B' }`. Written
 * `as const satisfies EventTypeNames<E>`, the table fails to compile when a type of E is missing from it
 * or it names one E does not have.
 */
export type EventTypeNames<E extends { type: string }> = { readonly [K in E['type']]: K };
