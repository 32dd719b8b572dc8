import { Module } from '@nestjs/common';
import { LedgerReader } from './ledger-reader';
import { LedgersController } from './ledgers.controller';

/** Yearly fee ledgers: the routes of API.md `/api/ledgers`, `/api/communes/{insee}/ledgers`. */
@Module({ controllers: [LedgersController], providers: [LedgerReader] })
export class LedgersModule {}
