import { Inject, Injectable } from '@nestjs/common';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { EVENT_STORE, EventStore, Position, START } from '@lib/event-store/event-store.port';
import {
  ChainLink,
  StoredChainVerification,
  isChainedEventStore,
  verifyChain,
  verifyStoredChain,
} from '@lib/event-store/integrity/event-hash';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { AUDIT_TABLES, readAuditChain } from '@lib/projections/audit';
import { ProjectionHost } from '../projections/projection-host';
import { TreeHeadsService } from './tree-heads.service';

/**
 * The integrity chain (R-AUD-1) whatever the store: PostgreSQL and PGlite keep a hash beside each event,
 * computed by their sealer within a bound after the append (chain-sealer.ts), the in-memory store at the
 * append; EventStoreDB cannot, so there the chain is the
 * one the audit projection computed as events arrived, and verification compares the store's events
 * with it (it then detects events removed or changed in the store since they were projected).
 */
@Injectable()
export class IntegrityService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    private readonly host: ProjectionHost,
    private readonly heads: TreeHeadsService,
  ) {}

  /**
   * The global order with each event's hash, streamed: every event acknowledged before the call (a store
   * that seals after the append seals them first, on demand), so that `cli import-events` can restore an
   * export.
   */
  async links(after: Position = START): Promise<AsyncIterable<ChainLink>> {
    if (isChainedEventStore(this.store)) return this.store.readChain({ after });
    await this.host.ensureCaughtUp(await this.store.headPosition());
    return pairedWithProjection(this.store, this.db, after);
  }

  /**
   * For a store that seals after the append, also its seal head and unsealed tail, as they are (no sealing
   * on demand), and its Merkle tree against the latest signed head (its signature and its root).
   */
  async verify(): Promise<StoredChainVerification> {
    if (isChainedEventStore(this.store)) {
      const latest = this.store.verifiableLog ? await this.heads.verifiableLog().latestHead() : null;
      return verifyStoredChain(this.store, latest && { head: latest, signatureValid: this.heads.signatureValid(latest) });
    }
    return verifyChain(await this.links());
  }
}

async function* pairedWithProjection(store: EventStore, db: SqlDatabase, after: Position): AsyncGenerator<ChainLink> {
  const hashes = readAuditChain(db, AUDIT_TABLES, after);
  for await (const event of store.readAll({ after })) {
    const projected = await hashes.next();
    yield { event, hash: !projected.done && projected.value.eventId === event.id ? projected.value.hash : null };
  }
  await hashes.return(undefined);
}
