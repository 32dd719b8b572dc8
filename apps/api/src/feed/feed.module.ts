import { Module } from '@nestjs/common';

/** The integration-event feed for downstream consumers (issue 6). */
@Module({})
export class FeedModule {}
