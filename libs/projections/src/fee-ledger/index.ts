export * from './ledger-facts';
export * from './fee-ledger.projection';
export * from './ledger-lines.materialised';
