import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { ConventionCommand, SignConvention, conventionDecider, conventionStreamId } from '@lib/domain/convention';
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
