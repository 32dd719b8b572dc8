/**
 * The one file that imports the EventStoreDB client. Upstream renamed it @kurrent/kurrentdb-client with
 * the same API: switching is this one line (and package.json).
 */
export {
  EventStoreDBClient,
  jsonEvent,
  excludeSystemEvents,
  eventTypeFilter,
  streamNameFilter,
  StreamNotFoundError,
  WrongExpectedVersionError,
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  START,
  END,
  FORWARDS,
  BACKWARDS,
} from '@eventstore/db-client';
export type {
  AppendExpectedRevision,
  CurrentRevision,
  EventData,
  Filter,
  JSONType,
  Position as EsdbPosition,
  ReadPosition,
  ReadRevision,
  RecordedEvent as EsdbRecordedEvent,
  ResolvedEvent,
  AllStreamResolvedEvent,
  AllStreamSubscription,
} from '@eventstore/db-client';
