import { Module } from '@nestjs/common';

/** Yearly fee ledgers (issue 4): routes of API.md `/api/ledgers`, `/api/communes/{insee}/ledgers`. */
@Module({})
export class LedgersModule {}
