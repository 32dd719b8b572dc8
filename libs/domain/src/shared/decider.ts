import { Refusal } from './refusal';

/**
 * A decider is three pure functions: no I/O, no clock. Facts a decision needs beyond its own stream
 * (the catalogue, today's date) arrive with the command or in a read-only context.
 */
export interface Decider<State, Command, Event, Context = void> {
  // Function properties, not methods: a decider's functions are pure and passed around unbound
  // (`events.reduce(decider.evolve, state)`).
  readonly initialState: () => State;
  readonly decide: (command: Command, state: State, context: Context) => Event[] | Refusal;
  /** Applies a fact; never re-checks a rule. */
  readonly evolve: (state: State, event: Event) => State;
}

export function fold<State, Event>(
  decider: Pick<Decider<State, unknown, Event, unknown>, 'initialState' | 'evolve'>,
  events: readonly Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}
