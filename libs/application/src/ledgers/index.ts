export * from './issue-ledger.decider';
export * from './issue-ledger';
