import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import {
  CommuneCommand,
  ContinuityConvention,
  SYNTEC_STREAM,
  SyntecCommand,
  communeDecider,
  communeStreamId,
  syntecDecider,
} from '@lib/domain/reference';
import { EVENT_STORE, EventStore } from '@lib/event-store/event-store.port';
import { CommandContext } from './command-context';
import { StreamCommandResult, executeStreamCommand } from './stream-command';
import { loadCatalogue, loadCommuneConventions } from './streams';

export class ExecuteCommuneCommand extends Command<StreamCommandResult> {
  constructor(
    readonly command: CommuneCommand,
    readonly context: CommandContext,
  ) {
    super();
  }
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
            ? (await loadCommuneConventions(this.store, insee)).states.filter(
                (s): s is Extract<typeof s, ContinuityConvention> => s.status !== 'none',
              )
            : [],
      }),
      commandContext: context,
      idScope: command.type === 'RunLegacyTransition' ? `commune-${insee}` : undefined,
    });
  }
}

export class ExecuteSyntecCommand extends Command<StreamCommandResult> {
  constructor(
    readonly command: SyntecCommand,
    readonly context: CommandContext,
  ) {
    super();
  }
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
      context: () => Promise.resolve(undefined),
      commandContext: context,
    });
  }
}
