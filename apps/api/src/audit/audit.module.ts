import { Module } from '@nestjs/common';
import { AuditController, ConventionHistoryController } from './audit.controller';
import { IntegrityService } from './integrity.service';

/** The audit history, a convention's history and the integrity chain's verification (R-AUD-1). */
@Module({ controllers: [ConventionHistoryController, AuditController], providers: [IntegrityService] })
export class AuditModule {}
