import { Module } from '@nestjs/common';
import { EntitlementsController } from './entitlements.controller';

/** Who may use what, on which day, as known when (R-TIME-1): `/api/entitlements`, `/api/communes/{insee}/entitlements`. */
@Module({ controllers: [EntitlementsController] })
export class EntitlementsModule {}
