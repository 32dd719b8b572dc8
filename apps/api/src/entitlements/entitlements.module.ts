import { Module } from '@nestjs/common';

/** Entitlements, audit history, integrity and replay (issue 5). */
@Module({})
export class EntitlementsModule {}
