import { Module } from '@nestjs/common';
import { ISSUE_LEDGER_PORTS, IssueLedgerHandler, IssueLedgerPorts } from '@lib/application/ledgers';
import { CLOCK, Clock } from '../clock';
import { LedgerReader } from './ledger-reader';
import { LedgersController } from './ledgers.controller';

/** Yearly fee ledgers: the routes of API.md `/api/ledgers`, `/api/communes/{insee}/ledgers`; the issue's handler, fed by the fee-ledger read model. */
@Module({
  controllers: [LedgersController],
  providers: [
    LedgerReader,
    IssueLedgerHandler,
    {
      provide: ISSUE_LEDGER_PORTS,
      useFactory: (facts: LedgerReader, clock: Clock): IssueLedgerPorts => ({ facts, now: () => clock.now() }),
      inject: [LedgerReader, CLOCK],
    },
  ],
})
export class LedgersModule {}
