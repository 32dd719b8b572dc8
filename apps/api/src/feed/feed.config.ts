export { FEED_PAGE_LIMIT } from '../config/app-config';
export type { FeedConfig } from '../config/app-config';

/** The feed's part of the configuration (AppConfig.feed), for injection. */
export const FEED_CONFIG = Symbol('FEED_CONFIG');
