export * from './issue-ledger';
