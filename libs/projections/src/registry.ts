import { Projection } from './runner/projection';
import { feeLedgerProjection } from './fee-ledger/fee-ledger.projection';
import { entitlementsProjection } from './entitlements/entitlements.projection';
import { auditProjection } from './audit/audit.projection';
import { feedProjection } from './feed/feed.projection';

/**
 * Every read model the API keeps, in one list: the runner follows each from its checkpoint, the
 * rebuild command replays each. A new projection is one more entry here.
 */
export const PROJECTIONS: readonly Projection[] = [feeLedgerProjection, entitlementsProjection, auditProjection, feedProjection];
