import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CATALOGUE_STREAM, initialCatalogueEvents } from '@lib/domain/catalogue';
import { EVENT_STORE, EventStore, WrongExpectedRevisionError } from '@lib/event-store/event-store.port';
import { loadCatalogue } from '../streams';

export const SYSTEM_ACTOR = { id: 'system', role: 'system' } as const;

/** R-CAT-2: the catalogue of CP-2025-4074 is recorded at first start, when the catalogue is empty. */
@Injectable()
export class CatalogueSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('Catalogue');

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationBootstrap(): Promise<void> {
    const events = initialCatalogueEvents(await loadCatalogue(this.store));
    if (events.length === 0) return;
    const commandId = randomUUID();
    try {
      await this.store.appendToStream(
        CATALOGUE_STREAM,
        events.map((event) => ({
          id: randomUUID(),
          type: event.type,
          schemaVersion: event.schemaVersion,
          data: event.data,
          metadata: {
            actor: SYSTEM_ACTOR,
            reason: 'Catalogue of the framework agreement recorded at first start (R-CAT-2)',
            legalReference: 'CP-2025-4074',
            commandId,
            correlationId: commandId,
            causationId: commandId,
          },
        })),
        { expectedRevision: 'no_stream' },
      );
      this.logger.log(`Recorded the catalogue of CP-2025-4074 (${events.length} services)`);
    } catch (error) {
      // Another instance recorded it first: the catalogue is there, which is all that matters.
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
  }
}
