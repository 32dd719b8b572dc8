import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CalendarDate } from '@lib/domain/shared/calendar-date';
import { CONVENTION_STREAM_PREFIX } from '@lib/domain/convention';
import { CommuneEventType } from '@lib/domain/reference';
import { EVENT_STORE, EventStore, RecordedEvent } from '@lib/event-store/event-store.port';
import { CommandContext } from '../command-context';
import { ExecuteCommuneCommand, ExecuteConventionCommand } from '../handlers';
import { StreamCommandResult } from '../stream-command';

/**
 * The time-driven process (R-CONV-4, R-CONV-5, R-LEG-3): records every tacit renewal, expiry and legacy
 * end due up to `asOf`. Idempotent: the deciders record only what is not recorded yet, so running it
 * again, or for an earlier date, records nothing new. Conventions first: legacy continuity reads them.
 */
@Injectable()
export class LifecycleService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: CommandBus,
  ) {}

  async run(asOf: CalendarDate, context: CommandContext): Promise<RecordedEvent[]> {
    const recorded: RecordedEvent[] = [];
    for (const conventionId of await this.distinct('ConventionSigned', (e) => (e.data as { conventionId: string }).conventionId)) {
      const result: StreamCommandResult = await this.commands.execute(new ExecuteConventionCommand({ type: 'RunLifecycle', data: { conventionId, asOf } }, context));
      recorded.push(...result.recorded);
    }
    for (const communeInsee of await this.distinct(CommuneEventType.LegacyConventionRecorded, (e) => (e.data as { communeInsee: string }).communeInsee)) {
      const result: StreamCommandResult = await this.commands.execute(new ExecuteCommuneCommand({ type: 'RunLegacyTransition', data: { communeInsee, asOf } }, context));
      recorded.push(...result.recorded);
    }
    return recorded;
  }

  // The global order filtered by type: fine for the hundreds of conventions of one Métropole.
  private async distinct(type: string, key: (event: RecordedEvent) => string): Promise<string[]> {
    const keys = new Set<string>();
    const streamPrefix = type === 'ConventionSigned' ? CONVENTION_STREAM_PREFIX : undefined;
    for await (const event of this.store.readAll({ filter: { eventTypes: [type], ...(streamPrefix ? { streamPrefix } : {}) } })) keys.add(key(event));
    return [...keys];
  }
}
