export * from './integration-events';
export * from './feed-derivation';
export * from './feed.projection';
export * from './feed.read';
export * from './schemas';
