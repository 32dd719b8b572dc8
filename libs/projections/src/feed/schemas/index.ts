import conventionStatusChangedV1 from './ConventionStatusChanged.v1.schema.json';
import entitlementChangedV1 from './EntitlementChanged.v1.schema.json';
import entitlementEndedV1 from './EntitlementEnded.v1.schema.json';
import entitlementGrantedV1 from './EntitlementGranted.v1.schema.json';
import feeLedgerIssuedV1 from './FeeLedgerIssued.v1.schema.json';
import { FeedEventType } from '../integration-events';

/**
 * Every published version of every integration event type. A breaking change adds a version here beside
 * the old one (marked `deprecated` with its `sunset` date) and the feed carries both for the deprecation
 * period (docs/integration-events.md, "Compatibility").
 */
export interface PublishedSchema {
  type: FeedEventType;
  version: number;
  status: 'current' | 'deprecated';
  /** For a deprecated version: the day after which the feed no longer carries it. */
  sunset?: string;
  schema: Record<string, unknown>;
}

export const FEED_SCHEMAS: readonly PublishedSchema[] = [
  { type: 'EntitlementGranted', version: 1, status: 'current', schema: entitlementGrantedV1 },
  { type: 'EntitlementChanged', version: 1, status: 'current', schema: entitlementChangedV1 },
  { type: 'EntitlementEnded', version: 1, status: 'current', schema: entitlementEndedV1 },
  { type: 'ConventionStatusChanged', version: 1, status: 'current', schema: conventionStatusChangedV1 },
  { type: 'FeeLedgerIssued', version: 1, status: 'current', schema: feeLedgerIssuedV1 },
];

/** The schema of one type: a given version, or the current one. */
export function feedSchema(type: string, version?: number): PublishedSchema | undefined {
  const versions = FEED_SCHEMAS.filter((entry) => entry.type === type);
  return version === undefined ? versions.find((entry) => entry.status === 'current') : versions.find((entry) => entry.version === version);
}
