export * from './ledger-facts';
export * from './ledger-computation';
export * from './ledger.events';
export * from './issued-ledger';
export * from './fee-ledger.projection';
