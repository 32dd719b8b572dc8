export * from './ledger-facts';
export * from './fee-ledger.projection';
