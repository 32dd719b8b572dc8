import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { CATALOGUE_STREAM, CatalogueCommand, catalogueDecider } from '@lib/domain/catalogue';
import { ConventionCommand, SignConvention, conventionDecider, conventionStreamId } from '@lib/domain/convention';
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

/** A signature: the application, not the caller, numbers the new convention (see loadCommuneConventions). */
export class SignConventionCommand extends Command<SignConventionResult> {
  constructor(
    readonly data: Omit<SignConvention['data'], 'conventionId'>,
    readonly context: CommandContext,
  ) {
    super();
  }
}

export interface SignConventionResult extends StreamCommandResult {
  conventionId: string;
}

@CommandHandler(SignConventionCommand)
export class SignConventionHandler implements ICommandHandler<SignConventionCommand, SignConventionResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ data, context }: SignConventionCommand): Promise<SignConventionResult> {
    // Read once: they name the next number and are the previous conventions R-CONV-1 checks. If another
    // signature takes that number meanwhile, the append expecting no stream fails (409): the decision
    // was made on exactly the conventions that exist.
    const conventions = await loadCommuneConventions(this.store, data.communeInsee);
    // A retried signature (same Idempotency-Key) names the convention it signed the first time.
    const conventionId = (context.idempotent && conventions.signedBy(context.commandId)) || conventions.nextConventionId;
    const result = await executeStreamCommand({
      store: this.store,
      streamId: conventionStreamId(conventionId),
      decider: conventionDecider,
      command: { type: 'SignConvention', data: { conventionId, ...data } },
      context: async () => ({ catalogue: await loadCatalogue(this.store), communeConventions: conventions.summaries }),
      commandContext: context,
      // A new convention's stream must not exist, and a stale number is never decided again.
      expectedVersion: 0,
    });
    return { conventionId, ...result };
  }
}

/** A command on one existing convention's stream. `expectedVersion` is the caller's If-Match, when it sent one. */
export class ExecuteConventionCommand extends Command<StreamCommandResult> {
  constructor(
    readonly command: Exclude<ConventionCommand, SignConvention>,
    readonly context: CommandContext,
    readonly expectedVersion?: number,
  ) {
    super();
  }
}

@CommandHandler(ExecuteConventionCommand)
export class ConventionCommandHandler implements ICommandHandler<ExecuteConventionCommand, StreamCommandResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ command, context, expectedVersion }: ExecuteConventionCommand): Promise<StreamCommandResult> {
    return executeStreamCommand({
      store: this.store,
      streamId: conventionStreamId(command.data.conventionId),
      decider: conventionDecider,
      command,
      // Only a signature compares with the commune's other conventions (SignConventionHandler).
      context: async () => ({ catalogue: await loadCatalogue(this.store), communeConventions: [] }),
      commandContext: context,
      expectedVersion,
      idScope: command.type === 'RunLifecycle' ? `convention-${command.data.conventionId}` : undefined,
    });
  }
}

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
