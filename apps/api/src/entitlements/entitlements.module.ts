import { Module } from '@nestjs/common';
import { AuditController, ConventionHistoryController } from './audit.controller';
import { EntitlementsController } from './entitlements.controller';
import { IntegrityService } from './integrity.service';
import { ProjectionsAdminController } from './projections-admin.controller';
import { RebuildService } from './rebuild.service';

/** Entitlements, audit history, integrity and replay (issue 5). */
@Module({
  controllers: [EntitlementsController, ConventionHistoryController, AuditController, ProjectionsAdminController],
  providers: [IntegrityService, RebuildService],
})
export class EntitlementsModule {}
