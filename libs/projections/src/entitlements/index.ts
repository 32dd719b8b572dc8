export * from './entitlements.projection';
export * from './entitlements.read';
