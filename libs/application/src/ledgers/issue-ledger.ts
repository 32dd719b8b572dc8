import { Inject } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, Position, formatPosition } from '@lib/event-store/event-store.port';
import {
  IssueLedgerContext,
  LedgerFact,
  LedgerIssued,
  computeLedgerLines,
  foldLedgerFacts,
  issueLedgerDecider,
  ledgerStreamId,
} from '@lib/domain/ledger';
import { CommandContext } from '../command-context';
import { StreamCommandResult, executeStreamCommand } from '../stream-command';

/** Where an issue reads its facts: the fee-ledger read model, once it has every event up to `position`. */
export interface LedgerFactsSource {
  factsUpTo(year: number, position: Position): Promise<LedgerFact[]>;
}

export interface IssueLedgerSpec {
  store: EventStore;
  facts: LedgerFactsSource;
  year: number;
  commandContext: CommandContext;
  /** The ledger stream's version the caller read (If-Match), when it sent one. */
  expectedVersion?: number;
  /** The instant recorded as `basedOn.at`; the clock is read here, at the edge, never in a decider. */
  now: () => Date;
}

export interface IssueLedgerResult extends StreamCommandResult {
  year: number;
  /** The issue recorded; null when there was nothing to issue. */
  issued: LedgerIssued['data'] | null;
  /** The ledger the decision was made on. */
  computed: IssueLedgerContext;
}

/**
 * Issues billing year `year`: computes the ledger from every fact recorded up to the store's head
 * (exactly: up to that position), then decides on the `ledger-<year>` stream with its expected
 * revision. A concurrent issue makes the command decide again on fresh facts (or 409 with If-Match).
 */
export async function issueLedger({
  store,
  facts,
  year,
  commandContext,
  expectedVersion,
  now,
}: IssueLedgerSpec): Promise<IssueLedgerResult> {
  let computed: IssueLedgerContext | undefined;
  const result = await executeStreamCommand({
    store,
    streamId: ledgerStreamId(year),
    decider: issueLedgerDecider,
    command: { type: 'IssueLedger', data: { year } },
    context: async () => {
      const head = await store.headPosition();
      const known = await facts.factsUpTo(year, head);
      computed = {
        lines: computeLedgerLines(year, foldLedgerFacts(known)),
        facts: known,
        basedOn: { position: formatPosition(head), at: now().toISOString() },
      };
      return computed;
    },
    commandContext,
    expectedVersion,
  });
  const issued = result.recorded.length > 0 ? (result.recorded[0].data as LedgerIssued['data']) : null;
  return { ...result, year, issued, computed: computed! };
}

/** What an issue reads besides the store, provided by the app that registers IssueLedgerHandler. */
export interface IssueLedgerPorts {
  facts: LedgerFactsSource;
  now: () => Date;
}

export const ISSUE_LEDGER_PORTS = Symbol('ISSUE_LEDGER_PORTS');

export class IssueLedgerCommand extends Command<IssueLedgerResult> {
  constructor(
    readonly year: number,
    readonly context: CommandContext,
    /** The ledger stream's version the caller read (If-Match), when it sent one. */
    readonly expectedVersion?: number,
  ) {
    super();
  }
}

/** Not in ApplicationModule: its facts come from a read model of the app (the API's LedgersModule provides it). */
@CommandHandler(IssueLedgerCommand)
export class IssueLedgerHandler implements ICommandHandler<IssueLedgerCommand, IssueLedgerResult> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ISSUE_LEDGER_PORTS) private readonly ports: IssueLedgerPorts,
  ) {}

  execute({ year, context, expectedVersion }: IssueLedgerCommand): Promise<IssueLedgerResult> {
    return issueLedger({ store: this.store, facts: this.ports.facts, now: this.ports.now, year, commandContext: context, expectedVersion });
  }
}
