import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { CATALOGUE_STREAM, CatalogueCommand, catalogueDecider } from '@lib/domain/catalogue';
import { ConventionCommand, conventionDecider, conventionStreamId } from '@lib/domain/convention';
import { CommuneCommand, ContinuityConvention, SYNTEC_STREAM, SyntecCommand, communeDecider, communeStreamId, syntecDecider } from '@lib/domain/reference';
import { EVENT_STORE, EventStore } from '@lib/event-store/event-store.port';
import { CommandContext } from './command-context';
import { StreamCommandResult, executeStreamCommand } from './stream-command';
import { loadCatalogue, loadCommuneConventions } from './streams';

/** A command on one convention's stream. `expectedVersion` is the caller's If-Match, when it sent one. */
export class ExecuteConventionCommand {
  constructor(
    readonly command: ConventionCommand,
    readonly context: CommandContext,
    readonly expectedVersion?: number,
  ) {}
}

@CommandHandler(ExecuteConventionCommand)
export class ConventionCommandHandler implements ICommandHandler<ExecuteConventionCommand, StreamCommandResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ command, context, expectedVersion }: ExecuteConventionCommand): Promise<StreamCommandResult> {
    const insee = command.type === 'SignConvention' ? command.data.communeInsee : undefined;
    return executeStreamCommand({
      store: this.store,
      streamId: conventionStreamId(command.data.conventionId),
      decider: conventionDecider,
      command,
      context: async () => ({
        catalogue: await loadCatalogue(this.store),
        communeConventions: insee ? (await loadCommuneConventions(this.store, insee)).summaries : [],
      }),
      commandContext: context,
      expectedVersion,
      idScope: command.type === 'RunLifecycle' ? `convention-${command.data.conventionId}` : undefined,
    });
  }
}

export class ExecuteCatalogueCommand {
  constructor(
    readonly command: CatalogueCommand,
    readonly context: CommandContext,
  ) {}
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
      context: async () => undefined,
      commandContext: context,
    });
  }
}

export class ExecuteCommuneCommand {
  constructor(
    readonly command: CommuneCommand,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(ExecuteCommuneCommand)
export class CommuneCommandHandler implements ICommandHandler<ExecuteCommuneCommand, StreamCommandResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ command, context }: ExecuteCommuneCommand): Promise<StreamCommandResult> {
    const insee = command.data.communeInsee;
    return executeStreamCommand({
      store: this.store,
      streamId: communeStreamId(insee),
      decider: communeDecider,
      command,
      context: async () => ({
        catalogue: await loadCatalogue(this.store),
        conventions:
          command.type === 'RunLegacyTransition'
            ? (await loadCommuneConventions(this.store, insee)).states.filter((s): s is Extract<typeof s, ContinuityConvention> => s.status !== 'none')
            : [],
      }),
      commandContext: context,
      idScope: command.type === 'RunLegacyTransition' ? `commune-${insee}` : undefined,
    });
  }
}

export class ExecuteSyntecCommand {
  constructor(
    readonly command: SyntecCommand,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(ExecuteSyntecCommand)
export class SyntecCommandHandler implements ICommandHandler<ExecuteSyntecCommand, StreamCommandResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ command, context }: ExecuteSyntecCommand): Promise<StreamCommandResult> {
    return executeStreamCommand({
      store: this.store,
      streamId: SYNTEC_STREAM,
      decider: syntecDecider,
      command,
      context: async () => undefined,
      commandContext: context,
    });
  }
}
