export * from './ids';
export * from './command-context';
export * from './stream-command';
export * from './streams';
export * from './handlers';
export * from './lifecycle/run-lifecycle';
export * from './catalogue/catalogue-seeder';
export * from './application.module';
