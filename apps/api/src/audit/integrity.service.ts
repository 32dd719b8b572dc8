import { Inject, Injectable } from '@nestjs/common';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { EVENT_STORE, EventStore, Position, START } from '@lib/event-store/event-store.port';
import { ChainLink, ChainVerification, isChainedEventStore, verifyChain } from '@lib/event-store/integrity/event-hash';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { AUDIT_TABLES, readAuditChain } from '@lib/projections/audit';
import { ProjectionHost } from '../projections/projection-host';

/**
 * The integrity chain (R-AUD-1) whatever the store: PostgreSQL, PGlite and the in-memory store keep a
 * hash beside each event, computed when it is appended; EventStoreDB cannot, so there the chain is the
 * one the audit projection computed as events arrived, and verification compares the store's events
 * with it (it then detects events removed or changed in the store since they were projected).
 */
@Injectable()
export class IntegrityService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    private readonly host: ProjectionHost,
  ) {}

  /** The global order with each event's hash, streamed. */
  async links(after: Position = START): Promise<AsyncIterable<ChainLink>> {
    if (isChainedEventStore(this.store)) return this.store.readChain({ after });
    await this.host.ensureCaughtUp(await this.store.headPosition());
    return pairedWithProjection(this.store, this.db, after);
  }

  async verify(): Promise<ChainVerification> {
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
