import { Module } from '@nestjs/common';
import { TokenCommand } from './token.command';
import { LedgerCommand } from './ledger.command';
import { ImportCommunesCommand } from './import-communes.command';
import { RebuildProjectionsCommand } from './rebuild-projections.command';
import { ExportHistoryCommand } from './export-history.command';
import { ImportEventsCommand } from './import-events.command';
import { VerifyArchiveCommand, VerifyProofCommand } from './verify.commands';
import { ReplayCertificateCommand } from './replay-certificate.command';

@Module({
  providers: [
    TokenCommand,
    LedgerCommand,
    ImportCommunesCommand,
    RebuildProjectionsCommand,
    ExportHistoryCommand,
    ImportEventsCommand,
    VerifyArchiveCommand,
    VerifyProofCommand,
    ReplayCertificateCommand,
  ],
})
export class CliModule {}
