import { Module } from '@nestjs/common';
import { TokenCommand } from './token.command';
import { LedgerCommand } from './ledger.command';
import { ImportCommunesCommand } from './import-communes.command';
import { RebuildProjectionsCommand } from './rebuild-projections.command';
import { ExportHistoryCommand } from './export-history.command';
import { ImportEventsCommand } from './import-events.command';

@Module({
  providers: [TokenCommand, LedgerCommand, ImportCommunesCommand, RebuildProjectionsCommand, ExportHistoryCommand, ImportEventsCommand],
})
export class CliModule {}
