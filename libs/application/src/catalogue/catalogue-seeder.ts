import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CATALOGUE_STREAM, CatalogueEvent, CatalogueState, catalogueDecider, initialCatalogueEvents } from '@lib/domain/catalogue';
import { Decider } from '@lib/domain/shared/decider';
import { EVENT_STORE, EventStore } from '@lib/event-store/event-store.port';
import { CommandContext, systemCommandContext } from '../command-context';
import { StreamCommandResult, executeStreamCommand } from '../stream-command';

/** R-CAT-2: record the catalogue of CP-2025-4074 if the catalogue is empty. */
export class SeedCatalogueCommand extends Command<StreamCommandResult> {
  constructor(readonly context: CommandContext) {
    super();
  }
}

/** The catalogue's own fold; the decision is the data file's services, or nothing once there are services. */
const seedDecider: Decider<CatalogueState, SeedCatalogueCommand, CatalogueEvent, void> = {
  initialState: catalogueDecider.initialState,
  evolve: catalogueDecider.evolve,
  decide: (_command, state) => initialCatalogueEvents(state),
};

@CommandHandler(SeedCatalogueCommand)
export class SeedCatalogueHandler implements ICommandHandler<SeedCatalogueCommand, StreamCommandResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  // Two instances starting at once: the second's append fails on the revision, it decides again on the
  // recorded catalogue, and records nothing.
  execute(command: SeedCatalogueCommand): Promise<StreamCommandResult> {
    return executeStreamCommand({
      store: this.store,
      streamId: CATALOGUE_STREAM,
      decider: seedDecider,
      command,
      context: () => Promise.resolve(undefined),
      commandContext: command.context,
    });
  }
}

/** R-CAT-2: the catalogue of CP-2025-4074 is recorded at first start, when the catalogue is empty. */
@Injectable()
export class CatalogueSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('Catalogue');

  constructor(private readonly commands: CommandBus) {}

  // The bus has its handlers by now: CqrsModule is global, and Nest runs global modules' hooks first.
  async onApplicationBootstrap(): Promise<void> {
    const { recorded } = await this.commands.execute(
      new SeedCatalogueCommand(
        systemCommandContext('Catalogue of the framework agreement recorded at first start (R-CAT-2)', 'CP-2025-4074'),
      ),
    );
    if (recorded.length > 0) this.logger.log(`Recorded the catalogue of CP-2025-4074 (${recorded.length} services)`);
  }
}
