/**
 * The HTTP contract's types and token helpers that the API and its clients (the CLI) share, so that the
 * CLI never imports the API's internals. Types only, and the signing of development tokens.
 */
export * from './roles';
export * from './development-token';
export * from './ledger-view';
export * from './rebuild-view';
