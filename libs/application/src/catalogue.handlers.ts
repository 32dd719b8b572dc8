import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { CATALOGUE_STREAM, CatalogueCommand, catalogueDecider } from '@lib/domain/catalogue';
import { EVENT_STORE, EventStore } from '@lib/event-store/event-store.port';
import { CommandContext } from './command-context';
import { StreamCommandResult, executeStreamCommand } from './stream-command';

export class ExecuteCatalogueCommand extends Command<StreamCommandResult> {
  constructor(
    readonly command: CatalogueCommand,
    readonly context: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ExecuteCatalogueCommand)
export class CatalogueCommandHandler implements ICommandHandler<ExecuteCatalogueCommand, StreamCommandResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ command, context }: ExecuteCatalogueCommand): Promise<StreamCommandResult> {
    return executeStreamCommand({
      store: this.store,
      streamId: CATALOGUE_STREAM,
      decider: catalogueDecider,
      command,
      context: () => Promise.resolve(undefined),
      commandContext: context,
    });
  }
}
