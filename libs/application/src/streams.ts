import { CATALOGUE_STREAM, CatalogueEvent, CatalogueState, catalogueDecider } from '@lib/domain/catalogue';
import {
  ConventionEvent,
  ConventionState,
  conventionDecider,
  conventionStreamId,
  conventionSummary,
  ConventionSummary,
} from '@lib/domain/convention';
import { EventStore, RecordedEvent } from '@lib/event-store/event-store.port';
import { LoadedStream, loadStream } from './stream-command';
import { streamFoldOf } from './stream-fold';

/**
 * The catalogue as recorded (R-CAT-1), with every event committed before the call: folded once, then
 * extended with the events after the kept revision (stream-fold.ts). Every decision and the token's
 * `services` claim read it: a read of its tail per call instead of the whole stream and its fold.
 */
export function loadCatalogue(store: EventStore): Promise<CatalogueState> {
  return streamFoldOf<CatalogueState, CatalogueEvent>(store, CATALOGUE_STREAM, catalogueDecider).current();
}

/** `until` stops the fold at the first event it rejects: a read "as known at" an instant (R-TIME-1). */
export async function loadConvention(
  store: EventStore,
  conventionId: string,
  until?: (event: RecordedEvent) => boolean,
): Promise<LoadedStream<ConventionState>> {
  return loadStream<ConventionState, ConventionEvent>(store, conventionStreamId(conventionId), conventionDecider, until);
}

/**
 * R-CONV-1 without a cross-stream transaction: a commune's conventions are numbered, `<insee>-1`,
 * `<insee>-2`…, and a new one is appended to the next number's stream with expectation `no_stream`.
 * Two admins signing for one commune at once compute the same number, so exactly one succeeds, and
 * the previous conventions that the decision checked are the ones read here.
 */
export function conventionIdOf(insee: string, number: number): string {
  return `${insee}-${number}`;
}

export const CONVENTION_ID_FORMAT = /^([0-9][0-9AB][0-9]{3})-([1-9][0-9]{0,5})$/;

export interface CommuneConventions {
  states: ConventionState[];
  summaries: ConventionSummary[];
  /** The id the next convention of the commune takes. */
  nextConventionId: string;
  /** The convention a command signed, if it signed one of them (a retried signature finds its own). */
  signedBy(commandId: string): string | undefined;
}

export async function loadCommuneConventions(store: EventStore, insee: string): Promise<CommuneConventions> {
  const states: ConventionState[] = [];
  const signingCommands = new Map<string, string>();
  for (let number = 1; ; number++) {
    const conventionId = conventionIdOf(insee, number);
    const { state, version, events } = await loadConvention(store, conventionId);
    if (version === 0) break;
    states.push(state);
    const commandId = events[0].metadata.commandId;
    if (commandId) signingCommands.set(commandId, conventionId);
  }
  return {
    states,
    summaries: states.map(conventionSummary).filter((s): s is ConventionSummary => s !== undefined),
    nextConventionId: conventionIdOf(insee, states.length + 1),
    signedBy: (commandId) => signingCommands.get(commandId),
  };
}
