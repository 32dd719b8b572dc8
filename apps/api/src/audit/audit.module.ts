import { Module } from '@nestjs/common';
import { AuditController, ConventionHistoryController } from './audit.controller';
import { IntegrityService } from './integrity.service';
import { TreeHeadsService } from './tree-heads.service';
import { VerifiableLogController } from './verifiable-log.controller';

/** The audit history, a convention's history, the integrity chain's verification and the verifiable log (R-AUD-1). */
@Module({
  controllers: [ConventionHistoryController, AuditController, VerifiableLogController],
  providers: [IntegrityService, TreeHeadsService],
})
export class AuditModule {}
