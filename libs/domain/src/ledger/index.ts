export * from './ledger-fact';
export * from './ledger-lines';
export * from './ledger.events';
export * from './issued-ledger.state';
export * from './issue-ledger.decider';
