export * from './entitlement';
