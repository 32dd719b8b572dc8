import { Module } from '@nestjs/common';
import { ProjectionsAdminController } from './projections-admin.controller';
import { RebuildService } from './rebuild.service';

/** What operators run: the state of the projections, and their rebuild and swap. */
@Module({ controllers: [ProjectionsAdminController], providers: [RebuildService] })
export class OperationsModule {}
