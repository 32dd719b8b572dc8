import { Inject } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CalendarDate } from '@lib/domain/shared/calendar-date';
import { CONVENTION_STREAM_PREFIX } from '@lib/domain/convention';
import { CommuneEventType } from '@lib/domain/reference';
import { EVENT_STORE, EventStore, RecordedEvent } from '@lib/event-store/event-store.port';
import { CommandContext } from '../command-context';
import { CommandEvent } from '../stream-command';
import { ExecuteConventionCommand } from '../convention.handlers';
import { ExecuteCommuneCommand } from '../reference.handlers';

export interface LifecycleRunResult {
  asOf: CalendarDate;
  /** Every event the run recorded, conventions first. */
  recorded: CommandEvent[];
}

/** Records what is due up to `asOf`; asked by an admin (POST /api/lifecycle/run) or by the daily schedule. */
export class RunLifecycleCommand extends Command<LifecycleRunResult> {
  constructor(
    readonly asOf: CalendarDate,
    readonly context: CommandContext,
  ) {
    super();
  }
}

/**
 * The time-driven process (R-CONV-4, R-CONV-5, R-LEG-3): records every tacit renewal, expiry and legacy
 * end due up to `asOf`. Idempotent: the deciders record only what is not recorded yet, so running it
 * again, or for an earlier date, records nothing new. Conventions first: legacy continuity reads them.
 * Each stream is written by its own command on the bus, under this run's command context.
 */
@CommandHandler(RunLifecycleCommand)
export class RunLifecycleHandler implements ICommandHandler<RunLifecycleCommand, LifecycleRunResult> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: CommandBus,
  ) {}

  async execute({ asOf, context }: RunLifecycleCommand): Promise<LifecycleRunResult> {
    const recorded: CommandEvent[] = [];
    for (const conventionId of await this.distinct('ConventionSigned', (e) => (e.data as { conventionId: string }).conventionId)) {
      const result = await this.commands.execute(
        new ExecuteConventionCommand({ type: 'RunLifecycle', data: { conventionId, asOf } }, context),
      );
      recorded.push(...result.recorded);
    }
    for (const communeInsee of await this.distinct(
      CommuneEventType.LegacyConventionRecorded,
      (e) => (e.data as { communeInsee: string }).communeInsee,
    )) {
      const result = await this.commands.execute(
        new ExecuteCommuneCommand({ type: 'RunLegacyTransition', data: { communeInsee, asOf } }, context),
      );
      recorded.push(...result.recorded);
    }
    return { asOf, recorded };
  }

  // The global order filtered by type: fine for the hundreds of conventions of one Métropole.
  private async distinct(type: string, key: (event: RecordedEvent) => string): Promise<string[]> {
    const keys = new Set<string>();
    const streamPrefix = type === 'ConventionSigned' ? CONVENTION_STREAM_PREFIX : undefined;
    for await (const event of this.store.readAll({ filter: { eventTypes: [type], ...(streamPrefix ? { streamPrefix } : {}) } }))
      keys.add(key(event));
    return [...keys];
  }
}
