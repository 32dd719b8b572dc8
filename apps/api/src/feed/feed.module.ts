import { Module } from '@nestjs/common';
import { FeedController } from './feed.controller';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { FEED_CONFIG } from './feed.config';
import { FeedNotifier } from './feed-notifier';
import { FeedService } from './feed.service';

/** The integration-event feed for downstream consumers (docs/integration-events.md). */
@Module({
  controllers: [FeedController],
  providers: [{ provide: FEED_CONFIG, useFactory: (config: AppConfig) => config.feed, inject: [APP_CONFIG] }, FeedNotifier, FeedService],
  exports: [FeedService],
})
export class FeedModule {}
