export * from './audit-entry';
export * from './audit.projection';
